"""The guard's fast value rules agree with the pandera contract they stand in for: the same rows
break the same rules, on frames with out-of-range numbers and dates, unknown categories and
missing values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from jupyter_mlready.contract import build_schema, infer_column, validate_frame
from jupyter_mlready.policy import Policy
from jupyter_mlready.records import Contract
from jupyter_mlready.serving.screen import _value_failures, screen_rows


def _training(n=500, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "amount": rng.uniform(10, 1000, n),
            "age": rng.integers(18, 90, n),
            "tenure": np.where(rng.random(n) < 0.1, np.nan, rng.uniform(0, 20, n)),
            "region": rng.choice(["north", "south", "east"], n),
            "opened": pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 700, n), "D"),
        }
    )


def _contract(frame):
    specs = tuple(infer_column(c, frame[c], Policy()) for c in frame.columns)
    return Contract(specs, build_schema(specs), Policy().range_margin, 20)


def _broken(frame, seed):
    rng = np.random.default_rng(seed)
    out = frame.copy()
    pick = rng.random(len(out))
    out.loc[pick < 0.1, "amount"] = 1e7
    out.loc[(pick >= 0.1) & (pick < 0.2), "region"] = "west"
    out.loc[(pick >= 0.2) & (pick < 0.3), "age"] = -5
    out.loc[(pick >= 0.3) & (pick < 0.4), "opened"] = pd.Timestamp("2031-01-01")
    out.loc[(pick >= 0.4) & (pick < 0.5), "region"] = None
    out.loc[(pick >= 0.5) & (pick < 0.6), "tenure"] = np.nan  # allowed
    return out


@pytest.mark.parametrize("seed", range(5))
def test_fast_rules_flag_the_rows_pandera_flags(seed):
    contract = _contract(_training())
    frame = _broken(_training(200, seed + 1), seed)
    fast = {
        (c, rule.split("(")[0]): set(rows.tolist())
        for c, rule, rows in _value_failures({s.name: s for s in contract.columns}, frame)
    }
    cases = validate_frame(contract, frame)
    slow: dict = {}
    for column, check, index in zip(cases["column"], cases["check"], cases["index"]):
        rule = "not_nullable" if "null" in str(check) else str(check).split("(")[0]
        slow.setdefault((str(column), rule), set()).add(int(index))
    assert fast == slow
    assert {k[0] for k in fast} == {"amount", "region", "age", "opened"}  # never 'tenure'


def test_a_one_row_request_is_screened_without_pandera(monkeypatch):
    import jupyter_mlready.serving.screen as screen

    def refuse(*a, **k):
        raise AssertionError("pandera was called")

    monkeypatch.setattr(screen, "validate_frame", refuse)
    contract = _contract(_training())
    row = _training(1, 9).assign(amount=1e7)
    result = screen_rows(contract, row)
    assert result.reasons[0] and "in_range" in result.reasons[0] and "'amount'" in result.reasons[0]
    assert screen_rows(contract, _training(1, 9)).reasons == (None,)


def test_a_served_contract_screens_rows_without_importing_pandera(tmp_path):
    """The scoring server's guard rebuilds the contract from its JSON: the pandera schema is
    built only if a request needs it (issue 19: the server boots without importing pandera)."""
    import json
    import subprocess
    import sys

    frame = _training()
    path = tmp_path / "contract.json"
    path.write_text(json.dumps(_contract(frame).to_dict(), default=str))
    frame.head(50).to_pickle(tmp_path / "rows.pkl")
    broken = _broken(frame.head(50), seed=3)
    broken.to_pickle(tmp_path / "broken.pkl")
    code = f"""
import sys, pandas as pd
from jupyter_mlready.contract import load_contract
from jupyter_mlready.serving.screen import screen_rows
contract = load_contract({str(path)!r})
ok = screen_rows(contract, pd.read_pickle({str(tmp_path / "rows.pkl")!r}))
bad = screen_rows(contract, pd.read_pickle({str(tmp_path / "broken.pkl")!r}))
assert all(r is None for r in ok.reasons), ok.reasons
assert any(r is not None for r in bad.reasons)
print("pandera" in sys.modules)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "False"
    # ... and the same contract still validates with pandera when asked
    from jupyter_mlready.contract import load_contract

    assert validate_frame(load_contract(path), broken) is not None


def test_a_wide_request_is_screened_as_pandera_would_screen_it():
    """300 number columns (checked as one block) and a category: the same rows and rules as
    pandera's, with integers sent as whole floats accepted and fractional ones refused."""
    rng = np.random.default_rng(5)
    train = pd.DataFrame({f"x{i:03d}": rng.normal(size=400) for i in range(300)})
    train["n"] = rng.integers(0, 9, 400)
    train["kind"] = rng.choice(["a", "b"], 400)
    contract = _contract(train)
    frame = train.head(60).copy()
    frame.loc[3, "x007"] = 99.0  # out of range
    frame.loc[5, "x100"] = np.nan  # not nullable
    frame.loc[8, "kind"] = "zzz"  # unknown category
    frame["n"] = frame["n"].astype("float64")
    frame.loc[11, "n"] = 2.5  # not an integer
    reasons = screen_rows(contract, frame).reasons
    bad = {i: r for i, r in enumerate(reasons) if r}
    assert set(bad) == {3, 5, 8, 11}, bad
    assert "'x007': in_range" in bad[3] and "'x100': not_nullable" in bad[5]
    assert "'kind': isin" in bad[8] and "'n': dtype_is_integer" in bad[11]
    cases = validate_frame(contract, frame.drop(index=[11]).astype({"n": "int64"}))
    assert {int(i) for i in cases["index"].dropna()} == {3, 5, 8}
