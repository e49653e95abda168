"""Live batches for the claims fraud example, drawn from the same synthetic process as
``claims_fraud.ipynb``: what `mlready monitor` sees after the model is handed off.

    python examples/claims_batches.py OUT_DIR [--rows N] [--seed S]

writes into OUT_DIR:

- ``week_01.parquet``: a normal week of claims, with the ``is_fraud`` labels;
- ``week_02_broken_feed.parquet``: a week in which the feed broke three ways: ``days_to_report``
  shifted by 40 days (a changed upstream definition), ``customer_age`` sent as text, and
  ``claim_amount`` missing on 40% of the rows (a source gone quiet).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd


def claims(n: int, seed: int) -> pd.DataFrame:
    """``n`` claims with their label, as the notebook generates them (another seed)."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "claim_amount": np.round(rng.lognormal(8.2, 0.9, n), 2),
            "policy_tenure_years": np.round(rng.gamma(2.0, 3.0, n), 1),
            "customer_age": rng.integers(18, 90, n),
            "prior_claims": rng.poisson(0.6, n),
            "vehicle_type": rng.choice(
                ["sedan", "suv", "truck", "van", "motorbike"], n, p=[0.4, 0.3, 0.15, 0.1, 0.05]
            ),
            "region": rng.choice(["north", "south", "east", "west", "central"], n),
            "incident_type": rng.choice(
                ["collision", "theft", "fire", "vandalism", "weather"],
                n,
                p=[0.5, 0.15, 0.05, 0.15, 0.15],
            ),
            "claim_date": pd.Timestamp("2025-01-01")
            + pd.to_timedelta(rng.integers(0, 700, n), unit="D"),
            "police_report": rng.random(n) < 0.6,
            "days_to_report": rng.integers(0, 60, n),
        }
    )
    frame.loc[rng.random(n) < 0.04, "claim_amount"] = np.nan
    frame.loc[rng.random(n) < 0.07, "policy_tenure_years"] = np.nan
    logit = (
        -4.6
        + 0.9 * np.log(frame["claim_amount"].fillna(3000) / 3000)
        + 0.45 * frame["prior_claims"]
        - 1.1 * frame["police_report"]
        + 1.3 * (frame["incident_type"] == "theft")
        + 0.9 * (frame["incident_type"] == "fire")
        + 0.035 * frame["days_to_report"]
        - 0.06 * frame["policy_tenure_years"].fillna(6)
    )
    frame["is_fraud"] = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return frame


def broken_feed(frame: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """The same claims after three feed failures: a shifted column, a numeric column sent as
    text, a column gone 40% missing."""
    broken = frame.copy()
    broken["days_to_report"] = broken["days_to_report"] + 40
    broken["customer_age"] = broken["customer_age"].astype(str)
    rng = np.random.default_rng(seed)
    broken.loc[rng.random(len(broken)) < 0.4, "claim_amount"] = np.nan
    return broken


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="folder to write the batches into")
    parser.add_argument("--rows", type=int, default=5_000, help="rows per batch (default 5,000)")
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    claims(args.rows, args.seed).to_parquet(args.out / "week_01.parquet")
    broken = broken_feed(claims(args.rows, args.seed + 1), args.seed)
    broken.to_parquet(args.out / "week_02_broken_feed.parquet")
    print(f"wrote {args.out / 'week_01.parquet'} and {args.out / 'week_02_broken_feed.parquet'}")


if __name__ == "__main__":
    main()
