"""The ML Test Score scorecard: which of the rubric's 28 tests this run evidences.

Breck, Cai, Nielsen, Salib, Sculley (2017), "The ML Test Score: A Rubric for ML Production
Readiness and Technical Debt Reduction", IEEE Big Data. 28 tests in four sections of seven.
Scoring follows the paper: half a point for a test run by hand with documented results, one
point for a test that is automated and runs repeatedly; a section's score is the sum of its
tests, and the final score is the **minimum** over the four sections.

``TESTS`` is the mapping, kept as data. ``reach`` is the most this tool can earn for a test:
``"auto"`` (1 point: our checks automate it), ``"partial"`` (0.5: our checks cover part of it, a
person does the rest) or ``"none"`` (0: a person has to do it). The points a run actually earns
depend on whether the named checks ran (pass, warn or fail; a skipped or crashed check is no
evidence). Points measure whether a test was carried out, not whether it passed: the verdict
covers that.
"""

from __future__ import annotations

from dataclasses import dataclass

SECTIONS = ("Data", "Model", "Infrastructure", "Monitoring")
RAN = frozenset({"pass", "warn", "fail"})


@dataclass(frozen=True)
class RubricTest:
    """One test of the rubric and how this tool evidences it."""

    key: str  # e.g. "data-1"
    section: str
    name: str
    reach: str  # "auto" | "partial" | "none"
    checks: tuple[str, ...] = ()  # checks that evidence it (all must run for full credit)
    related: tuple[str, ...] = ()  # checks worth reading, that do not earn points
    fields: tuple[str, ...] = ()  # dotted paths in readiness.json that must be non-empty
    automated: str = ""  # what this run does about it
    manual: str = ""  # what a reviewer still has to check by hand


def _t(
    section: str,
    n: int,
    name: str,
    reach: str,
    checks=(),
    related=(),
    fields=(),
    automated="",
    manual="",
) -> RubricTest:
    return RubricTest(
        f"{section.lower()}-{n}",
        section,
        name,
        reach,
        tuple(checks),
        tuple(related),
        tuple(fields),
        automated,
        manual,
    )


TESTS: tuple[RubricTest, ...] = (
    # Data (Table I)
    _t(
        "Data",
        1,
        "Feature expectations are captured in a schema",
        "auto",
        ["contract.holdout"],
        automated="A contract (types, ranges, allowed values, nullability) is inferred from training "
        "data, saved as contract.py / contract.yaml and enforced on the hold-out.",
        manual="Read the contract table: ranges and allowed values came from training data and may "
        "encode its accidents.",
    ),
    _t(
        "Data",
        2,
        "All features are beneficial",
        "none",
        related=["leakage.target_proxy"],
        manual="Run a feature ablation or importance analysis; single-feature scores only show "
        "features that carry signal alone.",
    ),
    _t(
        "Data",
        3,
        "No feature's cost is too much",
        "none",
        related=["latency"],
        manual="Weigh each feature's upstream cost (latency, dependencies, maintenance) against its gain.",
    ),
    _t(
        "Data",
        4,
        "Features adhere to meta-level requirements",
        "none",
        manual="Confirm every feature is allowed: no protected attributes, approved sources only.",
    ),
    _t(
        "Data",
        5,
        "The data pipeline has appropriate privacy controls",
        "none",
        manual="Confirm PII handling, access controls and retention for the training data.",
    ),
    _t(
        "Data",
        6,
        "New features can be added quickly",
        "none",
        manual="Judge how long adding a feature end to end takes in this codebase.",
    ),
    _t(
        "Data",
        7,
        "All input feature code is tested",
        "partial",
        ["robustness.missing_values", "robustness.input_format"],
        related=["robustness.unseen_categories", "robustness.extreme_values"],
        automated="Property tests push edge cases through the model's own preprocessing.",
        manual="Unit-test feature code that runs outside the model object (SQL, feature store).",
    ),
    # Model (Table II)
    _t(
        "Model",
        1,
        "Model specs are reviewed and submitted",
        "partial",
        ["reproducibility.rerun"],
        fields=["provenance.notebook_sha256"],
        automated="The notebook that builds the model is fingerprinted and re-run top to bottom.",
        manual="Review the notebook and commit it to version control with this report.",
    ),
    _t(
        "Model",
        2,
        "Offline and online metrics correlate",
        "none",
        manual="Compare hold-out metrics with online outcomes (A/B test or shadow traffic).",
    ),
    _t(
        "Model",
        3,
        "All hyperparameters have been tuned",
        "none",
        manual="Check that hyperparameters were searched (and how), not left at defaults by accident.",
    ),
    _t(
        "Model",
        4,
        "The impact of model staleness is known",
        "none",
        related=["drift.train_holdout"],
        manual="Train on older data, evaluate on newer data, and decide a retraining schedule.",
    ),
    _t(
        "Model",
        5,
        "A simpler model is not better",
        "partial",
        ["performance.baseline"],
        automated="The model is compared with a trivial baseline (class priors / mean) on the hold-out.",
        manual="Compare with a simple model (e.g. a linear model on a few features) as well.",
    ),
    _t(
        "Model",
        6,
        "Model quality is sufficient on all important data slices",
        "none",
        manual="Evaluate metrics per important slice (region, segment, time) and compare with the total.",
    ),
    _t(
        "Model",
        7,
        "The model has been tested for considerations of inclusion",
        "none",
        manual="Check fairness across the groups the model affects.",
    ),
    # Infrastructure (Table III)
    _t(
        "Infrastructure",
        1,
        "Training is reproducible",
        "auto",
        ["reproducibility.rerun", "reproducibility.fresh_kernel"],
        related=["determinism"],
        automated="The notebook re-trains in a fresh kernel, and the logged artifact predicts exactly "
        "what the notebook's model predicted.",
        manual="If training is not seeded, compare two trainings' predictions.",
    ),
    _t(
        "Infrastructure",
        2,
        "Model specs are unit tested",
        "partial",
        ["output.contract", "determinism", "batch_invariance"],
        related=["robustness.empty_input"],
        automated="Generated property tests (pytest) check the model's outputs and invariances.",
        manual="Unit-test custom model code (losses, layers, transformers) directly.",
    ),
    _t(
        "Infrastructure",
        3,
        "The ML pipeline is integration tested",
        "auto",
        ["reproducibility.rerun", "reproducibility.fresh_kernel"],
        automated="Notebook to registered artifact to fresh-kernel validation runs end to end.",
    ),
    _t(
        "Infrastructure",
        4,
        "Model quality is validated before attempting to serve it",
        "auto",
        ["performance.thresholds", "performance.baseline"],
        related=["performance.champion"],
        automated="The gate checks hold-out metrics against the policy before the registry alias moves.",
    ),
    _t(
        "Infrastructure",
        5,
        "The model is debuggable",
        "none",
        related=["batch_invariance"],
        manual="Check an engineer can run a single example through the model step by step.",
    ),
    _t(
        "Infrastructure",
        6,
        "Models are canaried before serving",
        "partial",
        ["reproducibility.fresh_kernel"],
        automated="The artifact is loaded and predicts in a fresh process before it is promoted.",
        manual="Roll out to a small share of traffic first.",
    ),
    _t(
        "Infrastructure",
        7,
        "Serving models can be rolled back",
        "partial",
        fields=["model.uri"],
        related=["performance.champion"],
        automated="Each version is registered; `mlready rollback NAME` moves the alias back.",
        manual="Confirm the serving system follows the registry alias, and rehearse a rollback.",
    ),
    # Monitoring (Table IV)
    _t(
        "Monitoring",
        1,
        "Dependency changes result in notification",
        "partial",
        fields=["provenance.packages"],
        automated="Package versions are recorded with every run.",
        manual="Subscribe to changes of upstream data and packages.",
    ),
    _t(
        "Monitoring",
        2,
        "Data invariants hold in training and serving inputs",
        "partial",
        ["contract.holdout"],
        automated="The contract holds on the hold-out; contract.py can validate serving inputs.",
        manual="Validate live inputs against the contract in serving and alert on violations.",
    ),
    _t(
        "Monitoring",
        3,
        "Training and serving features compute the same values",
        "auto",
        ["reproducibility.fresh_kernel"],
        related=["robustness.input_format"],
        automated="The served artifact, loaded in a fresh kernel, predicts what the training-time "
        "model predicted on the same rows.",
        manual="Log serving features and compare them with offline recomputation.",
    ),
    _t(
        "Monitoring",
        4,
        "Models are not too stale",
        "none",
        related=["drift.train_holdout"],
        manual="Alert when the serving model's age passes the retraining schedule.",
    ),
    _t(
        "Monitoring",
        5,
        "The model is numerically stable",
        "auto",
        ["robustness.extreme_values", "robustness.missing_values", "output.contract"],
        automated="Property tests feed NaN, ±inf and extreme values and require finite outputs or a "
        "clear rejection.",
        manual="Watch for NaN / inf during (re)training.",
    ),
    _t(
        "Monitoring",
        6,
        "Computing performance has not regressed",
        "auto",
        ["latency"],
        automated="Per-row and batch latency are measured against the policy's budget.",
        manual="Monitor serving latency, throughput and memory in production.",
    ),
    _t(
        "Monitoring",
        7,
        "Prediction quality has not regressed",
        "auto",
        ["performance.champion"],
        related=["performance.thresholds"],
        automated="The candidate is compared with the current champion on the same hold-out.",
        manual="Monitor live prediction quality once labels arrive.",
    ),
)

INTERPRETATION = (
    (0.0, "More of a research project than a productionized system."),
    (
        1.0,
        "Not totally untested, but it is worth considering the possibility of serious holes in reliability.",
    ),
    (
        2.0,
        "There has been a first pass at basic productionization, but additional investment may be needed.",
    ),
    (3.0, "Reasonably tested, but more of those tests and procedures may be automated."),
    (
        5.0,
        "Strong levels of automated testing and monitoring, appropriate for mission-critical systems.",
    ),
    (float("inf"), "Exceptional levels of automated testing and monitoring."),
)


def interpret(score: float) -> str:
    """The paper's reading of a final score (0, up to 1, up to 2, up to 3, up to 5, above 5)."""
    for bound, text in INTERPRETATION:
        if score <= bound:
            return text
    return INTERPRETATION[-1][1]  # pragma: no cover


def _field(doc: dict, path: str):
    value = doc
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def score_test(test: RubricTest, statuses: dict[str, str], doc: dict) -> dict:
    """Points and state for one test: "auto" (1), "partial" (0.5) or "none" (0) in this run."""
    ran = [c for c in test.checks if statuses.get(c) in RAN]
    missing = [c for c in test.checks if statuses.get(c) not in RAN]
    fields_ok = all(_field(doc, f) not in (None, "", {}, []) for f in test.fields)
    if test.reach == "none" or not fields_ok or (test.checks and not ran):
        state = "none"
    elif test.reach == "auto" and not missing:
        state = "auto"
    else:
        state = "partial"
    points = {"auto": 1.0, "partial": 0.5, "none": 0.0}[state]
    return {
        "key": test.key,
        "section": test.section,
        "name": test.name,
        "reach": test.reach,
        "state": state,
        "points": points,
        "checks": [{"id": c, "status": statuses.get(c, "absent")} for c in test.checks],
        "related": [{"id": c, "status": statuses.get(c, "absent")} for c in test.related],
        "not_run": missing,
        "automated": test.automated,
        "manual": test.manual,
    }


def build_scorecard(doc: dict) -> dict:
    """The scorecard of a readiness.json document: tests, section scores, final score."""
    statuses = {
        c.get("id"): c.get("status") for c in doc.get("checks") or [] if isinstance(c, dict)
    }
    rows = [score_test(t, statuses, doc) for t in TESTS]
    sections = []
    for name in SECTIONS:
        tests = [r for r in rows if r["section"] == name]
        sections.append(
            {
                "name": name,
                "tests": tests,
                "score": sum(r["points"] for r in tests),
                "max": float(len(tests)),
                "reach": sum({"auto": 1.0, "partial": 0.5}.get(r["reach"], 0.0) for r in tests),
            }
        )
    final = min(s["score"] for s in sections)
    manual = [r for r in rows if r["state"] != "auto" and r["manual"]]
    return {
        "sections": sections,
        "score": final,
        "interpretation": interpret(final),
        "weakest": [s["name"] for s in sections if s["score"] == final],
        "manual": manual,
        "counts": {k: sum(1 for r in rows if r["state"] == k) for k in ("auto", "partial", "none")},
    }
