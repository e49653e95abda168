"""Features against the policy's meta-level requirements: forbidden, allowed and sensitive lists
(ML Test Score Data 4)."""

from __future__ import annotations

import fnmatch

from ..side_columns import sensitive_by_name
from ..views import Cell, Facts, Table, View
from .feature_value import FEATURES
from .registry import CheckContext, Finding, Input, Score, check

FEATURE_POLICY_KEYS = ("forbidden_features", "allowed_features", "sensitive_features")


def _matches(name: str, patterns) -> list[str]:
    """The patterns (exact names or globs, any case) ``name`` matches."""
    low = name.lower()
    return [p for p in patterns if fnmatch.fnmatchcase(low, str(p).lower())]


def judge_features(features: list[str], policy) -> dict:
    """Per feature: the policy entries it breaks or meets. Returns {"forbidden": {name: patterns},
    "not_allowed": [...], "sensitive": {name: "declared" | "detected by name"},
    "sensitive_allowed": [...]}."""
    forbidden = {f: m for f in features if (m := _matches(f, policy.forbidden_features))}
    allowed = policy.allowed_features
    not_allowed = [f for f in features if allowed and not _matches(f, allowed)]
    declared = {f for f in features if _matches(f, policy.sensitive_features)}
    detected = set(sensitive_by_name(features)) - declared
    sensitive = {f: "declared" for f in declared} | {f: "detected by name" for f in detected}
    # a sensitive feature the allowed list names explicitly (not through a catch-all "*")
    explicit = [p for p in allowed if not set(str(p)) <= set("*?")]
    sensitive_allowed = sorted(f for f in sensitive if _matches(f, explicit))
    return {
        "forbidden": forbidden,
        "not_allowed": not_allowed,
        "sensitive": dict(sorted(sensitive.items())),
        "sensitive_allowed": sensitive_allowed,
    }


def _names(items) -> str:
    items = list(items)
    shown = ", ".join(f"'{i}'" for i in items[:6])
    return shown + (f" and {len(items) - 6} more" if len(items) > 6 else "")


def policy_view(check: dict, doc: dict) -> View | None:
    ev = raw if isinstance(raw := check.get("evidence"), dict) else {}
    rows = []
    for name, patterns in (ev.get("forbidden") or {}).items():
        rows.append(
            (Cell(name, code=True), Cell("forbidden", status="fail"), Cell(", ".join(patterns)))
        )
    for name in ev.get("not_allowed") or []:
        rows.append(
            (Cell(name, code=True), Cell("not allowed", status="fail"), Cell("no allowed pattern"))
        )
    allowed = set(ev.get("sensitive_allowed") or [])
    for name, how in (ev.get("sensitive") or {}).items():
        state = ("sensitive, allowed", "pass") if name in allowed else ("sensitive", "warn")
        rows.append((Cell(name, code=True), Cell(state[0], status=state[1]), Cell(how)))
    declared = ev.get("declared") or {}
    facts = Facts(
        (("features checked", str(ev.get("features", "?"))),)
        + tuple((k, ", ".join(map(str, v)) or "—") for k, v in declared.items())
        + ((("declared lists", "none: only names were read"),) if not declared else ())
    )
    blocks: tuple = (facts,)
    if rows:
        blocks += (Table(("feature", "finding", "why"), tuple(rows)),)
    return View(
        "features-policy",
        "Features against the policy",
        blocks,
        status=check.get("status"),
        check=check.get("id"),
        nav="Feature policy",
    )


@check(
    "features.policy",
    section=FEATURES,
    needs=(Input.HOLDOUT,),
    on_spark="none",  # reads the column names only
    scores=(
        Score(
            "data-4",
            "auto",
            "Every model input is checked against the policy's forbidden, allowed and sensitive "
            "feature lists.",
        ),
    ),
    view=policy_view,
)
def feature_policy(ctx: CheckContext) -> Finding:
    """Are the features allowed by the policy (forbidden / sensitive / allowed lists)?

    A feature matching ``forbidden_features`` (names or globs) or no pattern of a non-empty
    ``allowed_features`` fails. A sensitive feature used directly as an input (declared in
    ``sensitive_features``, or named like gender, race, religion...) warns, unless
    ``allowed_features`` names it explicitly. With no list declared, only the names are read:
    the scorecard counts that as part of the test, since nobody stated the requirements."""
    p = ctx.policy
    features = [str(c) for c in ctx.holdout.X.columns]
    found = judge_features(features, p)
    declared = [k for k in FEATURE_POLICY_KEYS if getattr(p, k)]
    evidence: dict = {
        "features": len(features),
        "declared": {k: list(getattr(p, k)) for k in declared},
        **found,
    }
    if not declared:
        evidence["scorecard_limits"] = {
            "data-4": "no feature requirements are declared in the policy (forbidden_features, "
            "allowed_features, sensitive_features): only names that read as protected attributes "
            "were checked"
        }
    bad = list(found["forbidden"]) + found["not_allowed"]
    if bad:
        parts = []
        if found["forbidden"]:
            parts.append(f"{_names(found['forbidden'])} forbidden by the policy")
        if found["not_allowed"]:
            parts.append(f"{_names(found['not_allowed'])} matching no allowed_features pattern")
        return Finding(
            "fail",
            "The model takes " + "; ".join(parts) + ".",
            evidence,
            remedy="Drop these columns from the features and retrain, or change the policy's "
            "lists with the owner of the requirement (a data-governance decision).",
        )
    unexcused = [f for f in found["sensitive"] if f not in found["sensitive_allowed"]]
    if unexcused:
        how = {found["sensitive"][f] for f in unexcused}
        return Finding(
            "warn",
            f"The model takes the sensitive attribute(s) {_names(unexcused)} as input"
            + (" (detected by name)" if how == {"detected by name"} else "")
            + ".",
            evidence,
            remedy="Drop a protected attribute from the features (keep it beside the hold-out "
            "for the fairness check), or list it in allowed_features when its use is approved.",
        )
    summary = f"All {len(features)} features are allowed by the policy"
    if not declared:
        summary = (
            f"No feature list is declared; none of the {len(features)} feature names reads as "
            "a protected attribute"
        )
    return Finding("pass", summary + ".", evidence)
