import numpy as np
import pandas as pd
import pandera.pandas as pa

from jupyter_mlready.contract import (
    build_schema,
    infer_column,
    load_contract,
    validate_frame,
    write_contract,
)
from jupyter_mlready.policy import Policy
from jupyter_mlready.records import Contract


def _frame():
    return pd.DataFrame(
        {
            "amount": [10.0, np.nan, 30.0, 20.0],
            "count": [0, 1, 2, 3],
            "kind": ["a", "b", "a", "c"],
            "when": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01", "2024-04-01"]),
            "flag": [True, False, True, True],
            "cat": pd.Categorical(["p", "q", "p", "p"]),
        }
    )


def _contract(df):
    specs = tuple(infer_column(c, df[c], Policy()) for c in df.columns)
    return Contract(specs, build_schema(specs), 0.1, 50)


def test_inferred_columns_are_tightened():
    c = _contract(_frame())
    amount = c.column("amount")
    assert amount.kind == "float" and amount.nullable and amount.low == 8.0 and amount.high == 32.0
    count = c.column("count")
    assert count.kind == "integer" and not count.nullable and count.low == 0.0  # never below 0
    assert c.column("kind").categories == ("a", "b", "c")
    assert c.column("flag").kind == "boolean"
    assert c.column("cat").kind == "category"
    assert c.column("when").kind == "datetime"
    assert validate_frame(c, _frame()) is None


def test_contract_catches_strings_unseen_values_ranges_and_nulls():
    c = _contract(_frame())
    bad = _frame()
    bad["amount"] = ["10", "20", "30", "40"]  # numbers sent as strings: no silent coercion
    bad["kind"] = ["a", "zzz", "a", "c"]
    bad.loc[0, "count"] = 99
    bad["flag"] = [True, None, True, True]
    failures = validate_frame(c, bad)
    assert failures is not None
    by_column = set(failures["column"].astype(str))
    assert {"amount", "kind", "count", "flag"} <= by_column


def test_high_cardinality_text_gets_no_allowed_values():
    df = pd.DataFrame({"id": [f"id{i}" for i in range(100)]})
    spec = infer_column("id", df["id"], Policy(max_categories=50))
    assert spec.kind == "string" and spec.categories is None


def test_written_contract_round_trips(tmp_path):
    c = _contract(_frame())
    paths = write_contract(c, tmp_path)
    again = load_contract(paths["json"])
    assert again.columns == c.columns
    assert validate_frame(again, _frame()) is None
    yaml_schema = pa.DataFrameSchema.from_yaml(paths["yaml"])
    yaml_schema.validate(_frame())
    scope: dict = {}
    exec(paths["py"].read_text(), scope)
    scope["schema"].validate(_frame())
