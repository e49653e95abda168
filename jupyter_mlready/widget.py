"""The notebook view of ``%mlready check``: live progress per stage, then the verdict and checklist.

Two renditions of one result, built from the same Readiness record:

* ``ReadinessView`` — ipywidgets: a progress bar per pipeline stage while the check runs, then a
  verdict header and an accordion with one row per check (evidence, repro with a copy button,
  remedy) and links to report.html and the registered model version.
* ``result_html`` / ``result_bundle`` — static HTML + text for front ends without widgets
  (papermill / nbconvert output, CI logs). Every output that carries the widget also carries
  these, so a saved notebook never holds only a widget reference.

Everything taken from data (ids, summaries, evidence, column names) is escaped or shown as text.
"""

from __future__ import annotations

import html
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .readiness import FILENAME, Readiness
from .records import STATUS_ICONS, STATUS_ORDER, VERDICT_LABELS, count_statuses

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
VERDICT_COLORS = {"ready": "#1a7f37", "not_ready": "#cf222e", "error": "#9a6700"}
STATUS_COLORS = {
    "pass": "#1a7f37",
    "warn": "#9a6700",
    "fail": "#cf222e",
    "error": "#cf222e",
    "skip": "#57606a",
}
EVIDENCE_CHARS = 4000
UPDATE_EVERY = 0.1  # seconds between widget updates from one stage
# Copies the text of the <pre> right after the button. Static: no data is interpolated into it.
COPY_JS = (
    "var t=this.nextElementSibling.textContent,b=this;"
    "navigator.clipboard.writeText(t).then(function(){b.textContent='Copied'},"
    "function(){b.textContent='Select and copy'});"
)


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _sorted_checks(result: Readiness) -> list[dict]:
    return sorted(result.checks, key=lambda c: STATUS_ORDER.get(c.get("status", ""), 9))


def headline(result: Readiness) -> str:
    """``Not ready — claims_fraud (classification, sklearn): 2 fail, 14 pass`` (plain text)."""
    model = result.data.get("model") or {}
    text = VERDICT_LABELS.get(result.verdict, result.verdict)
    if model.get("name"):
        text += f" — {model['name']} ({model.get('task', '?')}, {model.get('flavor', '?')})"
    counts = count_statuses(c["status"] for c in result.checks)
    return text + ": " + ", ".join(f"{n} {s}" for s, n in counts)


def links(result: Readiness, start: Path | None = None) -> list[tuple[str, str | None]]:
    """(label, href or None) for report.html, summary.md, readiness.json and the model version.

    hrefs are relative to ``start`` (the notebook's folder) so JupyterLab opens them in place.
    """
    start = start or Path.cwd()
    found: list[tuple[str, str | None]] = []
    if result.out:
        for name in ("report.html", "summary.md", FILENAME):
            path = Path(result.out) / name
            if path.exists():
                try:
                    href = Path(os.path.relpath(path, start)).as_posix()
                except ValueError:  # another drive
                    href = None
                found.append((name, href if href and not href.startswith("../../..") else None))
    model = result.data.get("model") or {}
    uri = model.get("uri")
    if uri:
        found.append((f"MLflow: {uri}", _mlflow_url(model)))
    return found


def _mlflow_url(model: dict) -> str | None:
    """A link to the model version in the MLflow UI, when the tracking server is an http URL."""
    tracking = model.get("tracking_uri") or os.environ.get("MLFLOW_TRACKING_URI", "")
    uri = str(model.get("uri") or "")
    parts = uri.removeprefix("models:/").split("/")
    if (
        not tracking.startswith(("http://", "https://"))
        or len(parts) != 2
        or not parts[1].isdigit()
    ):
        return None
    return f"{tracking.rstrip('/')}/#/models/{parts[0]}/versions/{parts[1]}"


def _links_html(result: Readiness, start: Path | None) -> str:
    items = []
    for label, href in links(result, start):
        if href:
            items.append(f'<a href="{_e(href)}" target="_blank" rel="noopener">{_e(label)}</a>')
        else:
            items.append(f"<code>{_e(label)}</code>")
    return " · ".join(items)


def _evidence_text(evidence: object) -> str:
    text = json.dumps(evidence, indent=1, default=str, ensure_ascii=False)
    return (
        text
        if len(text) <= EVIDENCE_CHARS
        else text[:EVIDENCE_CHARS] + "\n… (truncated; see readiness.json)"
    )


def check_detail_html(check: dict) -> str:
    """The expanded part of one row: evidence, repro (with a copy button), remedy."""
    parts = []
    if check.get("remedy"):
        parts.append(f"<p><b>Remedy:</b> {_e(check['remedy'])}</p>")
    if check.get("repro"):
        parts.append(
            '<div class="mlready-repro"><b>Repro</b> '
            f'<button class="mlready-copy" title="Copy the snippet" onclick="{_e(COPY_JS)}">Copy</button>'
            f'<pre style="white-space:pre-wrap">{_e(check["repro"])}</pre></div>'
        )
    if check.get("evidence"):
        parts.append(
            f'<b>Evidence</b><pre style="white-space:pre-wrap;max-height:20em;overflow:auto">'
            f"{_e(_evidence_text(check['evidence']))}</pre>"
        )
    if not parts:
        parts.append("<p><i>No further evidence recorded.</i></p>")
    return '<div class="mlready-detail" style="line-height:1.4">' + "\n".join(parts) + "</div>"


def row_title(check: dict) -> str:
    """One checklist line as plain text: icon, status, id, summary."""
    status = check.get("status", "?")
    return f"{STATUS_ICONS.get(status, '?')} {status.upper():5}  {check.get('id')} — {check.get('summary', '')}"


def remedy_commands(err: dict) -> list[str]:
    """The commands that resolve an error, from its fields: ``%mlready check --model clf`` for
    each candidate of a discovery error (its ``flag`` and ``candidates``)."""
    fields = err.get("fields") or {}
    flag, candidates = fields.get("flag"), fields.get("candidates") or []
    if not isinstance(flag, str) or not flag.startswith("--") or not isinstance(candidates, list):
        return []
    option = flag.split()[0]
    return [f"%mlready check {option} {c}" for c in candidates[:8] if isinstance(c, str)]


def remedy_html(err: dict) -> str:
    """The error's remedy, and each command that resolves it with a copy button."""
    parts = []
    if err.get("remedy"):
        parts.append(f"<div><b>Remedy:</b> {_e(err['remedy'])}</div>")
    for command in remedy_commands(err):
        parts.append(
            f'<div class="mlready-remedy-action"><button class="mlready-copy" '
            f'title="Copy the command" onclick="{_e(COPY_JS)}">Copy</button>'
            f'<pre style="display:inline;margin-left:.5em">{_e(command)}</pre></div>'
        )
    return f'<div style="line-height:1.4">{"".join(parts)}</div>' if parts else ""


def header_html(result: Readiness) -> str:
    color = VERDICT_COLORS.get(result.verdict, "#57606a")
    out = [
        f'<div class="mlready-verdict" data-verdict="{_e(result.verdict)}" '
        f'style="font-size:1.3em;font-weight:bold;line-height:1.4;color:{color}">mlready: {_e(headline(result))}</div>'
    ]
    err = result.data.get("error")
    if err:
        out.append(
            f'<div style="line-height:1.4"><b>Error in {_e(err.get("stage"))}:</b> '
            f"{_e(err.get('type', ''))}: {_e(err.get('message', ''))}</div>"
        )
        out.append(remedy_html(err))
    return "\n".join(out)


def result_html(result: Readiness, start: Path | None = None) -> str:
    """A self-contained, escaped HTML rendition of the result (no widgets, no scripts needed)."""
    rows = []
    for c in _sorted_checks(result):
        color = STATUS_COLORS.get(c.get("status", ""), "#57606a")
        rows.append(
            f'<details class="mlready-check" data-status="{_e(c.get("status"))}">'
            f'<summary style="color:{color}">{_e(row_title(c))}</summary>'
            f'<div style="margin-left:1.5em">{check_detail_html(c)}</div></details>'
        )
    link_html = _links_html(result, start)
    return (
        f'<div class="mlready-result">{header_html(result)}'
        f"{'<p>' + link_html + '</p>' if link_html else ''}"
        f"{''.join(rows)}</div>"
    )


def result_bundle(result: Readiness, start: Path | None = None) -> dict:
    """``text/html`` + ``text/plain`` renditions of a result."""
    return {"text/html": result_html(result, start), "text/plain": result.summary_text()}


@dataclass(frozen=True, repr=False)
class ShownReadiness(Readiness):
    """The magic's return value once its view is on screen: the first display (the magic's own
    ``Out``) is skipped so the result is not shown twice; later displays show it again."""

    def _ipython_display_(self) -> None:
        from IPython.display import display

        if self.__dict__.pop("_skip_next_display", False):
            return
        view = ReadinessView(stages=())
        view.show(self)
        display(view.bundle(self), raw=True)


class ReadinessView:
    """The ipywidgets view: progress while a check runs, then the verdict and checklist."""

    def __init__(self, stages: tuple[str, ...] | None = None, start: Path | None = None):
        import ipywidgets as w

        if stages is None:
            from .pipeline import STAGES

            stages = STAGES
        self._w = w
        self.start = start
        self.header = w.HTML(
            '<div style="font-size:1.2em;font-weight:bold">mlready: checking readiness …</div>'
        )
        self.stages: list[str] = []
        self.rows: dict[str, tuple] = {}
        self.reported: list[str] = []
        self.progress_box = w.VBox()
        for stage in stages:
            self._add_stage(stage)
        self.links = w.Output()
        self.checklist = w.Accordion(children=())
        self.widget = w.VBox([self.header, self.progress_box, self.links, self.checklist])
        self.widget.add_class("mlready-view")
        self._last_update = 0.0
        self._started = time.perf_counter()
        self._handle = None

    # -- progress ---------------------------------------------------------------------------
    def _add_stage(self, stage: str, index: int | None = None) -> None:
        w = self._w
        name = w.Label(stage, layout=w.Layout(width="7em"))
        bar = w.FloatProgress(value=0.0, min=0.0, max=1.0, layout=w.Layout(width="16em"))
        step = w.Label("pending")
        row = w.HBox([name, bar, step])
        row.add_class(f"mlready-stage-{stage}")
        self.rows[stage] = (bar, step, row)
        if index is None:
            self.stages.append(stage)
        else:
            self.stages.insert(index, stage)
        self.progress_box.children = tuple(self.rows[s][2] for s in self.stages)

    def progress(self, stage: str, step: str, fraction: float) -> None:
        """The pipeline's ``progress(stage, step, fraction)`` callback."""
        if stage not in self.rows:  # a stage the view did not know: right after the last one seen
            after = self.stages.index(self.reported[-1]) + 1 if self.reported else 0
            self._add_stage(stage, after)
        new_stage = not self.reported or self.reported[-1] != stage
        now = time.perf_counter()
        if not new_stage and fraction < 1.0 and now - self._last_update < UPDATE_EVERY:
            return
        self._last_update = now
        if new_stage:
            for earlier in self.reported:
                self._set(earlier, 1.0, "done", "success")
            if stage not in self.reported:
                self.reported.append(stage)
        self._set(
            stage, max(0.03, min(1.0, float(fraction))), step, "info"
        )  # a sliver: it is running

    def _set(self, stage: str, value: float, text: str, style: str) -> None:
        bar, label, _ = self.rows[stage]
        bar.value = value
        bar.bar_style = style
        label.value = str(text)

    # -- result -----------------------------------------------------------------------------
    def show(self, result: Readiness) -> None:
        """Switch from progress to the result: stage states, verdict, checklist, links."""
        w = self._w
        failed_stage = (result.data.get("error") or {}).get("stage")
        timings = result.data.get("timings") or {}
        for stage in self.stages:
            if stage == failed_stage:
                self._set(stage, 1.0, "failed", "danger")
            elif stage in self.reported or stage in timings:
                secs = timings.get(stage)
                self._set(
                    stage,
                    1.0,
                    f"done in {secs:.2f} s" if isinstance(secs, int | float) else "done",
                    "success",
                )
            else:
                self._set(stage, 0.0, "skipped (not run)", "")
        self.header.value = header_html(result)
        self.links.clear_output()
        link_html = _links_html(result, self.start)
        if link_html:
            from IPython.display import HTML

            self.links.append_display_data(HTML(f'<div class="mlready-links">{link_html}</div>'))
        checks = _sorted_checks(result)
        self.checklist.children = tuple(w.HTML(check_detail_html(c)) for c in checks)
        self.checklist.titles = tuple(row_title(c) for c in checks)
        self.checklist.selected_index = None

    def bundle(self, result: Readiness | None = None) -> dict:
        """The widget reference plus the readable renditions (text/html, text/plain)."""
        data: dict[str, Any] = {
            WIDGET_MIME: {"version_major": 2, "version_minor": 0, "model_id": self.widget.model_id}
        }
        if result is None:
            data["text/plain"] = (
                "mlready: checking readiness … (the live view needs Jupyter widgets)"
            )
        else:
            data.update(result_bundle(result, self.start))
        return data

    # -- the magic's lifecycle --------------------------------------------------------------
    def display(self) -> None:
        from IPython.display import display

        self._handle = display(self.bundle(), raw=True, display_id=True)

    def finish(self, result: Readiness) -> ShownReadiness:
        """Show the result in the displayed view and return what the magic returns."""
        self.show(result)
        if self._handle is not None:
            self._handle.update(self.bundle(result), raw=True)
        shown = ShownReadiness(result.data, result.out)
        shown.__dict__["_skip_next_display"] = self._handle is not None
        return shown

    def fail(self, exc: BaseException) -> None:
        """The check itself raised (a bug): say so in the view instead of freezing it."""
        self.header.value = (
            f'<div style="color:#cf222e;font-weight:bold">mlready: the check crashed: '
            f"{_e(type(exc).__name__)}: {_e(exc)}</div>"
        )
        if self._handle is not None:
            self._handle.update(
                {
                    WIDGET_MIME: self.bundle()[WIDGET_MIME],
                    "text/plain": f"mlready: the check crashed: {type(exc).__name__}: {exc}",
                },
                raw=True,
            )


def live_view(ipython, start: Path | None = None) -> ReadinessView | None:
    """A displayed view when the shell has a widget front end (a Jupyter kernel), else None."""
    if getattr(ipython, "kernel", None) is None or os.environ.get("MLREADY_WIDGET", "1") == "0":
        return None
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        return None
    view = ReadinessView(start=start)
    view.display()
    return view
