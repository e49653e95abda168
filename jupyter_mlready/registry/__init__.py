"""The MLflow edge: everything that talks to the tracking store and the model registry.

Modules, in the order a check uses them:

- ``store``: which tracking / registry store (the embedded SQLite default, or a server), an
  explicit client for it, and registry failures as errors that say what to do;
- ``bundle``: the evidence bundle a fresh kernel re-checks the model from;
- ``packaging``: how the model is stored (its flavor, serialization, signature, input example);
- ``pyfunc_wrapper``: the pyfunc face of a model without its own flavor;
- ``artifact``: one run per check, the logged model and a new registered version;
- ``handoff``: the verdict's tags, the results logged, and the alias moved last;
- ``versions``: reading the registry — the champion, rollback and the diff of two versions.

mlflow is imported inside functions: ``%load_ext jupyter_mlready`` stays fast.
"""
