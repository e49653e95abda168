"""What a check's report view returns: generic tables and plot data, no markup.

A check (or a section of checks) registers a view function; it reads the check's result from
readiness.json and returns a :class:`View`. Every rendering in ``jupyter_mlready.report`` (the
HTML report, the validation notebook's outputs) lays these records out the same way, so a new
check gets a report section without touching a template. Values are plain strings, already
shortened (see :mod:`jupyter_mlready.formatting`); the renderers escape them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar


@dataclass(frozen=True)
class Bar:
    """A horizontal bar inside a table cell: ``fraction`` of the cell's width, with optional
    threshold ticks (fraction, status)."""

    fraction: float
    status: str = "pass"
    ticks: tuple[tuple[float, str], ...] = ()


@dataclass(frozen=True)
class Cell:
    """One table cell: text plus optional emphasis, a status dot or chip, a link to a check's
    entry, a bar, small extra lines and preformatted examples."""

    text: str = ""
    status: str | None = None  # a coloured dot before the text
    chip: bool = False  # show the status as a chip instead of a dot
    strong: bool = False
    muted: bool = False
    code: bool = False
    link: str | None = None  # the id of a check whose entry the text links to
    bar: Bar | None = None
    lines: tuple[str, ...] = ()  # small lines under the text
    examples: tuple[str, ...] = ()  # preformatted blocks (shrunk examples)


@dataclass(frozen=True)
class Table:
    """Rows of cells under column titles; ``numeric`` columns are right-aligned; ``muted_rows``
    are shown grey (reported, not deciding)."""

    kind: ClassVar[str] = "table"

    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    numeric: tuple[int, ...] = ()
    muted_rows: tuple[int, ...] = ()
    note: str | None = None


@dataclass(frozen=True)
class Bars:
    """A small bar chart: (label, fraction of the longest bar, value text) per bar."""

    kind: ClassVar[str] = "bars"

    title: str
    items: tuple[tuple[str, float, str], ...]


@dataclass(frozen=True)
class Histogram:
    """Column heights as fractions of the tallest, with the range's ends as text."""

    kind: ClassVar[str] = "histogram"

    title: str
    heights: tuple[float, ...]
    labels: tuple[str, ...]  # one hover text per column
    low: str
    high: str


@dataclass(frozen=True)
class Facts:
    """Key / value pairs shown inline."""

    kind: ClassVar[str] = "facts"

    items: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Panel:
    """Blocks shown side by side under a small title (e.g. one per latency series)."""

    kind: ClassVar[str] = "panel"

    title: str
    blocks: tuple[Block, ...]


Block = Table | Bars | Histogram | Facts | Panel


@dataclass(frozen=True)
class View:
    """One section of the report: a title, an optional status and summary, and blocks.

    ``anchor`` is the section's id in the page; ``check`` the id of the check whose entry
    "details" links to; ``notes`` are small print under the blocks."""

    anchor: str
    title: str
    blocks: tuple[Block, ...] = ()
    summary: str | None = None
    status: str | None = None
    check: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    shows: tuple[str, ...] = ()  # evidence keys shown in full here (the check's entry links here)
    nav: str = ""  # short title for the page's table of contents (default: the title)
