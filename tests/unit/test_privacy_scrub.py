"""No personal data in any check's findings: privacy.scrub masks the values of the flagged
columns (by value and by kind) in summary, evidence (keys, values, numbers), repro and remedy,
and the runner applies it to every result once ``ctx.cache["personal_data"]`` is set."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from jupyter_mlready.checks import CheckContext, Finding, check, run_check
from jupyter_mlready.checks.slices import slices
from jupyter_mlready.model import ModelAdapter
from jupyter_mlready.policy import Policy
from jupyter_mlready.privacy.detect import hkid_check_digit
from jupyter_mlready.privacy.scrub import personal_values, scrub_finding
from jupyter_mlready.records import Dataset

HKID = f"A123456({hkid_check_digit('A', '123456')})"
EMAILS = [f"person{i}.name@example{i % 7}.org" for i in range(40)]
CARDS = [4111111111111111, 5500005555555559, 4012888888881881]
PERSONAL = {"contact_email": "email", "card": "card", "hkid": "hkid"}


def _frame(n: int = 400) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "contact_email": [EMAILS[i % len(EMAILS)] for i in range(n)],
            "card": [CARDS[i % len(CARDS)] for i in range(n)],
            "hkid": [HKID] * n,
            "amount": np.arange(n, dtype=float),
        }
    )


def _leaky() -> Finding:
    """A finding quoting personal values everywhere a check may write."""
    e0, e1, e2 = EMAILS[:3]
    tb = (
        "Traceback (most recent call last):\n"
        '  File "/x/model.py", line 12, in predict\n'
        f"    raise ValueError(f'unknown {{row}}')\n"
        f"ValueError: unknown {{'contact_email': '{e2}', 'card': {CARDS[2]}}}"
    )
    return Finding(
        "warn",
        f"Slice 'contact_email = {e0}' is worse than the whole hold-out; card "
        f"4111 1111 1111 1111 and id {HKID} too. Overall ROC AUC 0.812 [0.79, 0.83].",
        {
            "slices": [
                {"slice": f"contact_email = {e}", "value": e, "rows": 120, "auc": 0.61}
                for e in EMAILS[:5]
            ],
            "by_value": {e1: {"rows": 3, "cards": [CARDS[0], float(CARDS[1])]}},
            "numbers": [CARDS[2], 123456789, 0.25],
            "hkid": HKID,
            "cut": f"{EMAILS[6][:12]}… [40 chars cut]",
            "plain": "model-6: 12,345 rows, seed 42, 2024-01-05, version 1.2.3",
            "traceback": tb,
        },
        repro=(
            "import pandas as pd\n"
            f"frame = pd.DataFrame({{'contact_email': ['{e1}'], 'card': [{CARDS[0]}], "
            f"'hkid': ['{HKID}'], 'amount': [1.5]}})\n"
            "model.predict(frame)\n"
        ),
        remedy=f"Drop rows like {e2} or fix the encoder.",
    )


def _raw_values() -> list[str]:
    return [
        *EMAILS[:7],
        EMAILS[6][:12],
        *map(str, CARDS),
        "4111 1111 1111 1111",
        HKID,
    ]


def _leaks(obj) -> list[str]:
    text = json.dumps(obj, default=str)
    return [raw for raw in _raw_values() if raw in text]


def _dump(f) -> dict:
    return {"summary": f.summary, "evidence": f.evidence, "repro": f.repro, "remedy": f.remedy}


def test_every_raw_value_is_masked_and_other_text_is_kept():
    leaky = _leaky()
    assert _leaks(_dump(leaky))  # the fixture does leak
    out = scrub_finding(leaky, PERSONAL, personal_values(PERSONAL, [_frame()]))
    assert _leaks(_dump(out)) == []
    ev = out.evidence
    # masked with the value's shape, never the value, and numbered: values masked alike stay
    # apart, and one value has one number however it is written
    values = [s["value"] for s in ev["slices"]]
    assert values[0] == "p***@***.org #1" and len(set(values)) == 5
    assert ev["slices"][0]["slice"] == "contact_email = p***@***.org #1"
    assert ev["hkid"].startswith("A******(*) #")
    card = ev["numbers"][0]
    assert card.startswith("4*************** #")
    first_card = ev["by_value"][values[1]]["cards"][0]  # 4111111111111111, an integer
    assert first_card != card
    # the same card written with spaces in the summary: the same number
    assert f"4*** **** **** **** #{first_card.split('#')[1]}" in out.summary
    assert ev["personal_data_masked"] > 10
    # what is not personal stays as it was
    assert ev["plain"] == leaky.evidence["plain"]
    assert ev["numbers"][1:] == [123456789, 0.25]
    assert ev["slices"][0]["rows"] == 120 and ev["slices"][0]["auc"] == 0.61
    assert "Overall ROC AUC 0.812 [0.79, 0.83]." in out.summary
    assert out.status == "warn"
    assert out.remedy.endswith("or fix the encoder.")
    assert 'File "/x/model.py", line 12, in predict' in ev["traceback"]


def test_a_masked_repro_is_still_python():
    out = scrub_finding(_leaky(), PERSONAL, personal_values(PERSONAL, [_frame()]))
    compile(out.repro, "repro", "exec")
    assert "'amount': [1.5]" in out.repro


def test_the_kind_patterns_find_values_not_in_the_frames():
    """Values the frames did not hold (a sample, a capped set): found by their kind."""
    personal = {
        "email": "email",
        "card": "card",
        "hkid": "hkid",
        "iban": "iban",
        "ip": "ip",
        "phone": "phone",
    }
    raw = [
        "someone.else@mail.example.com",
        "5555 5555 5555 4444",
        HKID,
        "GB82 WEST 1234 5698 7654 32",
        "192.168.10.77",
        "2001:db8::8a2e:370:7334",
        "+852 9123 4567",
    ]
    f = Finding(
        "fail",
        "Rows " + "; ".join(raw) + ". ROC AUC 0.71, 3,000 rows.",
        {"rows": [{"x": r} for r in raw], "n": 3000},
        repro=f"frame = pd.DataFrame({{'card': [{raw[1].replace(' ', '')}]}})",
    )
    out = scrub_finding(f, personal, None)
    dumped = json.dumps(_dump(out))
    assert [r for r in raw if r in dumped] == []
    assert raw[1].replace(" ", "") not in dumped
    assert out.summary.endswith("ROC AUC 0.71, 3,000 rows.")
    assert out.evidence["n"] == 3000
    compile(out.repro, "repro", "exec")


def test_masked_keys_that_look_alike_are_both_kept():
    f = Finding("pass", "ok", {"counts": {EMAILS[0]: 1, EMAILS[1]: 2, "other": 3}})
    out = scrub_finding(f, PERSONAL, personal_values(PERSONAL, [_frame()]))
    counts = out.evidence["counts"]
    assert sorted(counts.values()) == [1, 2, 3] and counts["other"] == 3
    assert _leaks(out.evidence) == []


def test_nothing_flagged_or_nothing_personal_returns_the_finding_itself():
    leaky = _leaky()
    assert scrub_finding(leaky, {}, None) is leaky
    clean = Finding("pass", "All 3,000 rows scored; ROC AUC 0.81.", {"n": 3000, "auc": 0.81})
    assert scrub_finding(clean, PERSONAL, personal_values(PERSONAL, [_frame()])) is clean


def test_short_non_personal_values_of_a_flagged_column_are_not_masked_everywhere():
    frame = pd.DataFrame({"contact_email": ["n/a", "0", "1", "unknown", *EMAILS[:3]]})
    values = personal_values({"contact_email": "email"}, [frame])
    f = Finding("pass", "0 of 1 rows unknown", {"k": "0", "n": 1})
    assert scrub_finding(f, {"contact_email": "email"}, values) is f


# -- the runner --------------------------------------------------------------------------------


@check("acme.leaky", runs_in=("validation",), needs=())
def _leaky_check(ctx):
    """Does it leak?"""
    return _leaky()


@check("acme.crashing", runs_in=("validation",), needs=())
def _crashing_check(ctx):
    """Does it crash on a row?"""
    raise ValueError(f"cannot encode {EMAILS[3]} (card {CARDS[1]})")


def _context(cache: dict | None = None) -> CheckContext:
    frame = _frame()
    return CheckContext(
        None,
        "classification",
        Dataset(frame, None, "X_train", None),
        Dataset(frame, None, "X_test", None),
        None,
        Policy(),
        where="validation",
        cache=cache or {},
    )


def test_run_check_masks_the_result_when_personal_data_is_flagged():
    ctx = _context({"personal_data": dict(PERSONAL)})
    r = run_check(_leaky_check.__mlready_check__, ctx)
    assert r.status == "warn" and r.id == "acme.leaky"
    assert _leaks(r.to_dict()) == []
    assert r.evidence["slices"][0]["value"] == "p***@***.org #1"
    assert "personal_values" in ctx.cache  # the values are read once per context


def test_run_check_leaves_the_result_alone_without_personal_data():
    r = run_check(_leaky_check.__mlready_check__, _context())
    leaky = _leaky()
    assert (r.summary, r.evidence, r.repro, r.remedy) == (
        leaky.summary,
        leaky.evidence,
        leaky.repro,
        leaky.remedy,
    )
    assert r.evidence is leaky.evidence or r.evidence == leaky.evidence


def test_a_crashed_checks_message_and_traceback_are_masked():
    ctx = _context({"personal_data": dict(PERSONAL)})
    r = run_check(_crashing_check.__mlready_check__, ctx)
    assert r.status == "error" and "ValueError" in r.summary
    dumped = json.dumps(r.to_dict())
    assert EMAILS[3] not in dumped and str(CARDS[1]) not in dumped
    assert "cannot encode" in r.evidence["message"]


def test_a_result_that_cannot_be_masked_is_withheld(monkeypatch):
    """Fail closed: when masking itself breaks, nothing of the result is reported."""
    from jupyter_mlready.privacy import scrub

    def broken(*args, **kwargs):
        raise RuntimeError(EMAILS[0])

    monkeypatch.setattr(scrub, "scrub_finding", broken)
    r = run_check(_leaky_check.__mlready_check__, _context({"personal_data": dict(PERSONAL)}))
    assert r.status == "error" and "withheld" in r.summary
    assert _leaks(r.to_dict()) == []


def test_the_bundles_shape_of_personal_data_works_too():
    """subject.json's {column: {"kind", "label", "feature"}} masks the same way."""
    meta = {c: {"kind": k, "label": k, "feature": True} for c, k in PERSONAL.items()}
    r = run_check(_leaky_check.__mlready_check__, _context({"personal_data": meta}))
    assert _leaks(r.to_dict()) == []


# -- a real check ------------------------------------------------------------------------------


def test_slices_on_an_email_feature_leak_no_email():
    """The hold-out has an e-mail feature: the slice search names slices by its values; none
    reaches the result."""
    rng = np.random.default_rng(0)
    n = 4000
    emails = [f"client{i}@bank{i % 3}.com" for i in range(8)]
    X = pd.DataFrame(
        {"x0": rng.normal(size=n), "contact_email": rng.choice(emails, n), "x1": rng.normal(size=n)}
    )
    y = (X["x0"] + X["x1"] + rng.normal(size=n) > 0).astype(int).to_numpy()
    worse = (X["contact_email"] == emails[0]).to_numpy() & (rng.random(n) < 0.5)
    y = pd.Series(np.where(worse, 1 - y, y))
    prep = ColumnTransformer(
        [("e", OneHotEncoder(handle_unknown="ignore"), ["contact_email"])], remainder="passthrough"
    )
    cut = n // 2
    model = make_pipeline(prep, LogisticRegression(max_iter=500)).fit(X[:cut], y[:cut])
    ctx = CheckContext(
        ModelAdapter.wrap(model, "classification"),
        "classification",
        Dataset(X[:cut], y[:cut], "X_train", "y_train"),
        Dataset(X[cut:], y[cut:], "X_test", "y_test"),
        None,
        Policy(),
        where="validation",
    )
    spec = slices.__mlready_check__
    plain = run_check(spec, ctx)
    assert any(e in json.dumps(plain.to_dict()) for e in emails)  # it would leak
    ctx.cache["personal_data"] = {"contact_email": "email"}
    r = run_check(spec, ctx)
    dumped = json.dumps(r.to_dict())
    assert [e for e in emails if e in dumped] == []
    assert r.status == plain.status  # the verdict is the check's, masking changes no status
    names = [s["slice"] for s in r.evidence["slices"]]
    masked = [s for s in names if s.startswith("contact_email = c***@***.com #")]
    assert len(masked) >= 2 and len(set(masked)) == len(masked), names


# -- the validation kernel ---------------------------------------------------------------------


def test_the_validation_kernel_masks_what_the_bundle_flags(tmp_path, monkeypatch):
    """The context built from a bundle carries subject.json's personal-data columns: a check's
    result quoting the e-mail feature's values (read back by reference) is masked."""
    import os

    from jupyter_mlready.contract import infer_contract
    from jupyter_mlready.registry.bundle import write_bundle
    from jupyter_mlready.stages.discover import discover
    from jupyter_mlready.validation.kernel_api import Validation

    monkeypatch.setenv("MLFLOW_TRACKING_URI", os.environ.get("MLFLOW_TRACKING_URI", ""))
    rng = np.random.default_rng(1)
    n = 300
    X = pd.DataFrame({"a": rng.normal(size=n), "contact_email": [EMAILS[i % 40] for i in range(n)]})
    y = (X["a"] > 0).astype(int)
    prep = ColumnTransformer(
        [("e", OneHotEncoder(handle_unknown="ignore"), ["contact_email"])], remainder="passthrough"
    )
    ns = {
        "model": make_pipeline(prep, LogisticRegression()).fit(X[:200], y[:200]),
        "X_train": X[:200],
        "y_train": y[:200],
        "X_test": X[200:].copy(),
        "y_test": y[200:],
    }
    subject = discover(ns)
    policy = Policy()
    contract = infer_contract(subject, policy)
    root = write_bundle(
        subject, contract, policy, tmp_path, cache={"personal_data": {"contact_email": "email"}}
    ).path
    v = Validation("models:/m/1", str(root), str(tmp_path / "r" / "results.json"))
    assert v.ctx.cache["personal_data"] == {"contact_email": "email"}
    held = v.ctx.holdout.X["contact_email"].iloc[0]
    assert held in EMAILS  # the feature's values are here, read by reference

    @check("acme.quoting", runs_in=("validation",), needs=())
    def quoting(ctx):
        """Does it quote a row?"""
        row = ctx.holdout.X.iloc[0].to_dict()
        return Finding("fail", f"Row {row} failed.", {"row": row}, repro=f"frame = {row!r}")

    r = run_check(quoting.__mlready_check__, v.ctx)
    assert held not in json.dumps(r.to_dict())
    assert r.evidence["row"]["contact_email"].startswith("p***@***.org #")
