"""model.tuning: is there evidence that the model's hyperparameters were searched?

Runs in the notebook's kernel, where the search objects still are. Evidence of a search is one
of, among the notebook's variables (or the model itself):

- a scikit-learn search (``GridSearchCV``, ``RandomizedSearchCV``, ``HalvingGridSearchCV``,
  ``HalvingRandomSearchCV``, or any object with a ``cv_results_`` table);
- an optuna ``Study`` (anything with ``trials`` and ``best_params``);
- a hyperopt ``Trials`` (a ``trials`` list and a ``best_trial``);

with at least two candidates tried. A search counts for this model when its parameters are the
model's (by name, or as ``step__name`` of a pipeline) and, for a scikit-learn search, its
estimator is of the model's class; the model carries the search's result when it *is* the best
estimator, or when its parameters equal the best ones.
"""

from __future__ import annotations

import inspect
import math
import types
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..flavors.support import final_step
from ..formatting import fmt_value, truncate
from ..views import Cell, Facts, Table, View
from .registry import CheckContext, Finding, Input, Score, check, skip
from .simpler import MODEL

#: candidates a search must have tried to count as one
MIN_CANDIDATES = 2
#: values of one parameter kept in the evidence (the rest are counted)
MAX_VALUES = 10
#: parameters that are not hyperparameters: setting them is not tuning
NOT_HYPERPARAMETERS = frozenset(
    {
        "random_state",
        "seed",
        "random_seed",
        "n_jobs",
        "nthread",
        "thread_count",
        "num_threads",
        "verbose",
        "verbosity",
        "silent",
        "copy",
        "copy_X",
        "memory",
        "warm_start",
        "device",
        "enable_categorical",
        "missing",
        "importance_type",
        "allow_writing_files",
        # what is measured or logged during training, not how the model learns
        "eval_metric",
        "metric",
        "callbacks",
        "tree_method",
        "device_type",
        "gpu_id",
    }
)


@dataclass
class _Search:
    """One search found in the notebook, as the evidence records it."""

    variable: str
    kind: str
    candidates: int
    space: dict  # parameter -> values tried (shortened)
    best_params: dict
    best_score: float | None = None
    scoring: str | None = None
    estimator: Any = None  # a scikit-learn search's estimator (to compare classes)
    best_estimator: Any = None
    is_model: bool = False  # the model is this search, or its best estimator
    matched: dict = field(default_factory=dict)  # search parameter -> model parameter
    differences: list = field(default_factory=list)
    note: str | None = None

    @property
    def related(self) -> bool:
        return self.is_model or bool(self.matched)

    @property
    def carries_best(self) -> bool:
        if self.is_model:
            return True
        return bool(self.matched) and bool(self.best_params) and not self.differences

    def to_dict(self) -> dict:
        d = {
            "variable": self.variable,
            "kind": self.kind,
            "candidates": self.candidates,
            "search_space": self.space,
            "best_params": {k: _jsonable(v) for k, v in self.best_params.items()},
            "best_score": self.best_score,
            "scoring": self.scoring,
            "about_this_model": self.related,
            "model_carries_best_params": self.carries_best if self.related else None,
            "differences": self.differences,
        }
        if self.note:
            d["note"] = self.note
        return d


def _jsonable(v: Any) -> Any:
    if isinstance(v, np.generic):
        v = v.item()
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, float):
        return v if math.isfinite(v) else str(v)
    return truncate(repr(v), 120)


def _safe_get(obj: Any, name: str) -> Any:
    """An attribute that may be a property raising (optuna's best_params with no trial)."""
    try:
        return getattr(obj, name, None)
    except Exception:  # noqa: BLE001 - any failure means "not there"
        return None


def _skippable(obj: Any) -> bool:
    return isinstance(
        obj,
        (
            type,
            types.ModuleType,
            types.FunctionType,
            types.BuiltinFunctionType,
            types.MethodType,
            pd.DataFrame,
            pd.Series,
            pd.Index,
            np.ndarray,
            str,
            bytes,
            int,
            float,
            dict,
            list,
            tuple,
            set,
        ),
    )


def _space(param_sets: list[dict]) -> dict:
    """Parameter -> the distinct values tried (at most MAX_VALUES, then a count); numbers as
    their range when there are many."""
    values: dict[str, list] = {}
    for params in param_sets:
        for k, v in params.items():
            seen = values.setdefault(str(k), [])
            j = _jsonable(v)
            if j not in seen:
                seen.append(j)
    out: dict = {}
    for k, seen in values.items():
        numbers = [v for v in seen if isinstance(v, (int, float)) and not isinstance(v, bool)]
        if len(seen) > MAX_VALUES and len(numbers) == len(seen):
            out[k] = {"min": min(numbers), "max": max(numbers), "distinct": len(seen)}
        elif len(seen) > MAX_VALUES:
            out[k] = [*seen[:MAX_VALUES], f"… {len(seen) - MAX_VALUES} more"]
        else:
            out[k] = seen
    return out


def _sklearn_search(name: str, obj: Any) -> _Search | None:
    results = _safe_get(obj, "cv_results_")
    if not isinstance(results, dict) or "params" not in results:
        return None
    params = [p for p in results.get("params") or [] if isinstance(p, dict)]
    distinct = {repr(sorted(p.items(), key=lambda kv: kv[0])) for p in params}
    best = _safe_get(obj, "best_params_")
    score = _safe_get(obj, "best_score_")
    scoring = _safe_get(obj, "scoring")
    return _Search(
        variable=name,
        kind=type(obj).__name__,
        candidates=len(distinct),
        space=_space(params),
        best_params=dict(best) if isinstance(best, dict) else {},
        best_score=_number(score),
        scoring=None
        if scoring is None
        else truncate(scoring if isinstance(scoring, str) else repr(scoring), 120),
        estimator=_safe_get(obj, "estimator"),
        best_estimator=_safe_get(obj, "best_estimator_"),
    )


def _number(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _optuna_study(name: str, obj: Any) -> _Search | None:
    if not (hasattr(type(obj), "best_params") and hasattr(type(obj), "trials")):
        return None
    get = getattr(obj, "get_trials", None)
    try:
        trials = get(deepcopy=False) if callable(get) else list(obj.trials)
    except Exception:  # noqa: BLE001 - not a study after all
        return None
    complete = [t for t in trials if str(getattr(t, "state", "")).endswith("COMPLETE")]
    best = _safe_get(obj, "best_params")
    directions = _safe_get(obj, "directions")
    note = None
    if isinstance(directions, (list, tuple)) and len(directions) > 1:
        note = "A multi-objective study has no single best parameters to compare."
    return _Search(
        variable=name,
        kind=f"{type(obj).__module__.split('.')[0]} {type(obj).__name__}",
        candidates=len(complete),
        space=_space([dict(getattr(t, "params", {}) or {}) for t in complete]),
        best_params=dict(best) if isinstance(best, dict) else {},
        best_score=_number(_safe_get(obj, "best_value")),
        scoring=(
            ", ".join(str(getattr(d, "name", d)).lower() for d in directions)
            if isinstance(directions, (list, tuple))
            else None
        ),
        note=note,
    )


def _hyperopt_trials(name: str, obj: Any) -> _Search | None:
    trials = _safe_get(obj, "trials")
    if not isinstance(trials, list) or not hasattr(type(obj), "best_trial"):
        return None
    ok = [
        t
        for t in trials
        if isinstance(t, dict) and (t.get("result") or {}).get("status", "ok") == "ok"
    ]

    def vals(trial: dict) -> dict:
        raw = ((trial.get("misc") or {}).get("vals")) or {}
        return {k: v[0] for k, v in raw.items() if isinstance(v, (list, tuple)) and v}

    best = _safe_get(obj, "best_trial")
    best = best if isinstance(best, dict) else {}
    return _Search(
        variable=name,
        kind="hyperopt Trials",
        candidates=len(ok),
        space=_space([vals(t) for t in ok]),
        best_params=vals(best),
        best_score=_number((best.get("result") or {}).get("loss")),
        scoring="loss (minimised)",
        note="hyperopt records an hp.choice as the index of the choice, not its value.",
    )


def _find_searches(namespace: dict, model: Any) -> list[_Search]:
    """The searches among the notebook's variables and the model itself (the model may be the
    search: discovery keeps a search object whose best estimator has no name of its own)."""
    found: list[_Search] = []
    seen: set[int] = set()
    own = next((k for k, v in namespace.items() if v is model and not k.startswith("_")), None)
    items = [(own or "(the model)", model), *namespace.items()]
    for name, obj in items:
        if name.startswith("_") or id(obj) in seen or _skippable(obj):
            continue
        seen.add(id(obj))
        for reader in (_sklearn_search, _optuna_study, _hyperopt_trials):
            try:
                search = reader(name, obj)
            except Exception:  # noqa: BLE001 - an object that only looks like a search
                search = None
            if search is not None:
                # the model is the search itself (it predicts with its best estimator)
                search.is_model = obj is model and search.best_estimator is not None
                found.append(search)
                break
    return found


def _params(est: Any, deep: bool = True) -> dict | None:
    get = getattr(est, "get_params", None)
    if not callable(get):
        return None
    try:
        params = get(deep=deep)
    except Exception:  # noqa: BLE001 - a broken get_params: no readable parameters
        return None
    return params if isinstance(params, dict) else None


def _match(name: str, params: dict) -> str | None:
    """The model parameter a searched parameter names: the same name, the name without its
    leading ``step__`` parts, or the one model parameter ending with ``__name``."""
    if name in params:
        return name
    parts = name.split("__")
    for i in range(1, len(parts)):
        tail = "__".join(parts[i:])
        if tail in params:
            return tail
    ending = [k for k in params if k.endswith("__" + name)]
    return ending[0] if len(ending) == 1 else None


def _same(a: Any, b: Any) -> bool:
    if a is b:
        return True
    if isinstance(a, (int, float, np.number)) and isinstance(b, (int, float, np.number)):
        if isinstance(a, bool) != isinstance(b, bool):
            return False
        fa, fb = float(a), float(b)
        return (math.isnan(fa) and math.isnan(fb)) or math.isclose(fa, fb, rel_tol=1e-9, abs_tol=0)
    pa, pb = _params(a, deep=False), _params(b, deep=False)
    if pa is not None and pb is not None:
        return (
            type(a) is type(b) and pa.keys() == pb.keys() and all(_same(pa[k], pb[k]) for k in pa)
        )
    try:
        equal = a == b
        if isinstance(equal, np.ndarray):
            return bool(np.array_equal(np.asarray(a), np.asarray(b)))
        return bool(equal)
    except Exception:  # noqa: BLE001 - objects that do not compare: their text
        return repr(a) == repr(b)


def _same_kind(search: _Search, model: Any) -> bool:
    """A scikit-learn search's estimator is of the model's class (or ends in it)."""
    if search.estimator is None:
        return True
    mine, theirs = type(model), type(search.estimator)
    return mine is theirs or type(final_step(model)) is type(final_step(search.estimator))


def _relate(search: _Search, model: Any, params: dict | None) -> None:
    """Whether the search is about this model, and where its best parameters differ."""
    if search.is_model or (search.best_estimator is not None and model is search.best_estimator):
        search.is_model = True
        return
    if params is None or not _same_kind(search, model):
        return
    for name in search.space or search.best_params:
        key = _match(name, params)
        if key is not None:
            search.matched[name] = key
    for name, value in search.best_params.items():
        key = search.matched.get(name) or _match(name, params)
        if key is not None and not _same(params[key], value):
            search.differences.append(
                {"param": key, "best": _jsonable(value), "model": _jsonable(params[key])}
            )


def _defaults(cls: type) -> dict:
    """Each constructor parameter's default, walking the class's bases (a subclass whose
    ``__init__`` takes ``**kwargs`` keeps its parent's defaults)."""
    found: dict = {}
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        try:
            sig = inspect.signature(init)
        except (TypeError, ValueError):
            continue
        for name, param in sig.parameters.items():
            if name == "self" or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                continue
            if param.default is not param.empty:
                found.setdefault(name, param.default)
    return found


def _hand_set(est: Any) -> tuple[dict, int] | None:
    """(hyperparameters set away from the class's defaults, hyperparameters compared), or None
    when the estimator has no readable parameters."""
    params = _params(est, deep=False)
    if params is None:
        return None
    defaults = _defaults(type(est))
    changed, compared = {}, 0
    for name, value in params.items():
        if name in NOT_HYPERPARAMETERS or name not in defaults:
            continue
        compared += 1
        if not _same(value, defaults[name]):
            changed[name] = _jsonable(value)
    return changed, compared


def _steps(model: Any) -> list[tuple[str, Any]]:
    steps = getattr(model, "steps", None)
    if isinstance(steps, list) and all(isinstance(s, tuple) and len(s) == 2 for s in steps):
        return [(str(n), s) for n, s in steps if s not in (None, "passthrough", "drop")]
    return []


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def tuning_view(check: dict, doc: dict) -> View | None:
    """The search found (facts) and its search space against the model's values (table)."""
    ev = raw if isinstance(raw := check.get("evidence"), dict) else {}
    searches = [s for s in ev.get("searches") or [] if isinstance(s, dict)]
    chosen = next((s for s in searches if s.get("variable") == ev.get("search")), None)
    facts: list[tuple[str, str]] = [("model", truncate(ev.get("model_class"), 120))]
    blocks: list = []
    if chosen:
        facts += [
            (
                "search",
                f"{truncate(chosen.get('kind'), 60)} `{truncate(chosen.get('variable'), 60)}`",
            ),
            ("candidates", fmt_value(chosen.get("candidates"))),
            (
                "best score",
                f"{fmt_value(chosen.get('best_score'))} "
                f"({truncate(chosen.get('scoring'), 60) or 'score'})",
            ),
            (
                "model carries the best parameters",
                fmt_value(chosen.get("model_carries_best_params")),
            ),
        ]
        space = _dict(chosen.get("search_space"))
        best = _dict(chosen.get("best_params"))
        differ = {
            str(d.get("param")): d for d in chosen.get("differences") or [] if isinstance(d, dict)
        }
        rows = []
        for name, tried in list(space.items())[:30]:
            diff = next(
                (d for k, d in differ.items() if k == name or k.endswith("__" + name)), None
            )
            rows.append(
                (
                    Cell(truncate(name, 60), code=True),
                    Cell(fmt_value(tried, limit=200)),
                    Cell(fmt_value(best.get(name))),
                    Cell(
                        fmt_value(diff.get("model")) if diff else "same",
                        status="warn" if diff else None,
                    ),
                )
            )
        if rows:
            blocks.append(Table(("parameter", "values tried", "best", "model"), tuple(rows)))
    else:
        hand = _dict(ev.get("hand_set"))
        facts.append(("search", "none found"))
        facts.append(
            (
                "set by hand",
                truncate(", ".join(f"{k}={fmt_value(v)}" for k, v in hand.items()), 300)
                or "none (library defaults)",
            )
        )
    blocks.insert(0, Facts(tuple(facts)))
    return View(
        "model-tuning",
        "Hyperparameter tuning",
        tuple(blocks),
        summary=truncate(check.get("summary"), 400),
        check=str(check.get("id")),
        shows=("searches",),
        nav="Tuning",
    )


def _named(search: _Search) -> str:
    where = "the model itself" if search.variable == "(the model)" else f"`{search.variable}`"
    return f"{search.kind} ({where}, {search.candidates} candidates)"


@check(
    "model.tuning",
    section=MODEL,
    runs_in=("notebook",),
    needs=(Input.MODEL, Input.NAMESPACE),
    scores=(
        Score(
            "model-3",
            "auto",
            "Looks for a hyperparameter search in the notebook (scikit-learn search, optuna "
            "study, hyperopt trials) whose best parameters are the model's; records the search "
            "space and the best score.",
        ),
    ),
    view=tuning_view,
)
def tuning(ctx: CheckContext) -> Finding:
    """Is there evidence that hyperparameters were searched, rather than left at library
    defaults?

    ``pass`` when a search with at least two candidates is found whose best parameters the
    model carries. ``warn`` when a search for this model is found but the model does not carry
    its best parameters (naming them), and when no search is found and every hyperparameter of
    the model's learner is its library default. Hyperparameters set by hand with no search
    recorded ``pass``, with the values listed: a person chose them, and a warning would say
    nothing the list does not. Parameters that are not hyperparameters (random_state, n_jobs,
    verbose...) and the preprocessing steps of a pipeline do not count. ``skip`` for statsmodels
    results (no hyperparameters) and for a model whose parameters cannot be read, when no search
    is found either."""
    raw = ctx.model.model
    namespace = ctx.namespace or {}
    model_class = ctx.model.class_name
    if ctx.model.flavor == "statsmodels":
        return skip("statsmodels results have no hyperparameters to tune.", model_class=model_class)
    inner = _safe_get(raw, "best_estimator_")
    learner_model = raw if inner is None else inner  # the model may be a search object
    params = _params(learner_model)
    searches = _find_searches(namespace, raw)
    for search in searches:
        _relate(search, learner_model, params)
    counted = [s for s in searches if s.related and s.candidates >= MIN_CANDIDATES]
    evidence: dict = {
        "model_class": model_class,
        "searches": [s.to_dict() for s in searches],
        "min_candidates": MIN_CANDIDATES,
    }
    small = [s for s in searches if s.related and s.candidates < MIN_CANDIDATES]
    if small:
        evidence["too_small"] = [s.variable for s in small]
    carrying = [s for s in counted if s.carries_best]
    if carrying:
        best = max(carrying, key=lambda s: s.candidates)
        evidence["search"] = best.variable
        score = ""
        if best.best_score is not None:
            score = f", best score {best.best_score:.4g}" + (
                f" ({best.scoring})" if best.scoring else ""
            )
        names = ", ".join(list(best.space)[:8])
        return Finding(
            "pass",
            f"Hyperparameters were searched: {_named(best)} over {names or 'its space'}{score}; "
            "the model carries its best parameters.",
            evidence,
        )
    if counted:
        off = counted[0]
        evidence["search"] = off.variable
        diffs = ", ".join(
            f"{d['param']} (best {d['best']!r}, model {d['model']!r})" for d in off.differences[:6]
        )
        return Finding(
            "warn",
            f"A search was found, {_named(off)}, but the model does not carry its best "
            f"parameters: {diffs}.",
            evidence,
            remedy="Refit the model with the search's best_params_ (or use its "
            "best_estimator_), or say in the notebook why other values were chosen.",
        )
    learner = final_step(learner_model)
    hand = _hand_set(learner)
    unrelated = [s for s in searches if not s.related and s.candidates >= MIN_CANDIDATES]
    aside = ""
    if unrelated:
        aside = (
            f" ({_named(unrelated[0])} was found, but its parameters are not this model's: "
            f"{', '.join(list(unrelated[0].space)[:5])})"
        )
    if hand is None:
        return skip(
            f"The model ({model_class}) has no readable hyperparameters (no get_params), and no "
            f"search was found{aside}.",
            **evidence,
        )
    changed, compared = hand
    evidence.update(
        learner=f"{type(learner).__module__}.{type(learner).__qualname__}",
        hyperparameters_compared=compared,
        hand_set=changed,
    )
    others = {}
    for step, est in _steps(learner_model)[:-1]:
        found = _hand_set(est)
        if found and found[0]:
            others[step] = found[0]
    if others:
        evidence["other_steps_hand_set"] = others
    if not changed:
        return Finding(
            "warn",
            f"Every hyperparameter of {type(learner).__name__} ({compared} compared) is a library "
            f"default and no search was found{aside}.",
            evidence,
            remedy="Search the hyperparameters that matter for this model (GridSearchCV, "
            "RandomizedSearchCV, optuna) on the training data, keep the search object in the "
            "notebook, and fit the model with its best parameters.",
        )
    listed = ", ".join(f"{k}={v!r}" for k, v in list(changed.items())[:8])
    return Finding(
        "pass",
        f"Hand-set, no search recorded: {listed}{aside}. The values were chosen by a person; "
        "keep the search in the notebook if one was run.",
        evidence,
    )
