"""The jupyter_server extension: read-only JSON endpoints over the check results under the root.

Loaded by ``jupyter_mlready._load_jupyter_server_extension``; nothing here is imported by
``%load_ext`` or the CLI.
"""

from .handlers import setup_handlers

__all__ = ["setup_handlers"]
