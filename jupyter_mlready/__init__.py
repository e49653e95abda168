"""jupyter_mlready: from a notebook model to a tested, versioned, validated artifact.

``%load_ext jupyter_mlready`` registers the ``%mlready`` magic. Everything heavy (pandas,
pandera, mlflow, papermill) is imported only when a check runs, so loading stays fast.
"""

__version__ = "0.1.0"


def load_ipython_extension(ipython) -> None:
    from .magics import register

    register(ipython)


def unload_ipython_extension(ipython) -> None:  # pragma: no cover - nothing to tear down
    pass
