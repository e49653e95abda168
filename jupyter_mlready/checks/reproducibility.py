"""Reproducibility: the notebook re-runs top to bottom; the logged artifact predicts the same."""

from __future__ import annotations

from . import CheckContext, Finding, check, skip


@check("reproducibility.rerun")
def rerun(ctx: CheckContext) -> Finding:
    """Does the notebook run top to bottom in a fresh kernel?"""
    facts = ctx.extras.get("rerun")
    if facts is None:
        return skip("Checked from the live kernel (%mlready): run `mlready check NOTEBOOK.ipynb` to "
                    "re-execute the notebook top to bottom in a fresh kernel.")
    if facts.get("ok"):
        return Finding("pass", f"The notebook ran top to bottom in a fresh kernel "
                               f"({facts.get('cells', '?')} code cells, {facts.get('seconds', 0):.1f} s).", facts)
    return Finding(
        "fail",
        f"Cell {facts.get('cell_index')} failed in a fresh kernel: {facts.get('ename')}: {facts.get('evalue')}",
        facts,
        repro=f"papermill {facts.get('notebook', 'NOTEBOOK.ipynb')} out.ipynb",
        remedy="The notebook depends on hidden state (cells run out of order, deleted cells, files "
               "made by hand). Restart the kernel, run all, and fix the first failing cell.",
    )


@check("reproducibility.fresh_kernel")
def fresh_kernel(ctx: CheckContext) -> Finding:
    """Does the logged artifact load in a fresh kernel and predict exactly what the notebook's model predicted?"""
    facts = ctx.extras.get("fresh_kernel")
    if facts is None:
        return skip("not implemented yet: the fresh-kernel validation notebook arrives with issue 5.")
    return Finding(facts["status"], facts["summary"], facts.get("evidence", {}), facts.get("repro"),
                   facts.get("remedy"))
