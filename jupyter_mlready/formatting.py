"""Compact, size-bounded views of readiness.json values for the report templates.

Nothing here produces markup: values become short plain strings and small tables, and the
templates escape them. Every list is capped and every string truncated, so a report stays small
whatever a check put into its evidence.
"""

from __future__ import annotations

import json
import math
import re

from .records import STATUS_ICONS, STATUS_ORDER, VERDICT_LABELS  # noqa: F401 - re-exported

MAX_STRING = 400  # characters of one value shown inline
MAX_LIST = 50  # items of one list kept anywhere in the report
MAX_TABLE_ROWS = 12  # rows of an evidence table shown inline (the rest: "+N more")
MAX_RAW = 12_000  # characters of one check's raw JSON view
VERDICT_TEXT = {k: v.upper() for k, v in VERDICT_LABELS.items()}

KEY_COLUMNS = ("id", "name", "feature", "column", "metric", "check")
_ISO = re.compile(r"^(\d{4}-\d\d-\d\d)T(\d\d:\d\d)(:\d\d(\.\d+)?)?([+-]\d\d:\d\d|Z)?$")
_FLOAT_NOISE = re.compile(r"^-?\d+\.\d{8,}$")
_SHARE_KEY = re.compile(r"(rate|share|fraction|ratio)(_|$)")


def truncate(text, limit: int = MAX_STRING) -> str:
    """``text`` as a string of at most ``limit`` characters, marking what was cut."""
    s = "" if text is None else str(text)
    if len(s) <= limit:
        return s
    return s[: max(0, limit - 24)] + f"… [{len(s) - limit + 24:,} chars cut]"


def fmt_number(v, key: str = "") -> str:
    """A number as a reviewer reads it: 4 significant digits, thousands separators, % for shares."""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        if not math.isfinite(v):
            return str(v)
        if _SHARE_KEY.search(key.lower()) and 0 <= v <= 1:
            return f"{v:.2%}" if v >= 0.0001 or v == 0 else f"{v:.2g}"
        if v == 0:
            return "0"
        if abs(v) >= 1e9 or abs(v) < 1e-3:
            return f"{v:.3g}"
        if abs(v) >= 1000:
            return f"{v:,.0f}"
        if v.is_integer() and abs(v) < 1e6:
            return f"{int(v):,}"
        return f"{v:.4g}"
    return str(v)


def fmt_value(v, key: str = "", limit: int = MAX_STRING) -> str:
    """Any JSON value as one short line of text."""
    if v is None:
        return "—"
    if isinstance(v, (bool, int, float)):
        return fmt_number(v, key)
    if isinstance(v, str):
        m = _ISO.match(v)
        if m:  # 2024-12-30T00:00:00 -> 2024-12-30, 2022-10-20T02:24:00.5 -> 2022-10-20 02:24
            return (
                m.group(1)
                if m.group(2) == "00:00" and not (m.group(3) or ":00").strip(":0.")
                else f"{m.group(1)} {m.group(2)}"
            )
        if _FLOAT_NOISE.match(v):  # "211732.91999999998": a float written as text
            return fmt_number(float(v), key)
        return truncate(v, limit)
    if isinstance(v, list):
        shown = ", ".join(fmt_value(x, key, 60) for x in v[:8])
        more = f", … (+{len(v) - 8:,})" if len(v) > 8 else ""
        return truncate(f"[{shown}{more}]", limit)
    if isinstance(v, dict):
        shown = ", ".join(f"{k}: {fmt_value(x, str(k), 60)}" for k, x in list(v.items())[:8])
        more = f", … (+{len(v) - 8:,})" if len(v) > 8 else ""
        return truncate(f"{{{shown}{more}}}", limit)
    return truncate(v, limit)


def cap(value, depth: int = 0):
    """A copy of a JSON value with lists capped at MAX_LIST, strings truncated, depth bounded."""
    if isinstance(value, str):
        return truncate(value, 2000)
    if isinstance(value, list):
        out = [cap(v, depth + 1) for v in value[:MAX_LIST]]
        if len(value) > MAX_LIST:
            out.append(f"… {len(value) - MAX_LIST:,} more items not shown")
        return out
    if isinstance(value, dict):
        if depth > 6:
            return truncate(json.dumps(value, default=str), 200)
        items = list(value.items())
        capped = {truncate(k, 200): cap(v, depth + 1) for k, v in items[:200]}
        if len(items) > 200:
            capped["…"] = f"{len(items) - 200:,} more keys not shown"
        return capped
    return value


def raw_json(value) -> str:
    """The capped evidence as indented JSON, for the collapsible raw view."""
    text = json.dumps(cap(value), indent=1, ensure_ascii=False, default=str)
    return truncate(text, MAX_RAW)


def _is_table(v) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(x, dict) for x in v[:MAX_LIST])


def table_view(rows: list[dict], limit: int = MAX_TABLE_ROWS, max_columns: int = 10) -> dict:
    """A list of dicts as {"columns", "rows" (strings), "more"}."""
    columns: list[str] = []
    for r in rows[:MAX_LIST]:
        for k in r:
            if k not in columns:
                columns.append(k)
    # identifying columns first, whatever order the check wrote them in
    columns.sort(key=lambda k: 0 if str(k) in KEY_COLUMNS else 1)
    columns = columns[:max_columns]
    body = [[fmt_value(r.get(c), str(c), 120) for c in columns] for r in rows[:limit]]
    return {
        "columns": [truncate(c, 60) for c in columns],
        "rows": body,
        "more": max(0, len(rows) - limit),
    }


def evidence_view(evidence: dict, skip_keys: tuple[str, ...] = ()) -> list[dict]:
    """Evidence as display items: ``scalar`` (key, text), ``table`` (key, columns, rows, more),
    and ``text`` (key, a long string such as a traceback, shown preformatted)."""
    items = []
    if not isinstance(evidence, dict):
        return [{"kind": "scalar", "key": "value", "text": fmt_value(evidence)}]
    for key, value in list(evidence.items())[:60]:
        key = str(key)
        if key in skip_keys or value in (None, "", [], {}):
            continue
        label = truncate(key.replace("_", " "), 80)
        if _is_table(value):
            items.append({"kind": "table", "key": label, **table_view(value)})
        elif isinstance(value, str) and ("\n" in value or len(value) > 160):
            items.append({"kind": "text", "key": label, "text": truncate(value, 3000)})
        else:
            items.append({"kind": "scalar", "key": label, "text": fmt_value(value, key)})
    return items


def anchor(check_id: str) -> str:
    """A stable, attribute-safe anchor for a check id."""
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", str(check_id))[:80] or "check"
    if slug != check_id:
        import hashlib

        slug += "-" + hashlib.sha1(str(check_id).encode()).hexdigest()[:6]
    return "check-" + slug


def short_hash(h) -> str:
    return str(h)[:12] if h else "—"
