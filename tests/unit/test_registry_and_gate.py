from importlib import metadata

from jupyter_mlready.checks import (
    CheckContext,
    CheckSpec,
    Finding,
    builtin_ids,
    load_checks,
    run_check,
    run_checks,
)
from jupyter_mlready.records import CheckResult
from jupyter_mlready.stages.gate import decide


def _ctx():
    return CheckContext(
        model=None, task="classification", train=None, holdout=None, contract=None, policy=None
    )


def test_every_design_id_is_registered_through_entry_points():
    names = {ep.name for ep in metadata.entry_points(group="jupyter_mlready.checks")}
    builtin = builtin_ids()
    assert len(builtin) == 28 and set(builtin) <= names
    assert "serving.endpoint" in builtin
    ml_test_score = {  # issue 17: the ML Test Score checks of DESIGN.md
        "performance.slices",
        "performance.out_of_time",
        "features.value",
        "features.policy",
        "data.privacy",
        "model.tuning",
        "model.simpler",
        "fairness.groups",
        "environment.drift",
    }
    assert ml_test_score <= set(builtin)
    assert [s.id for s in load_checks()][: len(builtin)] == list(builtin)
    monitor = builtin_ids(where=("monitor",))
    assert len(monitor) == 4 and set(monitor) <= names and not set(monitor) & set(builtin)
    for spec in load_checks(where=("notebook", "validation", "monitor")):
        assert spec.question and spec.question != spec.id, spec.id
        # the docstring's first paragraph, on one line (long questions wrap in the source)
        assert "\n" not in spec.question and spec.question.endswith("?"), spec.question


def test_a_crashing_check_is_an_error_never_a_pass():
    def boom(ctx):
        raise ZeroDivisionError("division by zero")

    result = run_check(CheckSpec("x.boom", "x", "q", boom), _ctx())
    assert result.status == "error" and "ZeroDivisionError" in result.summary
    assert "traceback" in result.evidence


def test_a_malformed_return_is_an_error():
    assert run_check(CheckSpec("x.none", "x", "q", lambda ctx: None), _ctx()).status == "error"
    assert (
        run_check(CheckSpec("x.bad", "x", "q", lambda ctx: Finding("ok", "")), _ctx()).status
        == "error"
    )


def test_run_checks_keeps_going_after_a_crash():
    specs = [
        CheckSpec("a", "x", "q", lambda ctx: 1 / 0),
        CheckSpec("b", "x", "q", lambda ctx: Finding("pass", "fine")),
    ]
    assert [r.status for r in run_checks(_ctx(), specs)] == ["error", "pass"]


def _r(status):
    return CheckResult("x", status, "")


def test_gate_fails_closed():
    assert decide([_r("pass"), _r("warn"), _r("skip")]) == "ready"
    assert decide([_r("pass"), _r("warn")], strict=True) == "not_ready"
    assert decide([_r("pass"), _r("fail")]) == "not_ready"
    assert decide([_r("fail"), _r("error")]) == "error"
    assert decide([]) == "error"
