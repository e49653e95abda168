"""Probes: edge-case property tests built from the contract, run by hypothesis.

Modules, in the order data flows through them:

- ``pool``: a small frame of valid rows (a sample of training rows plus synthetic rows built
  column by column from the contract). Every property draws its base rows from it, so the cost
  of a property does not depend on the size of the training data.
- ``mutators``: the edge cases (NaN, unseen categories, extremes, empty frames, format changes),
  each a :class:`~jupyter_mlready.probes.mutators.Mutation` applied to rows of a base frame.
- ``outcome``: runs one frame through the model and classifies what happened (valid output,
  clear rejection, crash, invalid output, different output).
- ``error_corpus``: the known crash messages of each library (regexes over their stable text),
  which ``outcome`` checks first: a known crash is never a clear rejection.
- ``strategies``: hypothesis strategies over the pool and the mutations.
- ``stacks``: many edge cases (of every column) in a few stacked frames; a frame that is not
  graceful is resolved member by member only as far as needed (``apply_many`` in ``mutators``
  builds those frames in one pass).
- ``screen``: hypothesis's drawn examples evaluated stacked, instead of one call each.
- ``properties``: runs one property with hypothesis and tallies the outcomes (used by the checks);
  the edge cases hypothesis did not draw are swept through ``stacks``, so every column is
  exercised by every property that applies to it, in a number of calls bounded by the cells.
- ``repro``: the runnable snippet of a shrunk failing example.
- ``codegen``: the standalone pytest file written into ``<out>/tests/``.

hypothesis is imported lazily (inside functions) so that ``%load_ext jupyter_mlready`` stays fast.
"""

from __future__ import annotations

from .codegen import ProbeFiles, write_probe_tests

__all__ = ["ProbeFiles", "write_probe_tests"]
