"""Deepchecks' tabular ``full_suite`` on the claims benchmark (or the wide one: ``--features N``).

Run in benchmarks/.venv-deepchecks.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from _common import Phases, build_data, parse_args, report


def main() -> None:
    args = parse_args("Deepchecks full_suite")
    warnings.filterwarnings("ignore")
    phases = Phases()
    import deepchecks
    from deepchecks.tabular import Dataset
    from deepchecks.tabular.suites import full_suite

    phases.seconds["import"] = phases.total()
    data = build_data(args, phases)
    cats = data.categorical

    def datasets():
        return tuple(
            Dataset(X.assign(**{data.target: y}), label=data.target, cat_features=cats)
            for X, y in ((data.X_train, data.y_train), (data.X_test, data.y_test))
        )

    train, test = phases("datasets", datasets)
    result = phases(
        "suite", full_suite().run, train_dataset=train, test_dataset=test, model=data.model
    )
    html = Path(args.out) / "deepchecks_full_suite.html"
    phases("save_html", result.save_as_html, str(html), as_widget=False, connected=False)
    statuses = {"checks": len(result.results), "not_passed": len(result.get_not_passed_checks())}
    report("deepchecks", deepchecks.__version__, args, phases, html, **statuses)


if __name__ == "__main__":
    main()
