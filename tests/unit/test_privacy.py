"""data.privacy and keeping personal data out of the registry: the detectors on valid and
invalid values, the check's fail / warn / pass, and a written bundle, its staged run folder and
the input example holding no value of a flagged column."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder
from stdnum import luhn

from jupyter_mlready.checks import CheckContext, load_checks, run_check
from jupyter_mlready.contract import infer_contract
from jupyter_mlready.model import ModelAdapter
from jupyter_mlready.policy import Policy
from jupyter_mlready.privacy import detect, redact
from jupyter_mlready.records import Dataset, Subject
from jupyter_mlready.registry import bundle as bundle_mod
from jupyter_mlready.registry.artifact import _stage_files, input_example

# -- detectors ---------------------------------------------------------------------------------


def test_hkid_check_digit_against_published_examples():
    assert detect.is_hkid("A123456(3)")
    assert detect.is_hkid("A1234563")  # parentheses optional
    assert detect.is_hkid("G123456(A)")  # check value 10 is written A
    assert detect.is_hkid("AB987654(3)")  # two letters
    assert not detect.is_hkid("A123456(4)")
    assert not detect.is_hkid("G123456(0)")
    assert not detect.is_hkid("A12345(3)")
    assert detect.hkid_check_digit("A", "123456") == "3"


def _visa(rng) -> str:
    body = "4" + "".join(str(d) for d in rng.integers(0, 10, 14))
    return body + luhn.calc_check_digit(body)


def test_cards_need_luhn_and_an_issuer_prefix():
    assert detect.is_card("4111 1111 1111 1111")
    assert detect.is_card("5555555555554444")  # Mastercard
    assert detect.is_card("378282246310005")  # Amex, 15 digits
    assert not detect.is_card("4111111111111112")  # Luhn fails
    assert not detect.is_card("9111111111111111")  # Luhn passes? no issuer 9 in any case
    body = "123456789012345"
    assert not detect.is_card(body + luhn.calc_check_digit(body))  # Luhn ok, no issuer "1"
    assert not detect.is_card("371449635398431" + "0")  # Amex prefix, wrong length


def test_other_detectors_on_valid_and_invalid_values():
    assert detect.is_email("jane.doe@example.com")
    assert not detect.is_email("jane.doe@localhost")
    assert not detect.is_email("not an e-mail")
    assert detect.is_iban("GB82 WEST 1234 5698 7654 32")
    assert not detect.is_iban("GB83 WEST 1234 5698 7654 32")
    assert detect.is_ip("192.168.1.20") and detect.is_ip("2001:db8::1")
    assert not detect.is_ip("1.2.3") and not detect.is_ip("300.1.1.1")
    assert detect.is_phone("+852 9123 4567") and detect.is_phone("(212) 555-1234")
    assert not detect.is_phone("2024-01-15")  # a date
    assert not detect.is_phone("1234.5678")  # a decimal
    assert not detect.is_phone("12345678")  # a bare 8-digit number: an amount, not a phone
    assert detect.classify("123-45-6789") == "us_ssn"


def test_amounts_and_random_ids_are_not_flagged():
    rng = np.random.default_rng(1)
    n = 20_000
    frame = pd.DataFrame(
        {
            "amount8": rng.integers(10**7, 10**8, n),  # 8-digit amounts
            "amount8_text": rng.integers(10**7, 10**8, n).astype(str),
            "id16": rng.integers(10**15, 10**16, n),  # random 16-digit ids
            "id16_text": rng.integers(10**15, 10**16, n).astype(str),
            "id11": rng.integers(10**10, 10**11, n),  # random 11-digit ids
            "price": rng.normal(100, 10, n),
            "when": pd.date_range("2020-01-01", periods=n, freq="h"),
        }
    )
    assert detect.personal_data_columns(frame, 0.30, seed=0) == {}


def _people(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    letters = "ABCDEGHKMPRZ"
    hkids = []
    for _ in range(n):
        letter = letters[int(rng.integers(len(letters)))]
        digits = "".join(str(d) for d in rng.integers(0, 10, 6))
        hkids.append(f"{letter}{digits}({detect.hkid_check_digit(letter, digits)})")
    return pd.DataFrame(
        {
            "contact_email": [f"user{i}.{int(rng.integers(10**6))}@example.com" for i in range(n)],
            "mobile": [
                f"+852 9{int(rng.integers(100, 999))} {int(rng.integers(1000, 9999))}"
                for _ in range(n)
            ],
            "card": [_visa(rng) for _ in range(n)],
            "card_number": [int(_visa(rng)) for _ in range(n)],
            "hkid": hkids,
            "ip": [
                f"10.{rng.integers(256)}.{rng.integers(256)}.{rng.integers(256)}" for _ in range(n)
            ],
        }
    )


def test_each_kind_is_flagged_by_value_share():
    frame = _people(400)
    # a third of the e-mail column missing or junk still reads as e-mail (share >= 0.30)
    frame.loc[:99, "contact_email"] = "n/a"
    found = detect.personal_data_columns(frame, 0.30, seed=0)
    assert {c: v["kind"] for c, v in found.items()} == {
        "contact_email": "email",
        "mobile": "phone",
        "card": "card",
        "card_number": "card",
        "hkid": "hkid",
        "ip": "ip",
    }
    assert 0.7 <= found["contact_email"]["share"] <= 0.8
    assert found["contact_email"]["example"].startswith("u***@***.")
    assert all(v["example"] not in set(frame[c].astype(str)) for c, v in found.items())
    # below the bar: 10% of values are e-mails
    sparse = pd.DataFrame({"note": ["hello"] * 90 + list(frame["contact_email"][100:110])})
    assert detect.personal_data_columns(sparse, 0.30) == {}


# -- the check ---------------------------------------------------------------------------------


def _subject(n: int = 600, email_feature: bool = True, side: bool = False, seed: int = 0):
    rng = np.random.default_rng(seed)
    people = _people(n, seed)
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    if email_feature:
        X["contact_email"] = people["contact_email"]
    y = pd.Series((X["a"] + rng.normal(scale=0.5, size=n) > 0).astype(int), name="label")
    cut = n // 2
    if email_feature:
        pre = ColumnTransformer(
            [("email", OneHotEncoder(handle_unknown="ignore"), ["contact_email"])],
            remainder="passthrough",
        )
        fitted = make_pipeline(pre, LogisticRegression()).fit(X[:cut], y[:cut])
    else:
        fitted = LogisticRegression().fit(X[:cut], y[:cut])
    sides = (
        pd.DataFrame(
            {"phone": people["mobile"], "gender": rng.choice(["f", "m"], n)}, index=X.index
        )
        if side
        else None
    )
    train = Dataset(
        X[:cut], y[:cut], "X_train", "y_train", side=None if sides is None else sides[:cut]
    )
    hold = Dataset(
        X[cut:], y[cut:], "X_test", "y_test", side=None if sides is None else sides[cut:]
    )
    adapter = ModelAdapter.wrap(fitted, "classification", None)
    return Subject(adapter, "model", "classification", train, hold, "label"), people


def _check(subject: Subject, policy: Policy | None = None):
    policy = policy or Policy()
    ctx = CheckContext(
        subject.model,
        subject.task,
        subject.train,
        subject.holdout,
        infer_contract(subject, policy),
        policy,
        where="notebook",
    )
    spec = next(sp for sp in load_checks() if sp.id == "data.privacy")
    return run_check(spec, ctx), ctx


def _values(frame: pd.DataFrame) -> set[str]:
    return {str(v) for v in frame.to_numpy().ravel()}


def test_fails_when_a_model_input_holds_emails_and_never_shows_a_value():
    subject, people = _subject()
    result, ctx = _check(subject)
    assert result.status == "fail", result.summary
    assert "'contact_email' holds e-mail addresses" in result.summary
    assert "model input" in result.summary
    col = result.evidence["columns"]["contact_email"]
    assert col["kind"] == "email" and col["feature"] is True and col["share"] == 1.0
    assert result.evidence["store_data"] == "sample"
    assert any("contact_email" in cols for cols in result.evidence["redacted"].values())
    assert ctx.cache["personal_data"] == {"contact_email": "email"}
    text = repr(result.to_dict())
    assert not any(v in text for v in people["contact_email"])


def test_warns_when_personal_data_is_only_beside_the_features():
    subject, people = _subject(email_feature=False, side=True)
    result, ctx = _check(subject)
    assert result.status == "warn", result.summary
    assert "'phone' holds phone numbers" in result.summary
    assert result.evidence["columns"]["phone"]["feature"] is False
    assert "gender" not in result.evidence["columns"]
    assert ctx.cache["personal_data"] == {"phone": "phone"}


def test_passes_on_plain_data_and_lists_what_was_scanned():
    subject, _ = _subject(email_feature=False)
    result, ctx = _check(subject)
    assert result.status == "pass", result.summary
    assert result.evidence["scanned"] == ["a", "b"] and result.evidence["columns"] == {}
    assert "e-mail addresses" in result.evidence["detectors"]
    assert ctx.cache["personal_data"] == {}


def test_tiny_data_is_no_false_alarm():
    subject, _ = _subject(n=8, email_feature=False)
    assert _check(subject)[0].status == "pass"


# -- the bundle, the staged run and the input example ------------------------------------------


def _written_bytes(folder: Path) -> bytes:
    return b"\n".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


def _assert_no_value(folder: Path, values) -> None:
    blob = _written_bytes(folder)
    leaked = [v for v in values if str(v).encode() in blob]
    assert not leaked, f"{len(leaked)} raw values in {folder}, e.g. {leaked[:2]}"


@pytest.mark.parametrize("from_check", [True, False])
def test_bundle_keeps_a_personal_feature_out_and_reads_it_back(tmp_path, from_check):
    subject, people = _subject(side=True)
    policy = Policy()
    contract = infer_contract(subject, policy)
    cache = {}
    if from_check:  # otherwise the bundle scans by itself (fail closed)
        cache = _check(subject, policy)[1].cache
    written = bundle_mod.write_bundle(subject, contract, policy, tmp_path, cache=cache)
    emails, phones = people["contact_email"], people["mobile"]
    _assert_no_value(written.path, list(emails) + list(phones))
    assert written.personal_features == ("contact_email",)
    assert (
        "'contact_email' (e-mail addresses) kept out of the registry"
        in (written.stored["personal_data"])
    )
    assert (tmp_path / "local_data" / "holdout.parquet").exists()
    assert not (written.path / "data" / "holdout.parquet").exists()
    # the staged run folder (what is uploaded) holds none either, the contract included
    from jupyter_mlready.contract import write_contract

    write_contract(contract, tmp_path)  # the unredacted contract as written in --out
    stage = tmp_path / "stage"
    stage.mkdir()
    logged = _stage_files(stage, tmp_path, written)
    assert "contract/" in logged and (stage / "contract" / "contract.yaml").exists()
    _assert_no_value(stage, list(emails) + list(phones))
    # the input example holds a placeholder
    _, example, notes = input_example(subject, written)
    assert example is not None and set(example["contact_email"]) == {"redacted"}
    assert example["a"].tolist() == subject.holdout.X["a"].head(len(example)).tolist()
    assert any("placeholder" in n for n in notes)
    # read back: features from local_data, side columns without the phone
    loaded = bundle_mod.load_bundle(written.path)
    assert list(loaded.holdout.X["contact_email"]) == list(subject.holdout.X["contact_email"])
    assert list(loaded.holdout.side.columns) == ["gender"]
    assert list(loaded.holdout.side["gender"]) == list(subject.holdout.side["gender"])
    assert len(loaded.train_sample.side) == len(loaded.train_sample.X)
    assert loaded.reference_profile["features"]["contact_email"]["redacted"] is True
    assert loaded.contract.column("contact_email").categories is None


def test_a_referenced_frame_missing_or_changed_is_refused_with_its_path(tmp_path):
    subject, _ = _subject()
    policy = Policy()
    written = bundle_mod.write_bundle(subject, infer_contract(subject, policy), policy, tmp_path)
    held = tmp_path / "local_data" / "holdout.parquet"
    data = held.read_bytes()
    held.write_bytes(data[:-10] + b"0123456789")
    with pytest.raises(bundle_mod.ReferencedDataError, match="changed") as err:
        bundle_mod.load_bundle(written.path)
    assert err.value.path == str(held.resolve()) and err.value.reason == "changed"
    held.unlink()
    with pytest.raises(bundle_mod.ReferencedDataError, match="does not exist here") as err:
        bundle_mod.load_bundle(written.path)
    assert err.value.reason == "missing" and str(held.resolve()) in str(err.value)


def test_store_data_reference_keeps_every_frame_out_of_the_bundle(tmp_path):
    subject, _ = _subject(email_feature=False, side=True)
    policy = Policy(store_data="reference")
    written = bundle_mod.write_bundle(subject, infer_contract(subject, policy), policy, tmp_path)
    kept = sorted(p.name for p in (written.path / "data").iterdir())
    assert not [k for k in kept if k.endswith(".parquet")], kept
    assert "reference_profile.json" in kept and "reference_predictions.npz" in kept
    _assert_no_value(written.path, subject.holdout.side["phone"])
    assert "stored outside the registry" in written.stored["data_reference"]
    loaded = bundle_mod.load_bundle(written.path)
    pd.testing.assert_frame_equal(
        loaded.holdout.X.reset_index(drop=True), subject.holdout.X.reset_index(drop=True)
    )
    assert list(loaded.holdout.side.columns) == ["gender"]
    assert loaded.holdout.y.tolist() == subject.holdout.y.tolist()


def test_a_bundle_without_personal_data_is_as_before(tmp_path):
    subject, _ = _subject(email_feature=False)
    policy = Policy()
    written = bundle_mod.write_bundle(subject, infer_contract(subject, policy), policy, tmp_path)
    assert (written.path / "data" / "holdout.parquet").exists()
    assert not (tmp_path / "local_data").exists()
    loaded = bundle_mod.load_bundle(written.path)
    assert loaded.holdout.side is None and loaded.meta["data_reference"] == {}


def test_redactors_leave_other_columns_alone():
    subject, people = _subject()
    few = subject.train.X.assign(contact_email=list(people["contact_email"][:5]) * 60)
    subject = replace(subject, train=replace(subject.train, X=few))
    contract = infer_contract(subject, Policy())
    assert contract.column("contact_email").categories  # five e-mails: an allowed-values list
    redacted, notes = redact.redact_contract(contract, ["contact_email"])
    assert notes == ["'contact_email': its allowed values removed from the contract"]
    assert redacted.column("a") == contract.column("a")
    assert redacted.column("contact_email").categories is None
    profile = {
        "rows": 3,
        "features": {
            "x": {"kind": "string", "rows": 3, "null_share": 0.0, "categories": {"a@b.co": 1.0}},
            "y": {"kind": "float"},
        },
    }
    out = redact.redact_profile(profile, ["x"])
    assert out["features"]["x"] == {
        "kind": "string",
        "rows": 3,
        "null_share": 0.0,
        "redacted": True,
    }
    assert out["features"]["y"] == {"kind": "float"} and "categories" in profile["features"]["x"]
    frame = pd.DataFrame({"n": [123456789012, 2], "t": ["a@b.co", "c@d.co"], "k": [1.5, 2.5]})
    ex = redact.redact_example(frame, ["n", "t"])
    assert ex["n"].tolist() == [0, 0] and ex["n"].dtype == frame["n"].dtype
    assert ex["t"].tolist() == ["redacted", "redacted"] and ex["k"].tolist() == [1.5, 2.5]


def test_check_runs_fast_enough_at_100k_rows():
    """Not a timed assertion: the sample is bounded (at most 2,000 values per column)."""
    rng = np.random.default_rng(0)
    n = 100_000
    X = pd.DataFrame({f"x{i}": rng.normal(size=n) for i in range(5)})
    X["note"] = rng.choice(["alpha", "beta", "gamma"], n)
    X["code"] = rng.integers(10**9, 10**10, n)
    found = detect.personal_data_columns(X, 0.30)
    assert found == {}
