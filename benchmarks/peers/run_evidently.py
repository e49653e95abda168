"""Evidently's data drift + classification report on the claims benchmark (or the wide one:
``--features N``).

Run in benchmarks/.venv-evidently.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from _common import Phases, build_data, parse_args, report


def main() -> None:
    args = parse_args("Evidently DataDriftPreset + ClassificationPreset")
    warnings.filterwarnings("ignore")
    phases = Phases()
    import evidently
    from evidently import BinaryClassification, DataDefinition, Dataset, Report
    from evidently.presets import ClassificationPreset, DataDriftPreset

    phases.seconds["import"] = phases.total()
    data = build_data(args, phases)

    def frame(X, y):  # features + target + the model's predictions, as Evidently expects
        proba = data.model.predict_proba(X)[:, 1]
        return X.assign(**{data.target: y.to_numpy(), "prediction": proba})

    reference = phases("predict_reference", frame, data.X_train, data.y_train)
    current = phases("predict_current", frame, data.X_test, data.y_test)
    definition = DataDefinition(
        numerical_columns=data.numerical,
        categorical_columns=data.categorical,
        datetime_columns=data.datetime,
        classification=[
            BinaryClassification(target=data.target, prediction_probas="prediction", pos_label=1)
        ],
    )

    def run():
        ref = Dataset.from_pandas(reference, data_definition=definition)
        cur = Dataset.from_pandas(current, data_definition=definition)
        return Report([DataDriftPreset(), ClassificationPreset()]).run(
            current_data=cur, reference_data=ref
        )

    snapshot = phases("report", run)
    html = Path(args.out) / "evidently_report.html"
    phases("save_html", snapshot.save_html, str(html))
    report("evidently", evidently.__version__, args, phases, html)


if __name__ == "__main__":
    main()
