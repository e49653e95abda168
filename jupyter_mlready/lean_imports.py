"""Keep two optional imports out of the processes ``mlready`` owns.

``nbformat`` (used by papermill) validates notebooks with ``jsonschema``, and ``jsonschema``
imports ``rfc3987-syntax`` when it is installed (jupyter_server's ``jsonschema[format-nongpl]``
pulls it in) to check the "iri" string formats; that import compiles 38 Lark grammars and costs
0.75-2 s on this class of machine. Notebook validation never checks an IRI format, so the
processes we own — the ``mlready`` command and the kernel the CLI re-runs a notebook in, once
the notebook's own cells are done — skip it. Not applied to a user's live kernel (``%mlready``).

papermill imports ``pyarrow.fs`` for its HDFS handler (``hdfs://`` notebook paths), and with it
pyarrow and numpy: 37 MB and 0.2 s in the ``mlready check`` process, which lives beside the two
kernels and the scoring server for the whole check. That process reads and writes local notebooks
and JSON only, so it skips the handler (:func:`skip_hdfs_handler`).
"""

from __future__ import annotations

import sys

OPTIONAL = "rfc3987_syntax"


def skip_iri_format_grammar() -> bool:
    """Make ``import rfc3987_syntax`` fail (jsonschema then skips the IRI formats), unless
    jsonschema or the module is already loaded. Returns whether it took effect."""
    return _keep_out(OPTIONAL, "jsonschema")


HDFS = "pyarrow.fs"


def skip_hdfs_handler() -> bool:
    """Make ``import pyarrow.fs`` fail in this process (papermill then has no HDFS handler),
    unless pyarrow is already loaded. Only for a process that reads no Parquet (pandas' reader
    imports ``pyarrow.fs``). Returns whether it took effect."""
    return _keep_out(HDFS, "pyarrow")


def _keep_out(module: str, importer: str) -> bool:
    """Make ``import module`` raise ImportError, unless it or ``importer`` (what loads it) is
    already loaded. Returns whether it took effect."""
    if importer in sys.modules or module in sys.modules:
        return False
    # The import system raises ImportError for a None entry (documented in the language
    # reference); typeshed types sys.modules as dict[str, ModuleType], so it rejects None.
    sys.modules[module] = None  # type: ignore[assignment]
    return True
