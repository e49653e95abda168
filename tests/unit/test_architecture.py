"""The shape of the package: a check is declared once, and everything else derives from the
registry.

- every built-in id is spelled as a string in at most 3 files of jupyter_mlready/ and templates/;
- no module outside checks/ refers to a built-in check (no literal, constant or comparison);
- a new check written in one new file gets its validation-notebook section, its report view, its
  test in the generated pytest file and its ML Test Score items, with no other edit.
"""

from __future__ import annotations

import importlib
import io
import re
import sys
import tokenize
from pathlib import Path

import pytest

from jupyter_mlready.checks import builtin_ids, load_checks

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "jupyter_mlready"
SOURCES = [
    p
    for p in [*PACKAGE.rglob("*.py"), *PACKAGE.rglob("*.json"), *(ROOT / "templates").glob("*")]
    if "labextension" not in p.parts and "__pycache__" not in p.parts and p.is_file()
]


def _quoted(check_id: str) -> re.Pattern:
    return re.compile(r"""["']""" + re.escape(check_id) + r"""["']""")


@pytest.mark.parametrize("check_id", builtin_ids())
def test_a_builtin_id_is_spelled_in_at_most_three_files(check_id):
    files = [p for p in SOURCES if _quoted(check_id).search(p.read_text(encoding="utf-8"))]
    assert 1 <= len(files) <= 3, [str(p.relative_to(ROOT)) for p in files]


def test_no_module_outside_checks_refers_to_a_builtin_check():
    ids = builtin_ids()
    dotted = [i for i in ids if "." in i]
    words = [i for i in ids if "." not in i]  # "latency", "determinism": also plain English
    offenders = []
    for path in SOURCES:
        rel = path.relative_to(ROOT)
        if rel.parts[:2] == ("jupyter_mlready", "checks"):
            continue
        text = path.read_text(encoding="utf-8")
        offenders += [f"{rel}: {i}" for i in dotted if i in text]
        if path.suffix == ".py":
            strings = [
                t.string.strip("'\"")
                for t in tokenize.generate_tokens(io.StringIO(text).readline)
                if t.type == tokenize.STRING
            ]
            offenders += [f"{rel}: {w!r}" for w in words if w in strings]
        else:
            offenders += [f"{rel}: {w}" for w in words if _quoted(w).search(text)]
    assert not offenders


NEW_CHECK = '''
"""A check written by a contributor in one new file."""

from jupyter_mlready.checks import Finding, Input, Probe, Score, Section, check
from jupyter_mlready.views import Cell, Table, View

SECTION = Section("acme", "Acme: rows are counted", "Counts the hold-out rows.", order=75)


def rows_view(check, doc):
    n = check["evidence"]["rows"]
    return View("acme-rows", "Acme rows", (Table(("rows",), ((Cell(str(n)),),)),))


@check(
    "acme.rows",
    section=SECTION,
    needs=(Input.HOLDOUT,),
    scores=(Score("data-6", "partial", "Acme counts the rows."),),
    view=rows_view,
    probe=Probe("valid_output", "acme_rows", "Valid rows give valid output, the Acme way."),
)
def rows(ctx):
    """How many hold-out rows are there?"""
    return Finding("pass", "counted", {"rows": len(ctx.holdout.X)})
'''


@pytest.fixture
def new_check(tmp_path, monkeypatch):
    """A check module dropped into the checks package (as a contributor would add one)."""
    import jupyter_mlready.checks as package

    target = Path(package.__path__[0]) / "zz_acme_rows.py"
    target.write_text(NEW_CHECK)
    monkeypatch.setattr(
        "jupyter_mlready.checks.registry.metadata.entry_points", lambda group: []
    )  # the source tree's modules, not the installed entry points
    try:
        yield importlib.import_module("jupyter_mlready.checks.zz_acme_rows")
    finally:
        target.unlink()
        sys.modules.pop("jupyter_mlready.checks.zz_acme_rows", None)


def test_a_new_check_in_one_file_gets_every_facet(new_check, tmp_path):
    from jupyter_mlready.policy import Policy
    from jupyter_mlready.probes.codegen import render_test_module
    from jupyter_mlready.report import render_html
    from jupyter_mlready.report.scorecard import build_scorecard
    from jupyter_mlready.validation.generate import generate_notebook
    from jupyter_mlready.validation.sections import specs_for

    assert "acme.rows" in [s.id for s in load_checks()]
    # the validation notebook: its own section, header and code cell
    nb = generate_notebook({"model_uri": "models:/m/1", "bundle_dir": "/b", "results_path": "/r"})
    sources = [c.source for c in nb.cells]
    assert any("Acme: rows are counted" in s and "`acme.rows`" in s for s in sources)
    assert "v.run_section('acme');" in sources
    assert [s.id for s in specs_for("acme", load_checks())] == ["acme.rows"]
    # the generated pytest file: one more property test
    source = render_test_module("m", "classification", Policy())
    assert "def test_acme_rows(model, case):" in source
    assert 'testing.cases("valid_output", CONTRACT, POOL)' in source
    # the scorecard: Data 6 is now partly automated when the check ran
    doc = {
        "schema_version": 1,
        "verdict": "ready",
        "checks": [
            {"id": "acme.rows", "status": "pass", "summary": "counted", "evidence": {"rows": 42}}
        ],
    }
    card = build_scorecard(doc)
    data6 = next(t for s in card["sections"] for t in s["tests"] if t["key"] == "data-6")
    assert data6["state"] == "partial" and data6["checks"] == [
        {"id": "acme.rows", "status": "pass"}
    ]
    assert "Acme counts the rows." in data6["automated"]
    # the report: the check's view, as a section of the page
    html = render_html(doc)
    assert 'id="acme-rows"' in html and "<td>42</td>" in html


def test_a_plugin_check_with_no_facets_gets_defaults():
    from jupyter_mlready.checks import CheckSpec, Finding

    spec = CheckSpec("acme.bare", "acme", "q", lambda ctx: Finding("pass", "ok"))
    assert spec.section.name == "acme" and spec.runs("validation") and not spec.runs("notebook")
    assert spec.scores == () and spec.view is None and spec.probe is None


def test_an_unknown_scorecard_test_is_refused():
    from jupyter_mlready.checks import CheckSpec, Finding, Score
    from jupyter_mlready.report.scorecard import evidence

    spec = CheckSpec(
        "acme.x", "acme", "q", lambda ctx: Finding("pass", "ok"), scores=(Score("data-99"),)
    )
    with pytest.raises(ValueError, match="data-99"):
        evidence([spec])


def test_files_generated_by_earlier_versions_still_draw_cases_by_check_id():
    """Generated files logged before properties had names pass the check's id."""
    from jupyter_mlready.contract import contract_from_dict
    from jupyter_mlready.testing import cases

    contract = contract_from_dict(
        {
            "range_margin": 0.1,
            "max_categories": 50,
            "columns": [
                {
                    "name": "age",
                    "kind": "float",
                    "dtype": "float64",
                    "nullable": False,
                    "min": 1.0,
                    "max": 9.0,
                    "low": 0.0,
                    "high": 10.0,
                }
            ],
        }
    )
    import pandas as pd

    pool = pd.DataFrame({"age": [1.0, 2.0, 3.0]})
    by_id = cases("robustness.missing_values", contract, pool).example()
    by_name = cases("missing", contract, pool).example()
    assert by_id.mutation.kind == by_name.mutation.kind == "missing"
    with pytest.raises(KeyError, match="neither a property"):
        cases("acme.nothing", contract, pool)
