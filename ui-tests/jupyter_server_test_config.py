"""JupyterLab server for the Galata tests: Galata's test settings, on our own port, as root too.

Galata's settings switch authentication off (empty token): the server's authentication is
tested with pytest-jupyter in tests/integration/test_server.py instead.
"""

import os

from jupyterlab.galata import configure_jupyter_server

configure_jupyter_server(c)  # noqa: F821 - `c` is the config object jupyter provides
c.ServerApp.port = int(os.environ.get("MLREADY_UI_PORT", "8899"))  # noqa: F821
c.ServerApp.allow_root = True  # noqa: F821 - CI and this machine run as root
c.ServerApp.jpserver_extensions = {"jupyter_mlready": True}  # noqa: F821 - also without the installed config
