"""Render report.html and summary.md from a readiness.json document.

jinja2 is imported inside the functions: ``%load_ext jupyter_mlready`` must stay fast.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

from ..errors import MlreadyError
from ..formatting import anchor, truncate
from .context import build_context

HTML_NAME = "report.html"
MARKDOWN_NAME = "summary.md"
MARKDOWN_LIMIT = 60_000  # GitHub refuses comments over 65,536 characters
HTML_TEMPLATE = "report.html.j2"
MARKDOWN_TEMPLATE = "summary.md.j2"

# The one script of the page: copy buttons. It is static (no data inside); the page's
# Content-Security-Policy allows exactly this script by its hash, and nothing else.
COPY_SCRIPT = """
document.querySelectorAll('button[data-copy]').forEach(function (b) {
  b.hidden = false;
  b.addEventListener('click', function () {
    var src = document.getElementById(b.getAttribute('data-copy'));
    if (!src || !navigator.clipboard) { return; }
    navigator.clipboard.writeText(src.textContent).then(function () {
      b.textContent = 'Copied'; setTimeout(function () { b.textContent = 'Copy'; }, 1500);
    });
  });
});
"""


def template_dirs() -> list[Path]:
    """Templates shipped in the wheel first, then the repository's templates/ (editable install)."""
    import jupyter_mlready

    pkg = Path(jupyter_mlready.__file__).resolve().parent
    return [d for d in (pkg / "templates", pkg.parent / "templates") if d.is_dir()]


def _environment(markdown: bool = False):
    try:
        import jinja2
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise MlreadyError("jinja2 is needed to render the report: pip install jinja2") from exc
    dirs = template_dirs()
    if not dirs:
        raise MlreadyError(
            "The report templates were not found (templates/report.html.j2). "
            "Reinstall jupyter_mlready."
        )
    if markdown:
        from .markdown import code_block, finalize, html_text, inline_code, link_url, md_escape

        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader([str(d) for d in dirs]),
            autoescape=False,
            finalize=finalize,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        env.filters.update(
            code=code_block, icode=inline_code, md=md_escape, html=html_text, url=link_url
        )
    else:
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader([str(d) for d in dirs]),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
    env.globals["anchor"] = anchor
    env.filters["truncate_text"] = truncate
    return env


def script_hash(script: str = COPY_SCRIPT) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()


def render_html(doc: dict, out: Path | None = None, context: dict | None = None) -> str:
    """report.html as a string: self-contained, no network requests, data escaped."""
    ctx = context or build_context(doc, out)
    env = _environment()
    from markupsafe import Markup

    # The script is a constant of this module (no data in it): Markup keeps it byte-identical
    # to what script_hash() hashed.
    return env.get_template(HTML_TEMPLATE).render(
        **ctx, copy_script=Markup(COPY_SCRIPT), script_hash=script_hash()
    )


def render_markdown(
    doc: dict,
    out: Path | None = None,
    report_url: str | None = None,
    context: dict | None = None,
    limit: int = MARKDOWN_LIMIT,
) -> str:
    """summary.md as a string, under ``limit`` characters: less detail when it would not fit."""
    ctx = context or build_context(doc, out, report_url)
    if report_url:
        ctx = {**ctx, "report_url": report_url}
    template = _environment(markdown=True).get_template(MARKDOWN_TEMPLATE)
    text = ""
    for detail in ("full", "compact", "minimal"):
        text = template.render(**ctx, detail=detail, limit=limit)
        if len(text) <= limit:
            return text
    # Still too long (thousands of failing checks): cut at a line outside any fenced block.
    note = (
        "\n\n_Truncated to fit a pull-request comment: see the full report "
        f"({ctx['report_url']})._\n"
    )
    cut = text[: limit - len(note)]
    cut = cut[: cut.rfind("\n")] if "\n" in cut else cut
    if cut.count("```") % 2:
        cut += "\n```"
    return cut + note


def write_reports(doc: dict, out: Path, report_url: str | None = None) -> dict[str, Path]:
    """Write report.html and summary.md into ``out``; returns their paths by kind."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    ctx = build_context(doc, out, report_url)
    paths = {"html": out / HTML_NAME, "markdown": out / MARKDOWN_NAME}
    for kind, text in (
        ("html", render_html(doc, out, ctx)),
        ("markdown", render_markdown(doc, out, report_url, ctx)),
    ):
        tmp = paths[kind].with_suffix(paths[kind].suffix + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(paths[kind])
    return paths


def write_reports_safely(doc: dict, out: Path, report_url: str | None = None) -> str | None:
    """:func:`write_reports` that never raises: returns what failed (None when both were written).

    Used after readiness.json is written, so a rendering bug cannot lose the result."""
    try:
        write_reports(doc, out, report_url)
    except Exception as exc:
        return truncate(f"{type(exc).__name__}: {exc}", 1000)
    return None


def load_document(folder: Path) -> dict:
    """readiness.json of ``folder`` (or the file itself); MlreadyError with the fix otherwise."""
    path = Path(folder)
    if path.is_dir():
        path = path / "readiness.json"
    if not path.is_file():
        raise MlreadyError(
            f"{path} does not exist. Pass the output folder of `mlready check` "
            "(it holds readiness.json)."
        )
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise MlreadyError(
            f"{path} is not valid JSON ({exc}). Re-run `mlready check` to rewrite it."
        ) from exc
    if (
        not isinstance(doc, dict)
        or "verdict" not in doc
        or not isinstance(doc.get("checks", []), list)
    ):
        raise MlreadyError(
            f"{path} is not a readiness.json document (no verdict or checks). "
            "Re-run `mlready check` to rewrite it."
        )
    from ..readiness import READABLE

    version = doc.get("schema_version", 1)
    if version not in READABLE:
        raise MlreadyError(
            f"{path} has readiness.json schema_version {str(version)[:20]}; this jupyter_mlready "
            f"reads {', '.join(map(str, READABLE))}. Upgrade jupyter_mlready: "
            "pip install -U jupyter_mlready"
        )
    if doc["verdict"] not in ("ready", "not_ready", "error"):
        raise MlreadyError(
            f"{path}: unknown verdict {str(doc['verdict'])[:40]!r}; expected ready, "
            "not_ready or error."
        )
    return doc


def render_view_html(view) -> str:
    """One report view (a ``views.View``) as an HTML fragment, the way report.html shows it
    (without links to check entries): for the validation notebook's outputs."""
    env = _environment()
    macros = env.get_template("views.html.j2").module
    return str(macros.view(view, None))


def render_view_text(view, max_rows: int = 8) -> str:
    """One report view as plain text: its title, summary, tables (first rows) and facts."""
    lines = [view.title + (f": {view.summary}" if view.summary else "")]

    def blocks(items, indent=""):
        for b in items:
            if b.kind == "table":
                lines.append(indent + " | ".join(b.columns))
                for row in b.rows[:max_rows]:
                    lines.append(indent + " | ".join(c.text for c in row))
                if len(b.rows) > max_rows:
                    lines.append(f"{indent}… {len(b.rows) - max_rows} more rows")
            elif b.kind == "bars":
                lines.append(indent + ", ".join(f"{label} {value}" for label, _, value in b.items))
            elif b.kind == "facts":
                lines.append(indent + "; ".join(f"{k} {v}" for k, v in b.items))
            elif b.kind == "histogram":
                lines.append(f"{indent}{b.title}: {b.low} … {b.high}")
            elif b.kind == "panel":
                lines.append(indent + b.title)
                blocks(b.blocks, indent + "  ")

    blocks(view.blocks)
    lines += list(view.notes)
    return "\n".join(lines)
