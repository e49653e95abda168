"""Deepchecks' tabular ``full_suite`` on the claims benchmark.

Run in benchmarks/.venv-deepchecks.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from _common import Phases, build_data, claims, parse_args, report


def main() -> None:
    args = parse_args("Deepchecks full_suite")
    warnings.filterwarnings("ignore")
    phases = Phases()
    import deepchecks
    from deepchecks.tabular import Dataset
    from deepchecks.tabular.suites import full_suite

    phases.seconds["import"] = phases.total()
    X_train, X_test, y_train, y_test, model = build_data(args.rows, phases)
    cats = claims.categorical_columns()

    def datasets():
        train = Dataset(
            X_train.assign(**{claims.TARGET: y_train}), label=claims.TARGET, cat_features=cats
        )
        test = Dataset(
            X_test.assign(**{claims.TARGET: y_test}), label=claims.TARGET, cat_features=cats
        )
        return train, test

    train, test = phases("datasets", datasets)
    result = phases("suite", full_suite().run, train_dataset=train, test_dataset=test, model=model)
    html = Path(args.out) / "deepchecks_full_suite.html"
    phases("save_html", result.save_as_html, str(html), as_widget=False, connected=False)
    statuses = {"checks": len(result.results), "not_passed": len(result.get_not_passed_checks())}
    report("deepchecks", deepchecks.__version__, args.rows, phases, html, **statuses)


if __name__ == "__main__":
    main()
