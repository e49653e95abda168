"""The readiness report for reviewers: report.html (self-contained) and summary.md (pull request).

Both are rendered from readiness.json alone (plus contract.json beside it when present), so
``mlready report DIR`` can re-render them without re-running anything.
"""

from __future__ import annotations

from .render import (
    HTML_NAME,
    MARKDOWN_NAME,
    load_document,
    render_html,
    render_markdown,
    write_reports,
    write_reports_safely,
)

__all__ = [
    "HTML_NAME",
    "MARKDOWN_NAME",
    "load_document",
    "render_html",
    "render_markdown",
    "write_reports",
    "write_reports_safely",
]
