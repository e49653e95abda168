"""report.html and summary.md rendered from the readiness.json fixtures (ready / not ready / error /
hostile names), and the size bounds."""

from __future__ import annotations

import copy
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

from jupyter_mlready.report import load_document, render_html, render_markdown, write_reports

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "readiness"
NAMES = ("ready", "not_ready", "error", "hostile")
ONE_MB = 1_000_000


@pytest.fixture(params=NAMES)
def fixture_dir(request, tmp_path) -> Path:
    out = tmp_path / request.param
    shutil.copytree(FIXTURES / request.param, out)
    return out


def render(name: str, tmp_path: Path) -> tuple[dict, str, str]:
    out = tmp_path / name
    shutil.copytree(FIXTURES / name, out)
    doc = load_document(out)
    paths = write_reports(doc, out)
    return (
        doc,
        paths["html"].read_text(encoding="utf-8"),
        paths["markdown"].read_text(encoding="utf-8"),
    )


class Elements(HTMLParser):
    """Counts start tags and collects ids, to check the markup the browser would build."""

    def __init__(self):
        super().__init__()
        self.tags: dict[str, int] = {}
        self.ids: list[str] = []
        self.attrs_seen: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        for k, v in attrs:
            self.attrs_seen.append((k, v))
            if k == "id":
                self.ids.append(v)


def elements(html: str) -> Elements:
    p = Elements()
    p.feed(html)
    return p


def test_every_fixture_renders_small_and_self_contained(fixture_dir):
    doc = load_document(fixture_dir)
    paths = write_reports(doc, fixture_dir)
    html = paths["html"].read_text(encoding="utf-8")
    md = paths["markdown"].read_text(encoding="utf-8")
    assert len(html.encode()) < ONE_MB
    assert len(md) < 60_000
    # no network at view time: no external URLs in src/href, no stylesheet links, CSP
    # default-src none
    assert "default-src 'none'" in html
    for attr, value in elements(html).attrs_seen:
        if attr in ("src", "href") and value:
            assert value.startswith("#"), (attr, value)
    assert "<link" not in html and "@import" not in html and "url(" not in html
    # exactly one script: the static copy-button script
    assert elements(html).tags.get("script") == 1
    ids = elements(html).ids
    assert len(ids) == len(set(ids)), "anchors must be unique"


def test_ready_report(tmp_path):
    doc, html, md = render("ready", tmp_path)
    assert doc["verdict"] == "ready"
    assert 'class="banner v-ready"' in html and ">READY<" in html
    assert "models:/ready-claims/1" in html
    # data fingerprints, policy, contract, metrics, drift, latency, provenance
    assert doc["data"]["train"]["sha256"][:12] in html
    assert 'id="contract"' in html and "<code>claim_amount</code>" in html
    assert 'id="metrics"' in html and "roc_auc" in html
    assert 'id="drift"' in html and "<svg" in html
    assert 'id="latency"' in html and "p95_ms" in html
    assert (
        doc["provenance"]["notebook_sha256"] is None or doc["provenance"]["notebook_sha256"] in html
    )
    assert "scikit-learn" in html
    assert md.startswith("## ✅ mlready: READY")
    assert "### Failing checks" not in md


def test_not_ready_report_shows_failures_with_repro_and_remedy(tmp_path):
    doc, html, md = render("not_ready", tmp_path)
    failing = [c for c in doc["checks"] if c["status"] in ("fail", "error")]
    assert failing and 'class="banner v-not_ready"' in html and "NOT READY" in html
    attention = html.split('id="attention"')[1].split('id="checklist"')[0]
    for c in failing:
        assert f"<code>{c['id']}</code>" in attention
        assert f"<code>{c['id']}</code>" in md
    repro = next(c for c in failing if c["repro"])
    assert 'data-copy="repro-' in html and "Copy</button>" in html
    assert "model.predict(row)" in html  # the repro snippet itself
    assert "Remedy:" in html and "**Remedy:**" in md
    assert "```python" in md and repro["repro"].splitlines()[0] in md
    # failing checks are expanded, passing ones collapsed
    anchor = 'id="check-performance.thresholds" open'
    assert anchor in html
    assert 'id="check-leakage.overlap" open' not in html
    # drift: the hold-out's claim amounts were tripled
    drift = html.split('id="drift"')[1].split("</section>")[0]
    assert "claim_amount" in drift and "s-fail" in drift
    # property tests: shrunk example rendered as code, counts shown
    props = html.split('id="properties"')[1].split("</section>")[0]
    assert "shrunk example" in props and "examples run" in props


def test_error_report(tmp_path):
    doc, html, md = render("error", tmp_path)
    assert doc["verdict"] == "error"
    assert 'class="banner v-error"' in html and ">ERROR<" in html
    assert "The check could not finish" in html and "stage: discover" in html
    assert "Pass --model VAR" in html
    assert "**The check could not finish**" in md
    assert "no data was found" in html


def test_raw_evidence_is_collapsible_and_numbers_are_compact(tmp_path):
    _, html, _ = render("not_ready", tmp_path)
    assert "<summary>raw evidence (JSON)</summary>" in html
    assert "0.7902" in html  # roc_auc to 4 significant digits, not 0.79024...
    values = re.findall(r'class="v">([^<]*)<', html) + re.findall(r"<td>([^<]*)</td>", html)
    assert values and not [v for v in values if re.search(r"\d\.\d{6,}", v) and "'" not in v]


def test_scorecard_has_28_tests_and_links_to_evidence(tmp_path):
    _, html, md = render("ready", tmp_path)
    section = html.split('id="scorecard"')[1].split('id="provenance"')[0]
    assert len(re.findall(r'<tr class="st-(auto|partial|none)">', section)) == 28
    for name in ("Data", "Model", "Infrastructure", "Monitoring"):
        assert f'<th colspan="3">{name} ' in section
    assert 'href="#check-contract.holdout"' in section
    assert (
        "Still to check by hand" in section
        and "Model quality is sufficient on all important data slices" in section
    )
    assert "ML Test Score" in md and "still to check by hand" in md
    ids = set(elements(html).ids)
    for target in re.findall(r'href="#([^"]+)"', section):
        assert target in ids, target


def test_missing_contract_json_drops_the_section(tmp_path):
    out = tmp_path / "x"
    shutil.copytree(FIXTURES / "ready", out)
    (out / "contract.json").unlink()
    html = render_html(load_document(out), out)
    assert 'id="contract"' not in html


def test_stub_and_odd_evidence_degrades_gracefully(tmp_path):
    doc = load_document(FIXTURES / "ready")
    for c in doc["checks"]:
        if c["id"] == "latency":
            c.update(status="skip", summary="not implemented yet", evidence={})
        if c["id"] == "drift.train_holdout":
            c["evidence"] = {"features": "not a list", "thresholds": None}
        if c["id"] == "performance.thresholds":
            c["evidence"] = {"thresholds": [1, 2, None], "model_metrics": None}
    doc["checks"].append({"id": "x.weird", "status": "warn", "summary": None, "evidence": [1, 2]})
    doc["provenance"] = None
    doc["data"] = {"train": "??"}
    html = render_html(doc, None)
    md = render_markdown(doc, None)
    assert "x.weird" in html and "x.weird" in md
    assert 'id="latency"' in html  # the skip summary is shown


def synthetic_doc(features: int = 5_000, checks: int = 100, evidence: bool = True) -> dict:
    """not_ready plus thousands of drift features and many plugin checks with long strings."""
    doc = copy.deepcopy(load_document(FIXTURES / "not_ready"))
    drift = next(c for c in doc["checks"] if c["id"] == "drift.train_holdout")
    template = drift["evidence"]["features"][0]
    drift["evidence"]["features"] = [
        dict(template, feature=f"feature_{i:05d}_" + "y" * 300, psi=i / features)
        for i in range(features)
    ]
    for i in range(checks):
        ev = {}
        if evidence:
            ev = {
                "big": "x" * 100_000,
                "rows": [{"a": j, "b": "z" * 1_000} for j in range(200)],
                "nested": {f"k{j}": list(range(1_000)) for j in range(50)},
            }
        doc["checks"].append(
            {
                "id": f"plugin.check_{i}",
                "category": f"plugin{i % 7}",
                "status": "fail",
                "summary": "s" * 5_000,
                "remedy": "r" * 5_000,
                "repro": "print('hi')\n" * 2_000,
                "evidence": ev,
                "seconds": 0.1,
            }
        )
    return doc


def test_size_stays_under_one_megabyte_for_huge_evidence(tmp_path):
    doc = synthetic_doc()
    raw = json.dumps(doc)
    assert len(raw) > 30 * ONE_MB  # the input really is large
    html = render_html(doc, None)
    md = render_markdown(doc, None)
    assert len(html.encode()) < ONE_MB, len(html.encode())
    assert len(md) <= 60_000
    assert "Showing the 50 features with the largest PSI of 5,000" in html


def test_many_contract_columns_are_capped(tmp_path):
    out = tmp_path / "wide"
    shutil.copytree(FIXTURES / "ready", out)
    col = json.loads((out / "contract.json").read_text())["columns"][4]  # a string column
    cols = [
        dict(col, name=f"c{i}", categories=[f"v{j}" * 20 for j in range(60)]) for i in range(5_000)
    ]
    (out / "contract.json").write_text(
        json.dumps({"range_margin": 0.1, "max_categories": 50, "columns": cols})
    )
    html = render_html(load_document(out), out)
    assert len(html.encode()) < ONE_MB
    assert "+4,700 more columns in contract.json" in html


def test_markdown_is_cut_to_the_limit_with_a_note():
    doc = synthetic_doc(features=10, checks=2_000, evidence=False)
    md = render_markdown(doc, None, limit=60_000)
    assert len(md) <= 60_000
    assert "full report" in md.lower()
    assert md.count("```") % 2 == 0


def test_report_url_is_used_and_sanitized():
    doc = load_document(FIXTURES / "ready")
    md = render_markdown(doc, None, report_url="https://ci.example/run 1/report.html")
    assert "(https://ci.example/run%201/report.html)" in md
    md = render_markdown(doc, None, report_url="javascript:alert(1)")
    assert "javascript" not in md and "(report.html)" in md


def test_property_view_shows_counts_as_counts_and_examples_as_examples():
    doc = {
        "schema_version": 2,
        "verdict": "not_ready",
        "checks": [
            {
                "id": "robustness.missing_values",
                "status": "fail",
                "summary": "Broken on 1 of 2 edge cases",
                "evidence": {
                    "examples": 100,
                    "examples_per_second_generated": 546.4,
                    "falsifying_example": "Case(frame=...)",
                    "cases": [{"edge_case": "NaN in 'age'", "result": "crash", "detail": "boom"}],
                },
            }
        ],
    }
    html = render_html(doc)
    props = html.split('id="properties"')[1].split("</section>")[0]
    assert '<pre class="ex">Case(frame=...)</pre>' in props
    assert '<pre class="ex">100</pre>' not in props and "examples 100" in props
    assert "crash: NaN in &#39;age&#39; — boom" in props
