"""The ML Test Score scorecard: which of the rubric's 28 tests this run evidences.

Breck, Cai, Nielsen, Salib, Sculley (2017), "The ML Test Score: A Rubric for ML Production
Readiness and Technical Debt Reduction", IEEE Big Data. 28 tests in four sections of seven.
Scoring follows the paper: half a point for a test run by hand with documented results, one
point for a test that is automated and runs repeatedly; a section's score is the sum of its
tests, and the final score is the **minimum** over the four sections.

``TESTS`` is the rubric, kept as data; the checks declare which tests they evidence in their
registration (``Score``), and :func:`evidence` joins the two. ``reach`` is the most this tool
can earn for a test:
``"auto"`` (1 point: our checks automate it), ``"partial"`` (0.5: our checks cover part of it, a
person does the rest) or ``"none"`` (0: a person has to do it). The points a run actually earns
depend on whether the named checks ran (pass, warn or fail; a skipped or crashed check is no
evidence). Points measure whether a test was carried out, not whether it passed: the verdict
covers that.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SECTIONS = ("Data", "Model", "Infrastructure", "Monitoring")
RAN = frozenset({"pass", "warn", "fail", "waived"})  # waived: it ran, and warned or failed


@dataclass(frozen=True)
class RubricTest:
    """One test of the rubric and how this tool evidences it.

    The checks that evidence a test are not listed here: each check declares the tests it
    evidences in its registration (``Score``), and :func:`evidence` collects them. What is here
    is the rubric itself, what a reviewer still does by hand, and the evidence that is a fact
    of the run rather than a check (``fields``: dotted paths in readiness.json that must be
    non-empty; ``fields_reach`` / ``fields_how`` when they alone earn part of the test)."""

    key: str  # e.g. "data-1"
    section: str
    name: str
    manual: str = ""  # what a reviewer still has to check by hand
    fields: tuple[str, ...] = ()
    fields_reach: str = "none"  # "partial" when the fields alone evidence part of the test
    fields_how: str = ""


def _t(
    section: str, n: int, name: str, manual: str = "", fields=(), fields_reach="none", fields_how=""
) -> RubricTest:
    return RubricTest(
        f"{section.lower()}-{n}", section, name, manual, tuple(fields), fields_reach, fields_how
    )


TESTS: tuple[RubricTest, ...] = (
    # Data (Table I)
    _t(
        "Data",
        1,
        "Feature expectations are captured in a schema",
        "Read the contract table: ranges and allowed values came from training data and may "
        "encode its accidents.",
    ),
    _t(
        "Data",
        2,
        "All features are beneficial",
        "Run a feature ablation or importance analysis; single-feature scores only show "
        "features that carry signal alone.",
    ),
    _t(
        "Data",
        3,
        "No feature's cost is too much",
        "Weigh each feature's upstream cost (latency, dependencies, maintenance) against its gain.",
    ),
    _t(
        "Data",
        4,
        "Features adhere to meta-level requirements",
        "Confirm every feature is allowed: no protected attributes, approved sources only.",
    ),
    _t(
        "Data",
        5,
        "The data pipeline has appropriate privacy controls",
        "Confirm PII handling, access controls and retention for the training data.",
    ),
    _t(
        "Data",
        6,
        "New features can be added quickly",
        "Judge how long adding a feature end to end takes in this codebase.",
    ),
    _t(
        "Data",
        7,
        "All input feature code is tested",
        "Unit-test feature code that runs outside the model object (SQL, feature store).",
    ),
    # Model (Table II)
    _t(
        "Model",
        1,
        "Model specs are reviewed and submitted",
        "Review the notebook and commit it to version control with this report.",
        fields=["provenance.notebook_sha256"],
    ),
    _t(
        "Model",
        2,
        "Offline and online metrics correlate",
        "Compare hold-out metrics with online outcomes (A/B test or shadow traffic).",
    ),
    _t(
        "Model",
        3,
        "All hyperparameters have been tuned",
        "Check that hyperparameters were searched (and how), not left at defaults by accident.",
    ),
    _t(
        "Model",
        4,
        "The impact of model staleness is known",
        "Train on older data, evaluate on newer data, and decide a retraining schedule.",
    ),
    _t(
        "Model",
        5,
        "A simpler model is not better",
        "Compare with a simple model (e.g. a linear model on a few features) as well.",
    ),
    _t(
        "Model",
        6,
        "Model quality is sufficient on all important data slices",
        "Evaluate metrics per important slice (region, segment, time) and compare with the total.",
    ),
    _t(
        "Model",
        7,
        "The model has been tested for considerations of inclusion",
        "Check fairness across the groups the model affects.",
    ),
    # Infrastructure (Table III)
    _t(
        "Infrastructure",
        1,
        "Training is reproducible",
        "If training is not seeded, compare two trainings' predictions.",
    ),
    _t(
        "Infrastructure",
        2,
        "Model specs are unit tested",
        "Unit-test custom model code (losses, layers, transformers) directly.",
    ),
    _t(
        "Infrastructure",
        3,
        "The ML pipeline is integration tested",
        "Run the whole pipeline (raw data in, the served prediction out) in a staging "
        "environment, the feature code included.",
    ),
    _t("Infrastructure", 4, "Model quality is validated before attempting to serve it"),
    _t(
        "Infrastructure",
        5,
        "The model is debuggable",
        "Check an engineer can run a single example through the model step by step.",
        fields=["artifact.flavor"],
        fields_reach="partial",
        fields_how="The model is logged in its own MLflow flavor (loadable to step through), and "
        "every failing property check comes with a snippet that runs its example through it.",
    ),
    _t(
        "Infrastructure",
        6,
        "Models are canaried before serving",
        "Roll out to a small share of traffic first.",
    ),
    _t(
        "Infrastructure",
        7,
        "Serving models can be rolled back",
        "Confirm the serving system follows the registry alias, and rehearse a rollback.",
        fields=["model.uri"],
        fields_reach="partial",
        fields_how="Each version is registered; `mlready rollback NAME` moves the alias back.",
    ),
    # Monitoring (Table IV)
    _t(
        "Monitoring",
        1,
        "Dependency changes result in notification",
        "Subscribe to changes of upstream data and packages.",
        fields=["provenance.packages"],
        fields_reach="partial",
        fields_how="Package versions are recorded with every run.",
    ),
    _t(
        "Monitoring",
        2,
        "Data invariants hold in training and serving inputs",
        "Validate live inputs against the contract in serving and alert on violations.",
    ),
    _t(
        "Monitoring",
        3,
        "Training and serving features compute the same values",
        "Log serving features and compare them with offline recomputation.",
    ),
    _t(
        "Monitoring",
        4,
        "Models are not too stale",
        "Alert when the serving model's age passes the retraining schedule.",
    ),
    _t(
        "Monitoring",
        5,
        "The model is numerically stable",
        "Watch for NaN / inf during (re)training.",
    ),
    _t(
        "Monitoring",
        6,
        "Computing performance has not regressed",
        "Monitor serving latency, throughput and memory in production.",
    ),
    _t(
        "Monitoring",
        7,
        "Prediction quality has not regressed",
        "Monitor live prediction quality once labels arrive.",
    ),
)


@dataclass(frozen=True)
class Evidence:
    """What the registered checks claim for one test."""

    reach: str  # "auto" | "partial" | "none": the most this tool can earn for the test
    checks: tuple[str, ...]  # checks that evidence it (all must run for full credit)
    related: tuple[str, ...]  # checks worth reading, that do not earn points
    automated: str  # what this tool does about it


def evidence(specs=None) -> dict[str, Evidence]:
    """Test key -> the evidence the registered checks declare for it (``Score`` facets)."""
    if specs is None:
        from ..checks import load_checks

        specs = load_checks()
    known = {t.key for t in TESTS}
    claims: dict[str, list] = {}
    for spec in specs:
        for score in spec.scores:
            if score.test not in known:
                raise ValueError(
                    f"check {spec.id!r} claims ML Test Score test {score.test!r}, which the rubric "
                    f"does not have; known: {', '.join(t.key for t in TESTS)}"
                )
            claims.setdefault(score.test, []).append((spec.id, score))
    out = {}
    for test in TESTS:
        mine = claims.get(test.key, [])
        checks = tuple(i for i, sc in mine if sc.reach != "related")
        reaches = {sc.reach for _, sc in mine if sc.reach != "related"}
        if checks:
            reach = "auto" if reaches == {"auto"} else "partial"
        else:
            reach = test.fields_reach
        hows = [sc.how for _, sc in mine if sc.how and sc.reach != "related"] + [test.fields_how]
        out[test.key] = Evidence(
            reach,
            checks,
            tuple(i for i, sc in mine if sc.reach == "related"),
            " ".join(dict.fromkeys(h for h in hows if h)),
        )
    return out


INTERPRETATION = (
    (0.0, "More of a research project than a productionized system."),
    (
        1.0,
        "Not totally untested, but it is worth considering the possibility of serious holes in "
        "reliability.",
    ),
    (
        2.0,
        "There has been a first pass at basic productionization, but additional investment may "
        "be needed.",
    ),
    (3.0, "Reasonably tested, but more of those tests and procedures may be automated."),
    (
        5.0,
        "Strong levels of automated testing and monitoring, appropriate for mission-critical "
        "systems.",
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
    value: Any = doc
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _limits(doc: dict) -> dict[str, dict[str, str]]:
    """Test key -> {check id: why it only covers part of the test in this run}, from the checks'
    ``evidence.scorecard_limits`` (a check that ran but could not do all of its test here: no
    feature list declared, a random rather than out-of-time split)."""
    out: dict[str, dict[str, str]] = {}
    for c in doc.get("checks") or []:
        ev = c.get("evidence") if isinstance(c, dict) else None
        limits = ev.get("scorecard_limits") if isinstance(ev, dict) else None
        if isinstance(limits, dict):
            for key, why in limits.items():
                out.setdefault(str(key), {})[str(c.get("id"))] = str(why)
    return out


def score_test(
    test: RubricTest,
    ev: Evidence,
    statuses: dict[str | None, str | None],
    doc: dict,
    limits: dict[str, str] | None = None,
) -> dict:
    """Points and state for one test: "auto" (1), "partial" (0.5) or "none" (0) in this run.
    ``statuses`` maps check id to status as readiness.json has them (None where one is missing);
    ``limits``: check id -> why that check covered only part of the test in this run."""
    ran = [c for c in ev.checks if statuses.get(c) in RAN]
    missing = [c for c in ev.checks if statuses.get(c) not in RAN]
    fields_ok = all(_field(doc, f) not in (None, "", {}, []) for f in test.fields)
    limited = {c: why for c, why in (limits or {}).items() if c in ran}
    if ev.reach == "none" or not fields_ok or (ev.checks and not ran):
        state = "none"
    elif ev.reach == "auto" and not missing and not limited:
        state = "auto"
    else:
        state = "partial"
    points = {"auto": 1.0, "partial": 0.5, "none": 0.0}[state]
    return {
        "key": test.key,
        "section": test.section,
        "name": test.name,
        "reach": ev.reach,
        "state": state,
        "points": points,
        "checks": [{"id": c, "status": statuses.get(c, "absent")} for c in ev.checks],
        "related": [{"id": c, "status": statuses.get(c, "absent")} for c in ev.related],
        "not_run": missing,
        "limited": [f"{c}: {why}" for c, why in limited.items()],
        "automated": ev.automated,
        "manual": test.manual,
    }


def build_scorecard(doc: dict, specs=None) -> dict:
    """The scorecard of a readiness.json document: tests, section scores, final score."""
    statuses = {
        c.get("id"): c.get("status") for c in doc.get("checks") or [] if isinstance(c, dict)
    }
    claims = evidence(specs)
    limits = _limits(doc)
    rows = [score_test(t, claims[t.key], statuses, doc, limits.get(t.key)) for t in TESTS]
    return _assemble(rows)


def _assemble(rows: list[dict]) -> dict:
    """Sections, final score and the by-hand list from the scored tests."""
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
        "total": sum(s["score"] for s in sections),
        "interpretation": interpret(final),
        "weakest": [s["name"] for s in sections if s["score"] == final],
        "manual": manual,
        "counts": {k: sum(1 for r in rows if r["state"] == k) for k in ("auto", "partial", "none")},
    }


def document_scorecard(doc: dict, specs=None) -> dict:
    """The ``scorecard`` field of readiness.json (DESIGN.md): per section its points and maximum,
    the final score (the weakest section), the total, and per test how this run evidenced it.

    Each test: ``section``, ``n``, ``key``, ``name``; ``reach`` is what this run earned
    ("auto" 1 point, "partial" 0.5, "none" 0) and ``max_reach`` the most this tool can earn for
    it; ``checks`` its checks' ids, ``statuses`` theirs, ``ran`` whether all of them ran (pass,
    warn, fail or waived: a skipped or crashed check is no evidence); ``automated`` what the
    checks do of the test, ``limited`` why a check covered only part of it in this run,
    ``manual`` what a reviewer still does by hand."""
    card = build_scorecard(doc, specs)
    tests = []
    for section in card["sections"]:
        for row in section["tests"]:
            tests.append(
                {
                    "section": row["section"],
                    "n": int(row["key"].split("-")[1]),
                    "key": row["key"],
                    "name": row["name"],
                    "reach": row["state"],
                    "max_reach": row["reach"],
                    "points": row["points"],
                    "checks": [c["id"] for c in row["checks"]],
                    "statuses": {c["id"]: c["status"] for c in row["checks"]},
                    "related": [c["id"] for c in row["related"]],
                    "ran": bool(row["checks"]) and not row["not_run"],
                    "automated": row["automated"],
                    "limited": row["limited"],
                    "manual": row["manual"],
                }
            )
    return {
        "sections": {
            s["name"]: {"points": s["score"], "max": int(s["max"])} for s in card["sections"]
        },
        "score": card["score"],
        "total": card["total"],
        "max": len(TESTS),
        "tests": tests,
    }


def _row_from_document(test: dict, statuses: dict) -> dict:
    """A stored test back in the report's row shape (statuses from the document's checks, so a
    waived or re-rendered check shows its current status)."""
    ids = [str(c) for c in test.get("checks") or []]
    stored = test.get("statuses") or {}
    state = str(test.get("reach")) if test.get("reach") in ("auto", "partial", "none") else "none"
    return {
        "key": test.get("key") or f"{str(test.get('section', '')).lower()}-{test.get('n')}",
        "section": test.get("section"),
        "name": test.get("name", ""),
        "reach": test.get("max_reach", state),
        "state": state,
        "points": {"auto": 1.0, "partial": 0.5, "none": 0.0}[state],
        "checks": [{"id": c, "status": statuses.get(c) or stored.get(c, "absent")} for c in ids],
        "related": [
            {"id": c, "status": statuses.get(c, "absent")} for c in test.get("related") or []
        ],
        "not_run": [c for c in ids if (statuses.get(c) or stored.get(c)) not in RAN],
        "limited": list(test.get("limited") or []),
        "automated": test.get("automated", ""),
        "manual": test.get("manual", ""),
    }


def scorecard_of(doc: dict) -> dict:
    """The report's scorecard: read from the document's ``scorecard`` field when it has one
    (what the run recorded), else computed from its checks (documents written before)."""
    stored = doc.get("scorecard")
    if isinstance(stored, dict) and isinstance(stored.get("tests"), list) and stored["tests"]:
        statuses = {
            c.get("id"): c.get("status") for c in doc.get("checks") or [] if isinstance(c, dict)
        }
        rows = [_row_from_document(t, statuses) for t in stored["tests"] if isinstance(t, dict)]
        if {r["section"] for r in rows} == set(SECTIONS):
            return _assemble(rows)
    return build_scorecard(doc)
