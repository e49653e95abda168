"""Escaping for GitHub-flavored Markdown: the Markdown counterpart of HTML autoescaping.

The Markdown environment's ``finalize`` escapes every value printed by a template unless it is
an :class:`MdSafe` string made by one of the helpers below, so data (column names, messages,
file names) never turns into markup, HTML, links or table cells.
"""

from __future__ import annotations

import re

# Inline-significant characters. Line-start syntax (-, +, =, 1.) cannot occur: values are
# printed mid-line and newlines are folded; "(" only matters after "]", which is escaped.
_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#!|~&$])")


class MdSafe(str):
    """A string already in Markdown form: printed as is."""


def md_escape(value) -> str:
    """Plain text as inline Markdown: one line, every character that starts inline syntax in GFM
    (emphasis, code, links, raw HTML, tables, strikethrough, math) backslash-escaped."""
    if isinstance(value, MdSafe):
        return value
    text = "" if value is None else str(value)
    text = " ".join(text.split())  # newlines would end a table row or a list item
    return MdSafe(_SPECIAL.sub(r"\\\1", text))


def code_block(text, lang: str = "") -> MdSafe:
    """A fenced code block whose fence is longer than any backtick run inside it."""
    body = "" if text is None else str(text)
    longest = max((len(m) for m in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    lang = re.sub(r"[^A-Za-z0-9_+-]", "", lang)
    return MdSafe(f"{fence}{lang}\n{body.rstrip()}\n{fence}")


def inline_code(text) -> MdSafe:
    """Inline code, robust to backticks inside; one line. Pipes are escaped for table cells."""
    body = " ".join(("" if text is None else str(text)).split())
    longest = max((len(m) for m in re.findall(r"`+", body)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if body.startswith("`") or body.endswith("`") or not body else ""
    return MdSafe(f"{ticks}{pad}{body.replace('|', chr(92) + '|')}{pad}{ticks}")


def html_text(value) -> MdSafe:
    """Text inside raw HTML (``<summary>``, ``<code>``): HTML-escaped, since Markdown escapes
    do not apply there."""
    import html

    return MdSafe(html.escape(" ".join(("" if value is None else str(value)).split()), quote=True))


def link_url(value) -> MdSafe:
    """A link destination: relative paths and http(s) URLs only, percent-encoded."""
    from urllib.parse import quote

    url = "" if value is None else str(value).strip()
    scheme = url.split(":", 1)[0].lower() if ":" in url.split("/", 1)[0] else ""
    if scheme not in ("", "http", "https"):
        url = "report.html"
    return MdSafe(quote(url, safe=":/?#&=%~+@!$,;*'"))


def finalize(value):
    """Jinja ``finalize`` for Markdown templates: escape whatever is not MdSafe."""
    if isinstance(value, MdSafe):
        return value
    return md_escape(value)
