"""Validation notebook pieces that run without a kernel: sections, generator, latency,
fresh_kernel."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pytest

from jupyter_mlready.checks import CheckContext, load_checks, run_check
from jupyter_mlready.checks.latency import TIME_BUDGET_S
from jupyter_mlready.model import ModelAdapter
from jupyter_mlready.policy import Policy
from jupyter_mlready.records import Dataset
from jupyter_mlready.validation.generate import (
    PARAMETER_NAMES,
    cell_sections,
    generate_notebook,
    template_path,
)
from jupyter_mlready.validation.kernel_api import load_failure_facts
from jupyter_mlready.validation.sections import specs_for, validation_sections

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "notebooks"))
from validation_models import make_data  # noqa: E402


class _Model:
    """A minimal classifier: predict_proba from one column, optionally slow per call."""

    classes_ = np.array([0, 1])

    def __init__(self, delay: float = 0.0):
        self.delay = delay

    def predict_proba(self, X):
        time.sleep(self.delay)
        p = 1 / (1 + np.exp(-(np.asarray(X["age"], dtype=float) - 45) / 10))
        return np.column_stack([1 - p, p])

    def predict(self, X):
        return (self.predict_proba(X)[:, 1] > 0.5).astype(int)


def _ctx(model, where="validation", **inputs) -> CheckContext:
    X_train, X_test, y_train, y_test = make_data()
    adapter = ModelAdapter(model, "frame", "pyfunc", (0, 1), True)
    return CheckContext(
        model=adapter,
        task="classification",
        train=Dataset(X_train, y_train, "X_train"),
        holdout=Dataset(X_test, y_test, "X_test"),
        contract=None,
        policy=Policy(),
        where=where,
        **inputs,
    )


def _spec(check_id):
    return next(s for s in load_checks() if s.id == check_id)


def test_every_check_but_the_notebook_kernels_belongs_to_exactly_one_section():
    specs = load_checks()
    seen: dict[str, str] = {}
    for sec, _ in validation_sections(specs):
        for spec in specs_for(sec.name, specs):
            assert spec.id not in seen, f"{spec.id} in {seen.get(spec.id)} and {sec.name}"
            seen[spec.id] = sec.name
    assert set(seen) == {s.id for s in specs if s.runs("validation")}
    # facts only the notebook's kernel has: its re-run, its variables, the data before logging
    assert {s.id for s in specs} - set(seen) == {
        "reproducibility.rerun",
        "data.privacy",
        "model.tuning",
    }
    assert (
        seen["latency"] == "latency" and seen["reproducibility.fresh_kernel"] == "reproducibility"
    )


def test_generated_notebook_has_parameters_sections_and_provenance():
    import nbformat

    assert template_path().name == "validation_notebook.yaml"
    params = {"model_uri": "models:/m/3", "bundle_dir": "/b", "results_path": "/r.json"}
    nb = generate_notebook(params, name="m")
    nbformat.validate(nb)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and "model_uri = 'models:/m/3'" in tagged[0].source
    meta = nb.metadata["mlready"]
    assert meta["kind"] == "validation" and set(meta["parameters"]) == set(PARAMETER_NAMES)
    assert meta["parameters"]["policy_overrides"] == {} and meta["template_sha256"]
    secs = list(cell_sections(nb).values())
    assert secs == ["setup", "load"] + [s.name for s, _ in validation_sections()] + ["verdict"]
    # every section has a markdown header just before its code cell, saying what and why
    for i, name in cell_sections(nb).items():
        if name != "setup":
            assert nb.cells[i - 1].cell_type == "markdown" and nb.cells[i - 1].source.startswith(
                "## "
            )
    with pytest.raises(ValueError, match="unknown validation parameter"):
        generate_notebook({"model": "x"})


def test_latency_passes_a_fast_model_with_percentiles_histogram_and_throughput():
    r = run_check(_spec("latency"), _ctx(_Model()))
    assert r.status == "pass", r.summary
    ev = r.evidence
    assert {"p50_ms", "p95_ms", "p99_ms", "histogram"} <= set(ev["per_row"])
    assert ev["per_row"]["p50_ms"] <= ev["per_row"]["p95_ms"] <= ev["per_row"]["p99_ms"]
    assert sum(ev["per_row"]["histogram"]["counts"]) == ev["per_row"]["samples"]
    assert ev["batch"]["rows"] == 1000 and ev["throughput_rows_per_s"] > 0
    assert ev["budget_p95_ms"] == 50.0 and ev["method"] == "predict_proba"


def test_latency_fails_a_slow_model_within_a_bounded_time():
    t = time.perf_counter()
    r = run_check(_spec("latency"), _ctx(_Model(delay=0.06)))
    elapsed = time.perf_counter() - t
    assert r.status == "fail", r.summary
    assert "over the 50 ms budget" in r.summary and r.repro and r.remedy
    assert r.evidence["per_row"]["p95_ms"] > 50
    assert elapsed < TIME_BUDGET_S + 1.0


def test_latency_in_the_notebook_measures_the_in_memory_model_briefly():
    r = run_check(_spec("latency"), _ctx(_Model(), where="notebook"))
    assert r.status == "pass" and "in-memory" in r.evidence["measured"]


def test_fresh_kernel_compares_artifact_predictions_with_the_bundle():
    model = _Model()
    X_test = make_data()[1]
    ref = {"predict": model.predict(X_test), "predict_proba": model.predict_proba(X_test)}
    ok = run_check(_spec("reproducibility.fresh_kernel"), _ctx(model, reference_predictions=ref))
    assert ok.status == "pass" and "predict_proba" in ok.summary
    moved = {"predict": ref["predict"], "predict_proba": ref["predict_proba"] + 1e-3}
    bad = run_check(_spec("reproducibility.fresh_kernel"), _ctx(model, reference_predictions=moved))
    assert bad.status == "fail" and bad.evidence["max_proba_diff"] == pytest.approx(1e-3)
    flipped = {"predict": 1 - ref["predict"]}
    bad = run_check(
        _spec("reproducibility.fresh_kernel"), _ctx(model, reference_predictions=flipped)
    )
    assert bad.status == "fail" and bad.evidence["predict_rows_differ"] == len(X_test)
    nb = run_check(_spec("reproducibility.fresh_kernel"), _ctx(model, where="notebook"))
    assert nb.status == "skip" and "validation notebook" in nb.summary


def test_load_failures_split_into_finding_and_error():
    try:
        try:
            raise ModuleNotFoundError("No module named 'mytransform'")
        except ModuleNotFoundError as inner:
            raise RuntimeError("could not load model") from inner
    except RuntimeError as exc:
        facts = load_failure_facts(exc, "models:/m/1")
    assert (
        facts["status"] == "fail"
        and "ModuleNotFoundError: No module named 'mytransform'" in facts["summary"]
    )
    assert "code_paths" in facts["remedy"]
    facts = load_failure_facts(OSError("registry unreachable"), "models:/m/1")
    assert facts["status"] == "error" and "MLFLOW_TRACKING_URI" in facts["remedy"]
    r = run_check(_spec("reproducibility.fresh_kernel"), _ctx(_Model(), load_failure=facts))
    assert r.status == "error"


def test_gate_results_replace_the_notebook_kernels_except_rerun():
    from jupyter_mlready.records import CheckResult
    from jupyter_mlready.validation.execute import ValidationOutcome, merge_results

    fast = [
        CheckResult("reproducibility.rerun", "pass", "ran"),
        CheckResult("reproducibility.fresh_kernel", "skip", "in the notebook"),
        CheckResult("latency", "pass", "fast in memory"),
    ]
    gate = (
        CheckResult("reproducibility.fresh_kernel", "pass", "reproduces"),
        CheckResult("latency", "fail", "slow artifact"),
        CheckResult("x.plugin", "pass", "new"),
    )
    outcome = ValidationOutcome(gate, "not_ready", Path("v.ipynb"), Path("e.ipynb"), Path("r.json"))
    merged = {r.id: r for r in merge_results(fast, outcome)}
    assert list(merged) == [
        "reproducibility.rerun",
        "reproducibility.fresh_kernel",
        "latency",
        "x.plugin",
    ]
    assert merged["reproducibility.rerun"].summary == "ran"
    assert merged["latency"].status == "fail" and merged["latency"].summary == "slow artifact"
