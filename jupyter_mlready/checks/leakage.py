"""Leakage checks: hold-out rows seen in training, and single features that give the target away."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..hashing import index_overlap_rate, row_hashes
from ..profile import datetime_seconds
from .registry import CheckContext, Finding, Input, Score, check
from .sections import LEAKAGE
from .undecidable import no_target, one_class

PROXY_SAMPLE_ROWS = 20_000
PROXY_SHARE = 0.95  # a feature with this share of the model's lift over chance is the model...
RUNNER_UP_SHARE = 0.5  # ... when the next feature has at most this share of its lift


def train_row_hashes(ctx: CheckContext) -> np.ndarray:
    """Training row hashes: given by the bundle (validation kernel), else computed once per run."""
    given = ctx.train_row_hashes
    if given is not None:
        return np.asarray(given)
    return ctx.cached("train_row_hashes", lambda: row_hashes(ctx.train.X))


@check("leakage.overlap", section=LEAKAGE, needs=(Input.TRAIN, Input.HOLDOUT))
def overlap(ctx: CheckContext) -> Finding:
    """Do hold-out rows also appear in the training data?"""
    train_hashes = pd.Series(train_row_hashes(ctx), copy=False)
    hold = row_hashes(ctx.holdout.X)
    # hash-table membership: np.isin / np.unique sort both arrays (seconds at 1M rows,
    # this is ~0.2 s)
    in_train = pd.Series(hold, copy=False).isin(train_hashes).to_numpy()
    rate = float(in_train.mean()) if len(hold) else 0.0
    self_dup = float(1 - train_hashes.nunique() / len(train_hashes)) if len(train_hashes) else 0.0
    excess = max(0.0, rate - self_dup)
    evidence: dict[str, Any] = {
        "holdout_rows": int(len(hold)),
        "rows_also_in_train": int(in_train.sum()),
        "overlap_rate": rate,
        "train_self_duplicate_rate": self_dup,
        "excess_rate": excess,
    }
    if ctx.where == "notebook":
        index_rate = index_overlap_rate(ctx.train.X, ctx.holdout.X)
    else:  # the bundle's frames have no labels: the notebook kernel measured it
        index_rate = (ctx.notebook_facts or {}).get("index_overlap_rate")
    if index_rate is not None:
        evidence["index_overlap_rate"] = index_rate
    index_rate = index_rate or 0.0
    examples = [int(i) for i in np.flatnonzero(in_train)[:5]]
    evidence["example_holdout_positions"] = examples
    repro = None
    if examples:
        repro = (
            "import pandas as pd\n"
            "# hold-out rows (by position) whose feature values also occur in training\n"
            f"dupes = X_holdout.iloc[{examples}]\n"
            "print(dupes.merge(X_train.drop_duplicates(), how='inner'))"
        )
    remedy = (
        "Split before any resampling or augmentation, de-duplicate before splitting, and split by "
        "entity (GroupShuffleSplit) or by time when rows of one customer/claim repeat."
    )
    if index_rate > ctx.policy.overlap_fail:
        return Finding(
            "fail",
            f"{index_rate:.1%} of hold-out rows carry an index label that is also in "
            "training: the same records are in both sets.",
            evidence,
            repro,
            remedy,
        )
    if excess > ctx.policy.overlap_fail:
        return Finding(
            "fail",
            f"{rate:.1%} of hold-out rows ({int(in_train.sum()):,}) are exact copies of "
            f"training rows (training repeats itself only {self_dup:.1%} of the time).",
            evidence,
            repro,
            remedy,
        )
    if rate > ctx.policy.overlap_warn:
        return Finding(
            "warn",
            f"{int(in_train.sum()):,} hold-out rows ({rate:.2%}) also occur in training; "
            f"within what the training data's own repetition ({self_dup:.1%}) explains.",
            evidence,
            repro,
            remedy,
        )
    return Finding("pass", f"No hold-out row of {len(hold):,} occurs in training.", evidence)


def encode_single_feature(train: pd.Series, other: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Numeric codes for one column, learned on training (unseen -> -1, missing -> its own
    value)."""
    if pd.api.types.is_bool_dtype(train.dtype) or (
        pd.api.types.is_numeric_dtype(train.dtype)
        and not isinstance(train.dtype, pd.CategoricalDtype)
    ):
        a = np.array(pd.to_numeric(train, errors="coerce"), dtype=float)
        b = np.array(pd.to_numeric(other, errors="coerce"), dtype=float)
    elif pd.api.types.is_datetime64_any_dtype(train.dtype):
        a = datetime_seconds(train)  # unit-independent; NaT -> NaN
        b = datetime_seconds(pd.to_datetime(other, errors="coerce"))
    else:
        cats = pd.Index(train.dropna().astype(str).unique())
        a = np.array(cats.get_indexer(train.astype(str)), dtype=float)
        b = np.array(cats.get_indexer(other.astype(str)), dtype=float)
        a[train.isna().to_numpy()] = np.nan
        b[other.isna().to_numpy()] = np.nan
    finite = a[np.isfinite(a)]
    sentinel = (finite.min() - 1.0) if len(finite) else -1.0
    return (
        np.nan_to_num(a, nan=sentinel, posinf=sentinel, neginf=sentinel).reshape(-1, 1),
        np.nan_to_num(b, nan=sentinel, posinf=sentinel, neginf=sentinel).reshape(-1, 1),
    )


def single_feature_score(task: str, x_tr, y_tr, x_ho, y_ho, seed: int) -> float | None:
    """Hold-out score of a shallow tree that sees one feature: ROC AUC (classes) or R^2."""
    from sklearn import metrics
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    if task == "classification":
        tree = DecisionTreeClassifier(max_depth=6, min_samples_leaf=10, random_state=seed)
        tree.fit(x_tr, y_tr)
        classes = list(tree.classes_)
        if len(classes) < 2 or len(np.unique(y_ho)) < 2:
            return None
        proba = tree.predict_proba(x_ho)
        if len(classes) == 2:
            return float(metrics.roc_auc_score(np.asarray(y_ho) == classes[1], proba[:, 1]))
        try:
            return float(metrics.roc_auc_score(y_ho, proba, multi_class="ovr", labels=classes))
        except ValueError:
            return float(metrics.balanced_accuracy_score(y_ho, tree.predict(x_ho)))
    tree = DecisionTreeRegressor(max_depth=8, min_samples_leaf=10, random_state=seed)
    tree.fit(x_tr, np.asarray(y_tr, dtype=float))
    return float(metrics.r2_score(np.asarray(y_ho, dtype=float), tree.predict(x_ho)))


def _sample(ds, n: int, seed: int):
    if ds.rows <= n:
        return ds.X, ds.y
    idx = np.random.default_rng(seed).choice(ds.rows, n, replace=False)
    return ds.X.iloc[idx], ds.y.iloc[idx]


def _lift(metric: str, score: float) -> float:
    """How far a score is above chance (ROC AUC 0.5, R^2 0)."""
    return score - 0.5 if metric == "roc_auc" else score


def _dominates(ctx: CheckContext, metric: str, ranked: list, evidence: dict) -> bool:
    """Whether the best single feature is the model: it reaches ``PROXY_SHARE`` of the model's
    own lift over chance, and the next-best feature at most ``RUNNER_UP_SHARE`` of its lift."""
    from .performance import model_metrics

    if ctx.model is None:  # the artifact did not load: only the absolute bounds can judge
        return False
    model_score = model_metrics(ctx).get(metric)
    if model_score is None:
        return False
    evidence["model_score"] = round(float(model_score), 4)
    best = _lift(metric, ranked[0][1])
    runner_up = _lift(metric, ranked[1][1]) if len(ranked) > 1 else 0.0
    model = _lift(metric, float(model_score))
    return model > 0 and best >= PROXY_SHARE * model and runner_up <= RUNNER_UP_SHARE * best


@check(
    "leakage.target_proxy",
    section=LEAKAGE,
    needs=(Input.TRAIN, Input.HOLDOUT),
    scores=(Score("data-2", "related"),),
)
def target_proxy(ctx: CheckContext) -> Finding:
    """Is there a single feature that predicts the target almost perfectly?

    A legitimate strong feature is predictive; a proxy is (near-)deterministic. Each feature alone
    trains a shallow tree on training rows and is scored on the hold-out (ROC AUC, or R^2 for
    regression): >= target_proxy_fail (0.99) fails, >= target_proxy_warn (0.95) warns — and
    fails too when that feature is the model: it reaches about the whole model's score while the
    next-best feature is far behind (judged relative to the model, not in absolute terms).
    Scoring on unseen rows keeps identifiers, which a tree memorizes, from looking like proxies."""
    undecidable = no_target(ctx) or one_class(ctx)
    if undecidable is not None:
        return undecidable
    seed = ctx.policy.seed
    Xtr, ytr = _sample(ctx.train, PROXY_SAMPLE_ROWS, seed)
    Xho, yho = _sample(ctx.holdout, PROXY_SAMPLE_ROWS, seed)
    ytr_ok, yho_ok = pd.Series(ytr).notna().to_numpy(), pd.Series(yho).notna().to_numpy()
    scores = {}
    for col in Xtr.columns:
        a, b = encode_single_feature(Xtr[col], Xho[col])
        s = single_feature_score(
            ctx.task, a[ytr_ok], np.asarray(ytr)[ytr_ok], b[yho_ok], np.asarray(yho)[yho_ok], seed
        )
        if s is not None:
            scores[str(col)] = round(s, 4)
    if not scores:
        return Finding(
            "error",
            f"Cannot decide: no feature could be scored on its own ({len(Xtr.columns)} features, "
            f"{len(Xho):,} hold-out rows with a target).",
            {"features": len(Xtr.columns), "holdout_rows": int(yho_ok.sum())},
            remedy="Check that the hold-out has a target with more than one value; report it if "
            "it has.",
        )
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    metric = "roc_auc" if ctx.task == "classification" else "r2"
    evidence = {
        "metric": metric,
        "top_features": [{"feature": f, "score": s} for f, s in ranked[:10]],
        "warn_at": ctx.policy.target_proxy_warn,
        "fail_at": ctx.policy.target_proxy_fail,
    }
    feat, best = ranked[0]
    remedy = (
        f"Find out when '{feat}' is known. If it is filled in after the outcome (or computed from "
        "it), drop it from the features; if it is truly available at prediction time, raise "
        "target_proxy_fail in the policy and say why in the review."
    )
    dominant = _dominates(ctx, metric, ranked, evidence)
    if best >= ctx.policy.target_proxy_warn and dominant:
        return Finding(
            "fail",
            f"'{feat}' alone scores about as well as the whole model ({metric} {best:.3f} vs "
            f"{evidence['model_score']:.3f}), and the next feature is far behind: the model is "
            "this one feature, a likely target proxy.",
            evidence,
            remedy=remedy,
        )
    if best >= ctx.policy.target_proxy_fail:
        return Finding(
            "fail",
            f"'{feat}' alone predicts the target almost perfectly on the hold-out "
            f"({metric} {best:.3f}): a likely target proxy.",
            evidence,
            remedy=remedy,
        )
    if best >= ctx.policy.target_proxy_warn:
        return Finding(
            "warn",
            f"'{feat}' alone is very predictive ({metric} {best:.3f}); confirm it is "
            "known at prediction time.",
            evidence,
            remedy=remedy,
        )
    return Finding(
        "pass",
        f"No single feature gives the target away (strongest: '{feat}', {metric} {best:.3f}).",
        evidence,
    )
