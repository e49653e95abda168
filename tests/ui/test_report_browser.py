"""report.html in a real browser: headless Debian Chromium opens it from disk with the network
blocked, with scripts on and off. Screenshots are kept in test-artifacts/ for a human to look at."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from jupyter_mlready.report import load_document, write_reports

pytestmark = pytest.mark.ui

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "readiness"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or (
    "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
)
# Requests Chromium makes on its own (component updates, time, accounts): not from the page.
BROWSER_HOSTS = ("google.com", "googleapis.com", "gstatic.com", "gvt1.com")

needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed: `make chromium` (apt-get install chromium)"
)


def chromium(
    tmp_path: Path, url: str, *extra: str, timeout: int = 120
) -> subprocess.CompletedProcess:
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    cmd = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        # the network is off: no proxy answers, no name resolves
        "--proxy-server=127.0.0.1:9",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--virtual-time-budget=3000",
        *extra,
        url,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def rendered(name: str, tmp_path: Path) -> Path:
    out = tmp_path / name
    shutil.copytree(FIXTURES / name, out)
    return write_reports(load_document(out), out)["html"]


class Dom(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_title = tag == "title"

    def handle_endtag(self, tag):
        self._in_title = False if tag == "title" else self._in_title

    def handle_data(self, data):
        if self._in_title:
            self.title += data


def dump_dom(tmp_path: Path, html: Path, *extra: str) -> tuple[str, Dom]:
    result = chromium(tmp_path, html.as_uri(), "--dump-dom", *extra)
    assert result.returncode == 0, result.stderr[-2000:]
    dom = Dom()
    dom.feed(result.stdout)
    return result.stdout, dom


@needs_chromium
def test_hostile_names_are_text_and_no_data_script_runs(tmp_path):
    html = rendered("hostile", tmp_path)
    netlog = tmp_path / "netlog.json"
    text, dom = dump_dom(tmp_path, html, f"--log-net-log={netlog}")
    # the payloads set document.title to PWNED, add <img onerror>, or a second <script>, if they ran
    assert "PWNED" not in dom.title and dom.title.startswith("mlready: NOT READY")
    assert [t for t, _ in dom.tags if t == "img"] == []
    assert len([t for t, _ in dom.tags if t == "script"]) == 1
    assert not [a for _, attrs in dom.tags for a in attrs if a.startswith("on")]
    assert "&lt;img src=x onerror=alert(1)&gt;" in text  # shown, as text
    # the static copy script did run: the copy buttons are unhidden
    buttons = [a for t, a in dom.tags if t == "button"]
    assert buttons and all("hidden" not in a for a in buttons)
    # no request left the page: only file:// (and Chromium's own background calls, blocked anyway)
    log = netlog.read_text(errors="replace") if netlog.exists() else ""
    urls = set(re.findall(r'"url":"([^"]+)"', log))
    page = [
        u
        for u in urls
        if not u.startswith(("file:", "data:"))
        and not any(h in u.split("/")[2] for h in BROWSER_HOSTS if "//" in u)
    ]
    assert page == [], page


@needs_chromium
def test_page_works_with_scripts_disabled(tmp_path):
    """Headless Chromium cannot screenshot or dump with scripts switched off, so the page's own
    Content-Security-Policy switches them off: a copy with ``script-src 'none'``."""
    Image = pytest.importorskip("PIL.Image")
    html = rendered("not_ready", tmp_path)
    source = html.read_text()
    noscript = html.with_name("report-noscript.html")
    noscript.write_text(re.sub(r"script-src '[^']+'", "script-src 'none'", source, count=1))
    png = ARTIFACTS / "report-not_ready-noscript.png"
    _screenshot(tmp_path, noscript, png, 1200)
    img = Image.open(png).convert("RGB")
    assert _share(img, (60, 20, 1220, 90), (0xCF, 0x22, 0x2E)) > 0.5  # the verdict banner
    assert _share(img, (40, 250, 1240, 800), (0xCF, 0x22, 0x2E), tol=10) > 0.0005  # failing checks
    text, dom = dump_dom(tmp_path, noscript)
    assert "NOT READY" in text and 'id="check-performance.thresholds" open' in text
    buttons = [a for t, a in dom.tags if t == "button"]
    assert buttons and all("hidden" in a for a in buttons), (
        "copy buttons stay hidden without scripts"
    )


def _share(img, box, rgb, tol=6) -> float:
    """Fraction of the pixels in ``box`` within ``tol`` of colour ``rgb``."""
    px = list(img.crop(box).getdata())
    return sum(all(abs(a - b) <= tol for a, b in zip(p, rgb)) for p in px) / len(px)


def _screenshot(tmp_path: Path, html: Path, png: Path, height: int, *extra: str) -> None:
    png.parent.mkdir(parents=True, exist_ok=True)
    result = chromium(
        tmp_path, html.as_uri(), f"--screenshot={png}", f"--window-size=1280,{height}", *extra
    )
    assert result.returncode == 0 and png.exists(), result.stderr[-2000:]


@needs_chromium
@pytest.mark.parametrize("name", ["not_ready", "ready", "hostile"])
def test_screenshot_shows_verdict_and_failing_check_first(tmp_path, name):
    Image = pytest.importorskip("PIL.Image")
    html = rendered(name, tmp_path)
    doc = json.loads((html.parent / "readiness.json").read_text())
    png = ARTIFACTS / f"report-{name}.png"
    _screenshot(tmp_path, html, png, 2400)
    _screenshot(tmp_path, html, ARTIFACTS / f"report-{name}-full.png", 9000)
    img = Image.open(png).convert("RGB")
    banner = {
        "ready": (0x1A, 0x7F, 0x37),
        "not_ready": (0xCF, 0x22, 0x2E),
        "error": (0x82, 0x50, 0xDF),
    }
    colour = banner[doc["verdict"]]

    # the verdict banner fills the top of the first screen in the verdict's colour
    assert _share(img, (60, 20, 1220, 90), colour) > 0.5
    failing = [c for c in doc["checks"] if c["status"] in ("fail", "error")]
    if failing:
        # failing checks are listed right below the facts, within the first 800 px (fail red chips)
        assert _share(img, (40, 250, 1240, 800), banner["not_ready"], tol=10) > 0.0005
        text, _ = dump_dom(tmp_path, html)
        attention = text.split('id="attention"')[1].split('id="checklist"')[0]
        assert failing[0]["id"].split(".")[0] in attention
