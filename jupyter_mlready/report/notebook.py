"""The result of a check for notebook front ends: static, escaped HTML and plain text.

What the widget shows once a check is done, and what a saved notebook, papermill or nbconvert
output keeps when there are no widgets: the verdict, the checklist (evidence, repro with a copy
button, remedy), the error with its remedy and the commands that resolve it, and links to the
report and the registered version. Everything taken from data is escaped or shown as text.
"""

from __future__ import annotations

import html
import json
import os
from pathlib import Path

from ..readiness import FILENAME, Readiness
from ..records import STATUS_ICONS, STATUS_ORDER, VERDICT_LABELS, count_statuses
from .text import waiver_lines, waiver_problems

VERDICT_COLORS = {
    "ready": "#1a7f37",
    "not_ready": "#cf222e",
    "error": "#9a6700",
    "ok": "#1a7f37",
    "alert": "#cf222e",
}
STATUS_COLORS = {
    "pass": "#1a7f37",
    "warn": "#9a6700",
    "fail": "#cf222e",
    "error": "#cf222e",
    "skip": "#57606a",
    "waived": "#57606a",
}
EVIDENCE_CHARS = 4000
# Copies the text of the <pre> right after the button. Static: no data is interpolated into it.
COPY_JS = (
    "var t=this.nextElementSibling.textContent,b=this;"
    "navigator.clipboard.writeText(t).then(function(){b.textContent='Copied'},"
    "function(){b.textContent='Select and copy'});"
)


def escape(value: object) -> str:
    return html.escape(str(value), quote=True)


def sorted_checks(result: Readiness) -> list[dict]:
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
        document = "monitor.json" if result.data.get("kind") == "monitor" else FILENAME
        for name in ("report.html", "summary.md", document):
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
    run = result.data.get("monitor_run") or {}
    tracking = str(model.get("tracking_uri") or "")
    if run.get("run_id") and tracking.startswith(("http://", "https://")):
        found.append(
            (
                "MLflow: this batch's run",
                f"{tracking.rstrip('/')}/#/experiments/{run.get('experiment_id')}"
                f"/runs/{run['run_id']}",
            )
        )
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


def links_html(result: Readiness, start: Path | None) -> str:
    items = []
    for label, href in links(result, start):
        if href:
            items.append(
                f'<a href="{escape(href)}" target="_blank" rel="noopener">{escape(label)}</a>'
            )
        else:
            items.append(f"<code>{escape(label)}</code>")
    return " · ".join(items)


def _evidence_text(evidence: object) -> str:
    text = json.dumps(evidence, indent=1, default=str, ensure_ascii=False)
    return (
        text
        if len(text) <= EVIDENCE_CHARS
        else text[:EVIDENCE_CHARS] + "\n… (truncated; see readiness.json)"
    )


def waiver_html(check: dict) -> str:
    """The check's waiver: waived (was warn / fail) with each waiver's reason, owner and expiry;
    or that the waiver expired or did not apply. Empty without one."""
    lines = waiver_lines(check)
    if not lines:
        return ""
    head, *waivers = lines
    label, _, note = head.partition(": ")
    items = "".join(f"<li>{escape(w.strip())}</li>" for w in waivers)
    return (
        f'<div class="mlready-waiver"><b>{escape(label[:1].upper() + label[1:])}:</b> '
        f"{escape(note)}{'<ul>' + items + '</ul>' if items else ''}</div>"
    )


def check_detail_html(check: dict) -> str:
    """The expanded part of one row: its waiver, evidence, repro (with a copy button), remedy."""
    parts = []
    if check.get("waiver"):
        parts.append(waiver_html(check))
    if check.get("remedy"):
        parts.append(f"<p><b>Remedy:</b> {escape(check['remedy'])}</p>")
    if check.get("repro"):
        parts.append(
            '<div class="mlready-repro"><b>Repro</b> '
            '<button class="mlready-copy" title="Copy the snippet" '
            f'onclick="{escape(COPY_JS)}">Copy</button>'
            f'<pre style="white-space:pre-wrap">{escape(check["repro"])}</pre></div>'
        )
    if check.get("evidence"):
        parts.append(
            f'<b>Evidence</b><pre style="white-space:pre-wrap;max-height:20em;overflow:auto">'
            f"{escape(_evidence_text(check['evidence']))}</pre>"
        )
    if not parts:
        parts.append("<p><i>No further evidence recorded.</i></p>")
    return '<div class="mlready-detail" style="line-height:1.4">' + "\n".join(parts) + "</div>"


def row_title(check: dict) -> str:
    """One checklist line as plain text: icon, status, id, summary."""
    status = check.get("status", "?")
    icon = STATUS_ICONS.get(status, "?")
    raw = check.get("waiver")
    record = raw if isinstance(raw, dict) else {}
    if status == "waived":
        status = f"waived (was {record.get('status')})"
    elif record.get("state") == "expired":
        status += " (waiver expired)"
    return f"{icon} {status.upper():5}  {check.get('id')} — {check.get('summary', '')}"


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
        parts.append(f"<div><b>Remedy:</b> {escape(err['remedy'])}</div>")
    for command in remedy_commands(err):
        parts.append(
            f'<div class="mlready-remedy-action"><button class="mlready-copy" '
            f'title="Copy the command" onclick="{escape(COPY_JS)}">Copy</button>'
            f'<pre style="display:inline;margin-left:.5em">{escape(command)}</pre></div>'
        )
    return f'<div style="line-height:1.4">{"".join(parts)}</div>' if parts else ""


def header_html(result: Readiness) -> str:
    color = VERDICT_COLORS.get(result.verdict, "#57606a")
    out = [
        f'<div class="mlready-verdict" data-verdict="{escape(result.verdict)}" '
        f'style="font-size:1.3em;font-weight:bold;line-height:1.4;color:{color}">'
        f"mlready: {escape(headline(result))}</div>"
    ]
    err = result.data.get("error")
    if err:
        out.append(
            f'<div style="line-height:1.4"><b>Error in {escape(err.get("stage"))}:</b> '
            f"{escape(err.get('type', ''))}: {escape(err.get('message', ''))}</div>"
        )
        out.append(remedy_html(err))
    for problem in waiver_problems(result.data):
        out.append(f'<div style="line-height:1.4"><b>Waiver:</b> {escape(problem)}</div>')
    return "\n".join(out)


def result_html(result: Readiness, start: Path | None = None) -> str:
    """A self-contained, escaped HTML rendition of the result (no widgets, no scripts needed)."""
    rows = []
    for c in sorted_checks(result):
        color = STATUS_COLORS.get(c.get("status", ""), "#57606a")
        rows.append(
            f'<details class="mlready-check" data-status="{escape(c.get("status"))}">'
            f'<summary style="color:{color}">{escape(row_title(c))}</summary>'
            f'<div style="margin-left:1.5em">{check_detail_html(c)}</div></details>'
        )
    link_html = links_html(result, start)
    return (
        f'<div class="mlready-result">{header_html(result)}'
        f"{'<p>' + link_html + '</p>' if link_html else ''}"
        f"{''.join(rows)}</div>"
    )


def result_bundle(result: Readiness, start: Path | None = None) -> dict:
    """``text/html`` + ``text/plain`` renditions of a result."""
    return {"text/html": result_html(result, start), "text/plain": result.summary_text()}
