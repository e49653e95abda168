"""Evidently's data drift + classification report on the claims benchmark.

Run in benchmarks/.venv-evidently.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from _common import Phases, build_data, claims, parse_args, report


def main() -> None:
    args = parse_args("Evidently DataDriftPreset + ClassificationPreset")
    warnings.filterwarnings("ignore")
    phases = Phases()
    import evidently
    from evidently import BinaryClassification, DataDefinition, Dataset, Report
    from evidently.presets import ClassificationPreset, DataDriftPreset

    phases.seconds["import"] = phases.total()
    X_train, X_test, y_train, y_test, model = build_data(args.rows, phases)

    def frame(X, y):  # features + target + the model's predictions, as Evidently expects
        proba = model.predict_proba(X)[:, 1]
        return X.assign(**{claims.TARGET: y.to_numpy(), "prediction": proba})

    reference = phases("predict_reference", frame, X_train, y_train)
    current = phases("predict_current", frame, X_test, y_test)
    definition = DataDefinition(
        numerical_columns=[*claims.FLOAT_COLUMNS, *claims.COUNT_COLUMNS],
        categorical_columns=claims.categorical_columns(),
        datetime_columns=list(claims.DATE_COLUMNS),
        classification=[
            BinaryClassification(target=claims.TARGET, prediction_probas="prediction", pos_label=1)
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
    report("evidently", evidently.__version__, args.rows, phases, html)


if __name__ == "__main__":
    main()
