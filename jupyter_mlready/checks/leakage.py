"""Leakage checks: hold-out rows seen in training, and single features that give the target away."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..hashing import index_overlap_rate, row_hashes
from ..profile import datetime_seconds
from .registry import CheckContext, Finding, Input, Score, check
from .sections import LEAKAGE
from .undecidable import no_target, one_class

PROXY_SAMPLE_ROWS = 20_000
#: how unlikely the hold-out's copies of training rows must be under chance to count as leakage
OVERLAP_SIGNIFICANCE = 0.001
PROXY_SHARE = 0.95  # a feature with this share of the model's lift over chance is the model...
RUNNER_UP_SHARE = 0.5  # ... when the next feature has at most this share of its lift


def train_row_hashes(ctx: CheckContext) -> np.ndarray:
    """Training row hashes: given by the bundle (validation kernel), else computed once per run."""
    given = ctx.train_row_hashes
    if given is not None:
        return np.asarray(given)
    return ctx.cached("train_row_hashes", lambda: row_hashes(ctx.train.X))


@dataclass(frozen=True)
class OverlapCount:
    """How many hold-out rows equal a training row, and how often chance makes rows equal."""

    holdout_rows: int
    in_train: int
    loo: float  # how often a training row equals another training row
    self_dup: float  # the smaller of loo and the resolution chance
    examples: list  # hold-out positions (pandas) or feature rows (Spark)
    engine: str = "pandas"
    jobs: int = 0
    seconds: float = 0.0


def _pandas_overlap(ctx: CheckContext) -> OverlapCount:
    train_hashes = pd.Series(train_row_hashes(ctx), copy=False)
    hold = row_hashes(ctx.holdout.X)
    # hash-table membership: np.isin / np.unique sort both arrays (seconds at 1M rows,
    # this is ~0.2 s)
    in_train = pd.Series(hold, copy=False).isin(train_hashes).to_numpy()
    # chance: how often a fresh row from the same data equals one of the training rows. Two
    # estimates, the smaller wins: how often a training row equals another one (leave-one-out;
    # right for few distinct values, inflated when records were copied before the split), and
    # how often two different records share their high-resolution values (income 53.7 and
    # distance 12.4 together): near zero when such columns exist, so copies cannot hide
    loo = float(train_hashes.duplicated(keep=False).mean()) if len(train_hashes) > 1 else 0.0
    self_dup = min(loo, resolution_chance(ctx.train.X, len(train_hashes), train_hashes))
    examples = [int(i) for i in np.flatnonzero(in_train)[:5]]
    return OverlapCount(len(hold), int(in_train.sum()), loo, self_dup, examples)


def _spark_overlap(ctx: CheckContext) -> OverlapCount:
    """Exact counts over every row of both Spark frames (the resolution chance, an estimate of
    chance, from the training sample)."""
    from ..spark.hashing import hash_dtypes, spark_overlap
    from ..spark.inputs import require_all_rows

    train, hold = ctx.train.spark, ctx.holdout.spark
    assert train is not None and hold is not None
    features = list(train.features)
    start = time.perf_counter()
    dtypes = hash_dtypes([train.frame, hold.frame], features, [train.null_counts, hold.null_counts])
    counted = spark_overlap(train.frame, hold.frame, features, dtypes)
    seconds = time.perf_counter() - start
    require_all_rows(counted.holdout_rows, hold.rows, "the overlap count over the hold-out")
    require_all_rows(counted.train_rows, train.rows, "the overlap count over the training data")
    loo = counted.train_duplicate_rows / counted.train_rows if counted.train_rows > 1 else 0.0
    self_dup = min(loo, resolution_chance(ctx.train.X, counted.train_rows))
    return OverlapCount(
        counted.holdout_rows,
        counted.holdout_in_train,
        loo,
        self_dup,
        counted.examples,
        "spark",
        counted.jobs,
        seconds,
    )


@check("leakage.overlap", section=LEAKAGE, needs=(Input.TRAIN, Input.HOLDOUT), on_spark="exact")
def overlap(ctx: CheckContext) -> Finding:
    """Do hold-out rows also appear in the training data?"""
    spark = ctx.train.spark is not None and ctx.holdout.spark is not None
    counted = _spark_overlap(ctx) if spark else _pandas_overlap(ctx)
    n, k = counted.holdout_rows, counted.in_train
    rate = k / n if n else 0.0
    self_dup, loo = counted.self_dup, counted.loo
    excess = max(0.0, rate - self_dup)
    p_chance = _chance_of_at_least(k, n, self_dup)
    evidence: dict[str, Any] = {
        "holdout_rows": n,
        "rows_also_in_train": k,
        "overlap_rate": rate,
        "train_self_duplicate_rate": self_dup,
        "excess_rate": excess,
        "p_value_under_chance": p_chance,
    }
    if counted.engine == "spark":
        evidence["engine"] = {
            "name": "spark",
            "jobs": counted.jobs,
            "seconds": round(counted.seconds, 3),
            "exact": True,
        }
    if ctx.where == "notebook":
        index_rate = index_overlap_rate(ctx.train.X, ctx.holdout.X)
    else:  # the bundle's frames have no labels: the notebook kernel measured it
        index_rate = (ctx.notebook_facts or {}).get("index_overlap_rate")
    if index_rate is not None:
        evidence["index_overlap_rate"] = index_rate
    index_rate = index_rate or 0.0
    examples = counted.examples
    repro = None
    if counted.engine == "spark":
        evidence["example_holdout_rows"] = examples
        if examples:
            features = list(ctx.train.X.columns)
            repro = (
                "# hold-out rows whose feature values also occur in training (Spark)\n"
                f"features = {features!r}\n"
                "print(holdout_sdf.select(features).intersect(train_sdf.select(features))"
                ".count())"
            )
    else:
        evidence["example_holdout_positions"] = examples
    if examples and repro is None:
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
    if excess > ctx.policy.overlap_fail and p_chance < OVERLAP_SIGNIFICANCE:
        return Finding(
            "fail",
            f"{rate:.1%} of hold-out rows ({k:,}) are exact copies of "
            f"training rows, where chance explains {self_dup:.1%} (p = {p_chance:.1g}): "
            f"{_chance_basis(loo, self_dup)}.",
            evidence,
            repro,
            remedy,
        )
    if rate > ctx.policy.overlap_warn and p_chance < OVERLAP_SIGNIFICANCE:
        return Finding(
            "warn",
            f"{k:,} hold-out rows ({rate:.2%}) also occur in training, more "
            f"often than chance ({self_dup:.1%}, p = {p_chance:.1g}: "
            f"{_chance_basis(loo, self_dup)}), though by less than the policy's overlap_fail.",
            evidence,
            repro,
            remedy,
        )
    if k > 0:
        return Finding(
            "pass",
            f"{k:,} of {n:,} hold-out rows ({rate:.2%}) also occur in "
            f"training, as often as chance explains: training rows equal each other "
            f"{self_dup:.1%} of the time (few distinct values).",
            evidence,
        )
    return Finding("pass", f"No hold-out row of {n:,} occurs in training.", evidence)


def _chance_basis(loo: float, chance: float) -> str:
    if chance < loo:
        return (
            "different records rarely share all their fine-grained values, so matching rows "
            f"are copies, even though training repeats {loo:.1%} of its own rows"
        )
    return "how often a training row equals another one"


def resolution_chance(X: pd.DataFrame, rows: int, hashes: pd.Series | None = None) -> float:
    """An upper bound on how often a fresh row equals one of ``rows`` training rows by chance,
    from its high-resolution columns (numbers with at least 50 distinct values, and 5% of the
    distinct rows): the rate at which two *different* training records share all those values,
    times ``rows``. 1.0 when there is no such column (nothing bounds chance then). ``hashes``:
    the rows' hashes when they are ``X``'s own (they find the distinct rows without a sort)."""
    if hashes is not None and len(hashes) == len(X):
        distinct = X.loc[~hashes.duplicated().to_numpy()]
    else:  # the gate's training sample: its own distinct rows
        distinct = X.drop_duplicates()
    d = len(distinct)
    if d < 2:
        return 1.0
    floor = max(50, int(0.05 * d))
    fine = [
        c
        for c in distinct.columns
        if pd.api.types.is_numeric_dtype(distinct[c])
        and not pd.api.types.is_bool_dtype(distinct[c])
        and distinct[c].nunique() >= floor
    ]
    if not fine:
        return 1.0
    counts = pd.util.hash_pandas_object(distinct[fine], index=False).value_counts().to_numpy()
    pairs = float((counts * (counts - 1)).sum()) / (d * (d - 1))
    return min(1.0, rows * pairs)


def _chance_of_at_least(k: int, n: int, p: float) -> float:
    """P(at least ``k`` of ``n`` independent rows equal a training row), each with chance ``p``."""
    if k <= 0:
        return 1.0
    if p <= 0.0:
        return 0.0
    from scipy.stats import binom

    return float(binom.sf(k - 1, n, min(p, 1.0)))


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


def encode_features(train: pd.DataFrame, other: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """``encode_single_feature`` of every column, as two 2-D arrays (columns in order): the plain
    numeric columns in one block, the others one by one."""
    plain = [c for c, d in train.dtypes.items() if isinstance(d, np.dtype) and d.kind in "iuf"]
    a = np.empty((len(train), len(train.columns)))
    b = np.empty((len(other), len(train.columns)))
    at = {c: j for j, c in enumerate(train.columns)}
    if plain:
        idx = [at[c] for c in plain]
        x, y = train[plain].to_numpy(dtype=float), other[plain].to_numpy(dtype=float)
        finite = np.isfinite(x)
        low = np.where(finite, x, np.inf).min(axis=0, initial=np.inf)
        sentinel = np.where(np.isfinite(low), low - 1.0, -1.0)
        a[:, idx] = np.where(finite, x, sentinel)
        b[:, idx] = np.where(np.isfinite(y), y, sentinel)
    for c in train.columns:
        if c not in plain:
            col_a, col_b = encode_single_feature(train[c], other[c])
            a[:, at[c]], b[:, at[c]] = col_a[:, 0], col_b[:, 0]
    return a, b


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


TREE_DEPTH, TREE_LEAF = 6, 10  # the classification tree of single_feature_score
TREE_CELLS = 1_000_000  # training values of the columns grown together (memory bound)
_F32_TIE = np.float32(1e-7)  # scikit-learn's FEATURE_THRESHOLD: closer values do not split


def _grow(xs: np.ndarray, prefix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Grow one depth-limited Gini tree per row of ``xs`` (each row one feature's training values,
    sorted) the way scikit-learn's BestSplitter and DepthFirstTreeBuilder do for a single
    feature: a node of ``n`` >= 2 x TREE_LEAF rows that is not pure splits at the position with
    the highest proxy ``-n_r gini_r - n_l gini_l`` (the first one on ties), between two values
    more than 1e-7 apart, with at least TREE_LEAF rows on each side; thresholds halfway between
    the two values. A single feature's nodes are intervals of its sorted values, so every node
    of a depth is searched at once. ``prefix[r, p]``: positives among the first ``p`` values.

    Returns the leaves (row, start, end) and the thresholds (row, value), unordered."""
    k, n = xs.shape
    width = n + 1
    flat = prefix.ravel()
    valid = np.zeros((k, width), dtype=bool)
    valid[:, 1:n] = xs[:, 1:] > xs[:, :-1] + _F32_TIE
    valid = valid.ravel()
    rows = np.arange(k)
    starts, ends = np.zeros(k, dtype=np.int64), np.full(k, n, dtype=np.int64)
    leaves, cuts = [], []
    for depth in range(TREE_DEPTH + 1):
        size = ends - starts
        pos = flat[rows * width + ends] - flat[rows * width + starts]
        grows = (size >= 2 * TREE_LEAF) & (pos > 0) & (pos < size) & (depth < TREE_DEPTH)
        leaves.append(np.stack([rows[~grows], starts[~grows], ends[~grows]]))
        rows, starts, ends, pos = rows[grows], starts[grows], ends[grows], pos[grows]
        if not len(rows):
            break
        count = ends - starts - 2 * TREE_LEAF + 1  # split positions with TREE_LEAF rows each side
        first = np.cumsum(count) - count
        low_at = rows * width + starts  # flat position of each node's first value
        at = np.arange(count.sum()) + np.repeat(low_at + TREE_LEAF - first, count)  # flat p
        n_l = (at - np.repeat(low_at, count)).astype(np.float64)
        n_r = np.repeat((ends - starts).astype(np.float64), count) - n_l
        pos_l = flat[at] - np.repeat(flat[low_at], count)
        pos_r = np.repeat(pos, count) - pos_l
        neg_l, neg_r = n_l - pos_l, n_r - pos_r
        gini_l = 1.0 - (neg_l * neg_l + pos_l * pos_l) / (n_l * n_l)
        gini_r = 1.0 - (neg_r * neg_r + pos_r * pos_r) / (n_r * n_r)
        proxy = -n_r * gini_r - n_l * gini_l
        proxy[~valid[at]] = -np.inf
        best = np.maximum.reduceat(proxy, first)
        hit = np.flatnonzero(proxy == np.repeat(best, count))
        node = np.repeat(np.arange(len(rows)), count)[hit]
        keep = np.ones(len(hit), dtype=bool)
        keep[1:] = node[1:] != node[:-1]  # the first best position of each node
        hit, nodes = hit[keep], node[keep]
        found = np.isfinite(best[nodes])
        hit, nodes = hit[found], nodes[found]
        split = np.zeros(len(rows), dtype=bool)
        split[nodes] = True
        leaves.append(np.stack([rows[~split], starts[~split], ends[~split]]))
        cut = at[hit] - rows[nodes] * width  # the split position p in its row
        r = rows[nodes]
        low = xs[r, cut - 1].astype(np.float64)
        high = xs[r, cut].astype(np.float64)
        thr = low / 2.0 + high / 2.0
        cuts.append((r, np.where((thr == high) | np.isinf(thr), low, thr)))
        rows = np.concatenate([r, r])
        starts = np.concatenate([starts[nodes], cut])
        ends = np.concatenate([cut, ends[nodes]])
    thresholds = (
        (np.concatenate([c[0] for c in cuts]), np.concatenate([c[1] for c in cuts]))
        if cuts
        else (np.zeros(0, dtype=np.int64), np.zeros(0))
    )
    return np.concatenate(leaves, axis=1), np.stack(thresholds)


def _auc(scores: np.ndarray, positive: np.ndarray) -> np.ndarray:
    """ROC AUC of each row of ``scores`` (Mann-Whitney, ties count half: roc_auc_score's value)."""
    from scipy.stats import rankdata

    ranks = rankdata(scores, axis=1)
    n_pos = float(positive.sum())
    n_neg = float(len(positive)) - n_pos
    return (ranks[:, positive].sum(axis=1) - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def binary_tree_scores(
    x_tr: np.ndarray, positive_tr: np.ndarray, x_ho: np.ndarray, positive_ho: np.ndarray
) -> np.ndarray:
    """Hold-out ROC AUC of ``single_feature_score``'s classification tree on each column of
    ``x_tr`` / ``x_ho`` (encoded, 2-D), for a binary target (``positive_*``: is the second
    class): the same trees scikit-learn grows (values as float32), grown for a block of columns
    at once instead of one ``fit`` per column (a 2,000-feature frame took seconds per 500)."""
    n, width = x_tr.shape
    out = np.empty(width)
    step = max(1, TREE_CELLS // max(n, 1))
    for c0 in range(0, width, step):
        x = x_tr[:, c0 : c0 + step].astype(np.float32).T
        order = np.argsort(x, axis=1)  # the order of equal values does not matter
        xs = np.take_along_axis(x, order, axis=1)
        prefix = np.zeros((len(x), n + 1))
        prefix[:, 1:] = np.cumsum(positive_tr[order], axis=1)
        leaves, thresholds = _grow(xs, prefix)
        row, start, end = leaves[:, np.lexsort((leaves[1], leaves[0]))]
        value = (prefix[row, end] - prefix[row, start]) / (end - start)  # P(positive) per leaf
        thr_row, thr = thresholds[0].astype(np.int64), thresholds[1]
        order = np.lexsort((thr, thr_row))
        thr_row, thr = thr_row[order], thr[order]
        # a hold-out value goes right of every threshold below it: leaf = rank among them
        held = x_ho[:, c0 : c0 + step].astype(np.float32).astype(np.float64).T
        first_leaf = np.searchsorted(row, np.arange(len(x)))
        first_thr = np.searchsorted(thr_row, np.arange(len(x)))
        last_thr = np.searchsorted(thr_row, np.arange(len(x)), side="right")
        scores = np.empty_like(held)
        for j in range(len(x)):
            leaf = np.searchsorted(thr[first_thr[j] : last_thr[j]], held[j], side="left")
            scores[j] = value[first_leaf[j] + leaf]
        out[c0 : c0 + step] = _auc(scores, positive_ho)
    return out


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
    a, b = encode_features(Xtr, Xho)
    a, b = a[ytr_ok], b[yho_ok]
    y_tr, y_ho = np.asarray(ytr)[ytr_ok], np.asarray(yho)[yho_ok]
    classes = np.unique(y_tr) if ctx.task == "classification" else np.array([])
    scores = {}
    if len(classes) == 2 and len(np.unique(y_ho)) == 2:  # all columns at once, same trees
        auc = binary_tree_scores(a, y_tr == classes[1], b, y_ho == classes[1])
        scores = {str(col): round(float(s), 4) for col, s in zip(Xtr.columns, auc)}
    else:
        for j, col in enumerate(Xtr.columns):
            s = single_feature_score(ctx.task, a[:, j : j + 1], y_tr, b[:, j : j + 1], y_ho, seed)
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
