"""The notebook view of ``%mlready check``: live progress per stage, then the verdict and checklist.

Two renditions of one result, built from the same Readiness record:

* ``ReadinessView`` — ipywidgets: a progress bar per pipeline stage while the check runs, then a
  verdict header and an accordion with one row per check (evidence, repro with a copy button,
  remedy) and links to report.html and the registered model version.
* ``result_html`` / ``result_bundle`` (``jupyter_mlready.report.notebook``) — static HTML + text
  for front ends without widgets (papermill / nbconvert output, CI logs). Every output that
  carries the widget also carries these, so a saved notebook never holds only a widget reference.

Everything taken from data (ids, summaries, evidence, column names) is escaped or shown as text.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .readiness import Readiness
from .report.notebook import (  # noqa: F401 - the static renditions, re-exported
    check_detail_html,
    escape,
    header_html,
    headline,
    links,
    links_html,
    remedy_commands,
    remedy_html,
    result_bundle,
    result_html,
    row_title,
    sorted_checks,
)

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
UPDATE_EVERY = 0.1  # seconds between widget updates from one stage


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
            from .stages.chain import SHOWN

            stages = SHOWN
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
        link_html = links_html(result, self.start)
        if link_html:
            from IPython.display import HTML

            self.links.append_display_data(HTML(f'<div class="mlready-links">{link_html}</div>'))
        checks = sorted_checks(result)
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
            f"{escape(type(exc).__name__)}: {escape(exc)}</div>"
        )
        if self._handle is not None:
            self._handle.update(
                {
                    WIDGET_MIME: self.bundle()[WIDGET_MIME],
                    "text/plain": f"mlready: the check crashed: {type(exc).__name__}: {exc}",
                },
                raw=True,
            )


def live_view(
    ipython, start: Path | None = None, stages: tuple[str, ...] | None = None
) -> ReadinessView | None:
    """A displayed view when the shell has a widget front end (a Jupyter kernel), else None;
    ``stages``: the progress rows (default: the check's stages)."""
    if getattr(ipython, "kernel", None) is None or os.environ.get("MLREADY_WIDGET", "1") == "0":
        return None
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        return None
    view = ReadinessView(stages=stages, start=start)
    view.display()
    return view
