"""The stages of a check, one module per stage, in the order data flows through them.

=============  ==================================================  ===========================
stage          what it does                                         its record
=============  ==================================================  ===========================
policy         reads the policy in force                            ``Policy``
discover       finds the model, its data and the task               ``Subject``
contract       infers the pandera contract from training data       ``Contract``
probes         writes the standalone readiness test file            ``ProbeFiles``
checks         runs the checks registered for the notebook kernel   ``NotebookChecks``
artifact       logs the bundle, the model and a registry version    ``ArtifactRecord``
validation     re-checks the artifact in a fresh kernel (the gate)  ``ValidationOutcome``
gate           one verdict, and what the hand-off will do           ``Gate``
report         readiness.json, report.html, summary.md, once        ``Readiness``
hand_off       tags, logs the results, moves the alias last         ``Readiness``
=============  ==================================================  ===========================

Each module exports one verb that takes earlier records and returns its own. ``chain`` lists the
stages once, as data, and runs them; the magic, the CLI (in the re-executed notebook's kernel),
the lab button and the widget's progress bars all go through it. This package imports nothing
itself: importing a stage never imports the others.
"""
