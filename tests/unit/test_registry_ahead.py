"""The registry is opened ahead in a thread (issue 19); its answer is the same as looking the
champion up in the checks stage, and a failure there is redone where it is needed."""

from __future__ import annotations

import sys

from jupyter_mlready.registry import ahead, artifact


def test_the_champion_is_looked_up_in_the_thread_once(monkeypatch, tmp_path):
    calls = []

    def lookup(notebook, name, alias, task):
        calls.append((notebook, name, alias, task))
        return {"champion": None, "champion_uri": None, "champion_reason": "first", "n": 1}

    monkeypatch.setattr(artifact, "champion_extras", lookup)
    found = ahead.open_registry_ahead("nb.ipynb", "credit", "ready", "classification", "xgboost")
    assert found.champion()["champion_reason"] == "first"
    assert found.champion()["champion_reason"] == "first"
    assert calls == [("nb.ipynb", "credit", "ready", "classification")]  # once, in the thread


def test_a_failure_in_the_thread_is_redone_where_it_is_needed(monkeypatch):
    calls = []

    def lookup(notebook, name, alias, task):
        calls.append(name)
        if len(calls) == 1:
            raise ImportError("mlflow half-imported")
        return {"champion": None, "champion_uri": None, "champion_reason": "looked up again"}

    monkeypatch.setattr(artifact, "champion_extras", lookup)
    found = ahead.open_registry_ahead(None, "credit", "ready", "classification", "sklearn")
    assert found.champion()["champion_reason"] == "looked up again"
    assert calls == ["credit", "credit"]


def test_a_real_store_gives_the_same_answer_as_the_checks_stage(tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlruns.db'}")
    found = ahead.open_registry_ahead(None, "credit", "ready", "classification", "sklearn")
    record = found.champion()
    assert record == artifact.champion_extras(None, "credit", "ready", "classification")
    assert record["champion"] is None and "first candidate" in record["champion_reason"]
    assert "skops.io" in sys.modules  # imported ahead for the scikit-learn model's logging
