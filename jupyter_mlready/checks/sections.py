"""The sections the built-in checks are grouped in: one per validation-notebook section and
report group. A check names its section in its registration; a new section is one record here
(or in the check's own module)."""

from __future__ import annotations

from .registry import Section

REPRODUCIBILITY = Section(
    "reproducibility",
    "Reproducibility: does the artifact reproduce the notebook?",
    "The artifact's predictions on the hold-out must equal, row for row, what the notebook's "
    "model predicted (stored in the bundle when the artifact was logged). A model that needs a "
    "module written beside the notebook, or a function defined in one of its cells, fails here "
    "with the real error — exactly what would happen in production.",
    order=10,
)
CONTRACT = Section(
    "contract",
    "Data contract on the hold-out",
    "The contract (types, ranges with margin, categories, nullability) was inferred from "
    "training data. Hold-out rows outside it mean production data may not look like what the "
    "model learned.",
    order=20,
)
LEAKAGE = Section(
    "leakage",
    "Leakage",
    "Hold-out rows that also occur in training inflate every metric above; a single feature "
    "that predicts the target almost perfectly is usually the target in disguise.",
    order=40,
)
PERFORMANCE = Section(
    "performance",
    "Performance: baseline, thresholds, champion",
    "Metrics on the hold-out against a trivial baseline that fits the task and the class "
    "balance, against the policy's thresholds, and against the version that holds the `ready` "
    "alias.",
    order=50,
)
DRIFT = Section(
    "drift",
    "Drift between training and hold-out",
    "Per-feature shift, decided on effect sizes (PSI, KS statistic), not on p-values alone.",
    order=60,
)
LATENCY = Section(
    "latency",
    "Latency",
    "Per-row and batch latency of the loaded artifact after a warm-up, p50 / p95 / p99 against "
    "the policy's per-row p95 budget, with the batch throughput. Measurement is bounded (≈1 s).",
    order=70,
)
