"""Data from notebooks and models is shown as text: never as markup in report.html or summary.md."""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

from jupyter_mlready.report import load_document, write_reports
from jupyter_mlready.report.markdown import code_block, html_text, inline_code, md_escape

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "readiness"
IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "</script><script>alert(2)</script>"


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.handlers: list[str] = []
        self.text = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.handlers += [k for k, _ in attrs if k.startswith("on")]

    def handle_data(self, data):
        self.text.append(data)


def hostile(tmp_path) -> tuple[str, str]:
    out = tmp_path / "hostile"
    shutil.copytree(FIXTURES / "hostile", out)
    paths = write_reports(load_document(out), out)
    return paths["html"].read_text(encoding="utf-8"), paths["markdown"].read_text(encoding="utf-8")


def test_fixture_really_is_hostile():
    raw = (FIXTURES / "hostile" / "readiness.json").read_text()
    assert IMG in raw and SCRIPT in raw
    assert IMG in (FIXTURES / "hostile" / "contract.json").read_text()


def test_html_escapes_payloads_everywhere(tmp_path):
    html, _ = hostile(tmp_path)
    assert IMG not in html and "<img" not in html
    assert SCRIPT not in html and html.count("<script") == 1
    parsed = Tags()
    parsed.feed(html)
    assert "img" not in parsed.tags
    assert parsed.tags.count("script") == 1
    assert parsed.handlers == []
    text = "".join(parsed.text)
    # ... and the payloads are visible as text: column name, category value, model name, file names
    assert IMG in text and SCRIPT in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    # inside the contract table and the drift table and SVG labels
    contract = html.split('id="contract"')[1].split("</section>")[0]
    assert "&lt;/script&gt;&lt;script&gt;alert(2)&lt;/script&gt;" in contract
    drift = html.split('id="drift"')[1].split("</section>")[0]
    assert "&lt;img src=x onerror=alert(1)&gt;" in drift


def test_anchor_of_hostile_check_id_is_attribute_safe(tmp_path):
    html, _ = hostile(tmp_path)
    ids = re.findall(r'id="(check-[^"]*)"', html)
    assert ids and all(re.fullmatch(r"check-[A-Za-z0-9_.-]+", i) for i in ids)


def _outside_code(md: str) -> str:
    md = re.sub(r"(?ms)^(`{3,})[^\n]*\n.*?^\1\s*$", "", md)  # fenced blocks
    return re.sub(r"(`+)(.+?)\1", "", md)  # code spans


def test_markdown_escapes_payloads(tmp_path):
    _, md = hostile(tmp_path)
    prose = _outside_code(md)
    # no raw HTML from data outside code: every "<" left is escaped or one of our own tags
    for m in re.finditer(r"(?<!\\)<(/?)([a-zA-Z]+)", prose):
        assert m.group(2) in ("details", "summary", "b", "code"), prose[
            max(0, m.start() - 40) : m.end() + 40
        ]
    assert "[x](javascript" not in prose and "\\[x\\](javascript" in prose
    # inside <summary> (raw HTML), data is HTML-escaped, not backslash-escaped
    assert "<code>thirdparty.&lt;img src=x onerror=alert(1)&gt;</code>" in md
    # the repro's own ``` cannot close the fence around it
    assert "````python" in md


def test_markdown_helpers():
    assert md_escape("a_b *c* <img> | [x](y)") == r"a\_b \*c\* \<img\> \| \[x\](y)"
    assert md_escape("two\nlines") == "two lines"
    assert code_block("x = '```'", "python").startswith("````python\n")
    assert inline_code("a`b") == "``a`b``"
    assert inline_code("x|y") == "`x\\|y`"
    assert html_text("<b>&") == "&lt;b&gt;&amp;"
