"""widget.py builds its views from a Readiness record: progress, verdict, checklist, escaping."""

from pathlib import Path

import pytest

from jupyter_mlready import readiness as rd
from jupyter_mlready.records import CheckResult
from jupyter_mlready.widget import (
    WIDGET_MIME,
    ReadinessView,
    ShownReadiness,
    live_view,
    result_bundle,
    result_html,
    row_title,
)

EVIL = '<img src=x onerror="alert(1)">'


def make_result(tmp_path: Path | None = None, *, error=None, uri=None) -> rd.Readiness:
    checks = [
        CheckResult("determinism", "pass", "Same input, same output."),
        CheckResult(
            "robustness.missing_values",
            "fail",
            f"Column {EVIL} crashes on NaN.",
            evidence={"column": EVIL, "rows": [1, 2]},
            repro=f"model.predict(X.assign(**{{'{EVIL}': None}}))",
            remedy="Impute <missing> values in a pipeline step.",
        ),
        CheckResult("latency", "skip", "not implemented yet."),
    ]
    doc = rd.build(
        checks,
        model={"name": "churn", "task": "classification", "flavor": "sklearn", "uri": uri},
        data={},
        timings={"discover": 0.01, "contract": 0.2},
        provenance={},
        policy={},
        discovery={},
        strict=False,
        error=error,
    )
    out = None
    if tmp_path is not None:
        out = tmp_path / "mlready-out" / "nb"
        rd.write(doc, out)
    return rd.Readiness(doc, out)


def test_html_rendition_escapes_data_and_has_the_verdict(tmp_path):
    result = make_result(tmp_path)
    page = result_html(result, start=tmp_path)
    assert "Not ready — churn (classification, sklearn): 1 fail, 1 pass, 1 skip" in page
    assert EVIL not in page and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page
    assert "Impute &lt;missing&gt; values" in page
    assert page.index("robustness.missing_values") < page.index("determinism")  # failures first
    assert 'href="mlready-out/nb/readiness.json"' in page
    bundle = result_bundle(result)
    assert bundle["text/plain"].startswith("mlready: NOT READY")


def test_links_appear_when_files_exist(tmp_path, monkeypatch):
    result = make_result(tmp_path, uri="models:/churn/3")
    assert "report.html" not in result_html(result, start=tmp_path)
    (result.out / "report.html").write_text("<html></html>")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5000")
    page = result_html(result, start=tmp_path)
    assert 'href="mlready-out/nb/report.html"' in page
    assert 'href="http://127.0.0.1:5000/#/models/churn/versions/3"' in page
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///mlflow.db")
    assert "<code>MLflow: models:/churn/3</code>" in result_html(result, start=tmp_path)


def test_view_tracks_stages_and_marks_unreported_ones_skipped():
    view = ReadinessView()
    from jupyter_mlready.stages.chain import STAGES

    assert view.stages == [s.name for s in STAGES]  # the bars come from the chain
    view.progress("discover", "finding the model and its data", 0.0)
    view.progress("contract", "inferring the data contract", 0.0)
    view.progress("later", "a step", 0.2)  # a stage the view did not list: after contract
    assert view.stages[view.stages.index("contract") + 1] == "later"
    view.progress("checks", "determinism", 0.5)
    bar, step, _ = view.rows["checks"]
    assert bar.value == 0.5 and step.value == "determinism" and bar.bar_style == "info"
    assert view.rows["discover"][0].bar_style == "success"
    view.progress("report", "done", 1.0)
    result = make_result()
    view.show(result)
    assert view.rows["probes"][1].value == "skipped (not run)" and view.rows["probes"][0].value == 0
    assert view.rows["contract"][1].value == "done in 0.20 s"
    assert view.rows["checks"][0].bar_style == "success"
    assert "Not ready" in view.header.value and 'data-verdict="not_ready"' in view.header.value
    titles = view.checklist.titles
    assert titles[0] == row_title(result.check("robustness.missing_values"))
    assert titles[0].startswith(
        "✘ FAIL   robustness.missing_values — Column <img"
    )  # titles are text
    detail = view.checklist.children[0].value
    assert EVIL not in detail and "Copy</button>" in detail and "Remedy" in detail
    bundle = view.bundle(result)
    assert bundle[WIDGET_MIME]["model_id"] == view.widget.model_id
    assert "text/html" in bundle and bundle["text/plain"].startswith("mlready: NOT READY")


def test_error_marks_the_failed_stage():
    view = ReadinessView()
    view.progress("discover", "finding the model and its data", 0.0)
    result = make_result(
        error={"stage": "discover", "type": "DiscoveryError", "message": f"no model {EVIL}"}
    )
    view.show(result)
    assert view.rows["discover"][0].bar_style == "danger"
    assert "Error in discover" in view.header.value and EVIL not in view.header.value


def test_shown_result_skips_only_its_first_display(monkeypatch):
    shown_bundles = []
    monkeypatch.setattr("IPython.display.display", lambda obj, raw=False: shown_bundles.append(obj))
    view = ReadinessView()
    view._handle = type(
        "Handle", (), {"update": lambda self, data, raw: shown_bundles.append(data)}
    )()
    shown = view.finish(make_result())
    assert isinstance(shown, ShownReadiness) and isinstance(shown, rd.Readiness)
    assert (
        len(shown_bundles) == 1 and "text/html" in shown_bundles[0]
    )  # the update of the live view
    shown._ipython_display_()  # the magic's own Out: already on screen
    assert len(shown_bundles) == 1
    shown._ipython_display_()  # shown again later: full bundle
    assert len(shown_bundles) == 2 and WIDGET_MIME in shown_bundles[1]
    assert repr(shown).startswith("<Readiness not_ready")


@pytest.mark.parametrize("shell", [object(), type("Shell", (), {"kernel": None})()])
def test_no_view_without_a_kernel(shell):
    assert live_view(shell) is None


def test_an_error_offers_its_remedy_and_the_commands_that_resolve_it():
    from jupyter_mlready.errors import DiscoveryError
    from jupyter_mlready.readiness import Readiness
    from jupyter_mlready.stages.report import error_record
    from jupyter_mlready.widget import header_html

    err = error_record(
        "discover", DiscoveryError("model", "2 fitted models", ["clf", "rf"], "--model VAR")
    )
    assert err["fields"] == {
        "role": "model",
        "reason": "2 fitted models",
        "candidates": ["clf", "rf"],
        "flag": "--model VAR",
    }
    assert err["remedy"] == "Pass --model VAR to say which one."
    page = header_html(Readiness({"verdict": "error", "checks": [], "error": err}))
    assert "Remedy:" in page and "Pass --model VAR to say which one." in page
    assert "%mlready check --model clf" in page and "%mlready check --model rf" in page
    assert page.count('class="mlready-copy"') == 2
