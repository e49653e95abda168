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


# JupyterLab / jupyter_server discovery. Kept import-light: jupyter_server loads only on use.
def _jupyter_labextension_paths() -> list[dict]:
    return [{"src": "labextension", "dest": "jupyter-mlready"}]


def _jupyter_server_extension_points() -> list[dict]:
    return [{"module": "jupyter_mlready"}]


def _load_jupyter_server_extension(server_app) -> None:
    from .server import setup_handlers

    setup_handlers(server_app.web_app)
    server_app.log.info("jupyter_mlready: serving /jupyter-mlready/reports")
