"""A generic MLflow pyfunc for any object with ``predict`` (and maybe ``predict_proba``).

This module is pickled *by value* with the model (cloudpickle ``register_pickle_by_value``), so
loading the artifact does not need jupyter_mlready installed. Keep it self-contained: it may only
import mlflow, numpy and pandas. Imported lazily (it imports mlflow).
"""

from __future__ import annotations

# Imported by name: the package ``mlflow`` binds ``mlflow.pyfunc`` to a lazy loader, which hides
# the submodule's classes from the type checker; at runtime both spellings import the same class.
from mlflow.pyfunc import PythonModel


class PredictWrapper(PythonModel):
    """Serves ``model.predict`` (or ``predict_proba`` when ``method="predict_proba"``).

    ``unwrap_python_model().model`` gives the original object back, with all its methods.
    """

    def __init__(self, model, input_kind: str = "frame", method: str = "predict"):
        self.model = model
        self.input_kind = input_kind  # "array": the model was fitted on a bare array
        self.method = method

    def predict(self, context, model_input, params=None):
        X = model_input
        if self.input_kind == "array" and hasattr(X, "to_numpy"):
            X = X.to_numpy()
        return getattr(self.model, self.method)(X)
