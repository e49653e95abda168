"""Labels and probabilities from a model whose ``predict`` returns probabilities.

statsmodels' Logit / Probit / binomial GLM, an XGBoost ``Booster`` trained with
``binary:logistic`` and a LightGBM ``Booster`` trained with ``binary`` return P(y = 1) from
``predict``; their multi-class cousins return one probability column per class. The gate needs
what a scikit-learn classifier gives: labels from ``predict`` and a probability matrix from
``predict_proba``. A row the model could not score (NaN probability) stays NaN in both, so
the output checks see it; it never becomes the negative class.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

#: what a library's raw ``predict`` returns
VALUE = "value"  # a number per row (regression) or a label per row
P_POSITIVE = "p_positive"  # P(y = classes[1]) per row
P_MATRIX = "p_matrix"  # one probability column per class


@dataclass(frozen=True)
class ProbabilityOutputs:
    """``predict`` / ``predict_proba`` over a raw call returning probabilities.

    Attributes:
        raw: the library's own call on prepared input (e.g. ``results.predict``).
        output: ``P_POSITIVE`` or ``P_MATRIX``.
        classes: the labels, in the order of the probability columns (the positive class last
            for ``P_POSITIVE``).
        threshold: P(positive) at or above which ``predict`` says the positive class.
    """

    raw: Callable[[Any], Any]
    output: str
    classes: tuple
    threshold: float = 0.5

    def predict_proba(self, X) -> np.ndarray:
        p = np.asarray(self.raw(X), dtype=float)
        if self.output == P_POSITIVE:
            p = p.reshape(-1)
            return np.column_stack([1.0 - p, p])
        return p

    def predict(self, X) -> np.ndarray:
        proba = self.predict_proba(X)
        labels = np.asarray(self.classes, dtype=object)
        if proba.ndim != 2 or proba.shape[1] != len(labels):
            # the output checks report the shape; labels cannot be read from it
            return proba
        missing = np.isnan(proba).any(axis=1)
        if self.output == P_POSITIVE:
            picked = (np.nan_to_num(proba[:, 1], nan=0.0) >= self.threshold).astype(int)
        else:
            picked = np.argmax(np.nan_to_num(proba, nan=-1.0), axis=1)
        out = labels[picked] if len(proba) else labels[:0]
        if missing.any():
            out = out.astype(object)
            out[missing] = np.nan
            return out
        return _native_labels(out, self.classes)


def _native_labels(out: np.ndarray, classes: tuple) -> np.ndarray:
    """The labels in their own dtype (ints stay ints), as a scikit-learn classifier returns."""
    try:
        return out.astype(np.asarray(classes).dtype)
    except (TypeError, ValueError):
        return out
