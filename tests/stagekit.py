"""The check chain with its validation stage run in the test's own process (unit tests only).

The real validation stage starts a fresh kernel and MLflow's scoring server (8-11 s a check).
Tests of what comes before or after it (the registry's versions and alias, data shapes, plugins)
swap it for :func:`in_process_validation`: the same sections of the same validation code
(``kernel_api.Validation``) on the same bundle, in this process. What only the real stage does
is tested where it runs for real: the fresh kernel in tests/integration/test_validation_run.py,
the scoring server in tests/integration/test_serving_check.py, both in every end-to-end check.
"""

from __future__ import annotations

import os
from dataclasses import replace

import pytest

#: what the CLI's fresh re-run tells the check cell (for chains run in process by tests)
FRESH_RERUN = {"ok": True, "cells": 1, "kernel": "python3"}


def in_process_validation(run):
    """The validation stage's sections, in this process, on the bundle the artifact stage wrote.

    With a logged artifact (``run.artifact``) the model is loaded from the store as the fresh
    kernel loads it, the champion too; without one (an offline run) the in-memory model is
    checked. Neither starts a scoring server: the serving check is left out, and so is the
    environment check reading a logged folder when nothing was logged. What ``Validation``
    sets in the environment (the tracking URI, MLflow's HTTP limits), which a kernel keeps to
    itself, is undone for the tests after this one."""
    environ = dict(os.environ)
    try:
        return _validate_here(run)
    finally:
        os.environ.clear()
        os.environ.update(environ)


def _validate_here(run):
    from jupyter_mlready.checks import Input
    from jupyter_mlready.registry.bundle import adapter_for
    from jupyter_mlready.validation.execute import RESULTS_NAME, ValidationOutcome, _collect
    from jupyter_mlready.validation.kernel_api import Validation
    from jupyter_mlready.validation.sections import validation_sections

    if run.kernel is not None:
        run.kernel.shutdown()
    results = run.out / RESULTS_NAME
    record = run.artifact
    if record is not None:
        v = Validation(
            record.model_uri,
            str(run.out / "bundle"),
            str(results),
            champion_uri=record.champion_uri,
            tracking_uri=record.store.tracking_uri,
            champion_reason=run.champion.get("champion_reason"),
        )
        left_out = (Input.SERVING,)
    else:
        v = Validation("runs:/offline/model", str(run.out / "bundle"), str(results))
        left_out = (Input.SERVING, Input.ARTIFACT_FOLDER)
    served = {s.id for s in v.specs if set(left_out) & s.needs}
    v.specs = [s for s in v.specs if s.id not in served]
    v._generated_tests = lambda: {"ran": False, "reason": "in-process validation (tests)"}
    if record is not None:
        v.load_artifact()
    else:
        v.model = v.ctx.model = adapter_for(run.subject.model.model, v.bundle)
        v.raw_model = run.subject.model.model
        v.ctx.champion_reason = "No version holds the alias (offline run)."
        v.state["load"] = {"ok": True, "model_uri": "runs:/offline/model", "offline": True}
    for section, _ in validation_sections(v.specs):
        v.run_section(section.name)
    verdict = v.finish()
    collected = tuple(r for r in _collect(v.state, None) if r.id not in served)
    outcome = ValidationOutcome(
        collected, verdict, results, results, results, {}, None, v.state["load"]
    )
    return replace(run, kernel=None, validation=outcome)


def swap_stages(monkeypatch: pytest.MonkeyPatch, **steps) -> None:
    """Replace the chain's stages named in ``steps`` (``validation=in_process_validation``); no
    validation kernel is started ahead."""
    from jupyter_mlready.stages import chain

    stages = tuple(replace(s, step=steps.get(s.name, s.step)) for s in chain.STAGES)
    monkeypatch.setattr(chain, "STAGES", stages)
    monkeypatch.setattr(
        "jupyter_mlready.validation.warm_kernel.start_warm_kernel", lambda *a, **k: None
    )
