"""Tornado handlers: parse the request, await the scan in a thread, answer JSON."""

from __future__ import annotations

import asyncio
import json

import tornado.web
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join

from .reports import ReportError, get_report, list_reports

NAMESPACE = "jupyter-mlready"


class ReportsHandler(APIHandler):
    """``GET /jupyter-mlready/reports[?path=<notebook>]``: all results, or one notebook's."""

    @property
    def root_dir(self) -> str:
        return self.settings.get("server_root_dir") or self.contents_manager.root_dir

    @tornado.web.authenticated
    async def get(self) -> None:
        path = self.get_query_argument("path", None)
        try:
            if path is None:
                data = await asyncio.to_thread(list_reports, self.root_dir)
            else:
                data = await asyncio.to_thread(get_report, self.root_dir, path)
        except ReportError as exc:
            raise tornado.web.HTTPError(
                exc.status, reason=_reason(exc.status), log_message=str(exc)
            ) from exc
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(data))

    def write_error(self, status_code: int, **kwargs) -> None:
        """JSON errors: ``{"status": ..., "error": ..., "message": ...}``."""
        message = self._reason
        exc_info = kwargs.get("exc_info")
        if exc_info and isinstance(exc_info[1], tornado.web.HTTPError) and exc_info[1].log_message:
            message = exc_info[1].log_message
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"status": status_code, "error": self._reason, "message": message}))


def _reason(status: int) -> str:
    return {400: "Bad Request", 404: "Not Found", 500: "Internal Server Error"}.get(status, "Error")


ROUTES = [("reports", ReportsHandler)]


def setup_handlers(web_app) -> None:
    base_url = web_app.settings["base_url"]
    web_app.add_handlers(
        ".*$", [(url_path_join(base_url, NAMESPACE, route), handler) for route, handler in ROUTES]
    )
