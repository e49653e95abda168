"""%load_ext / %mlready in a real (in-process) IPython shell."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

HEAVY = ("pandas", "mlflow", "papermill", "pandera", "sklearn", "hypothesis", "jinja2")


def test_load_ext_imports_nothing_heavy():
    code = (
        "import sys; import jupyter_mlready; from jupyter_mlready import magics; "
        f"print([m for m in {HEAVY!r} if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_cli_runs_a_notebook_without_loading_pandas():
    """The CLI process lives for the whole check, beside the two kernels and the scoring server:
    what it imports to run the notebook is in the peak memory of every large check. Its lean
    imports are applied as ``mlready check`` applies them (cli.main), then papermill is loaded."""
    code = (
        "import sys; from jupyter_mlready import cli, lean_imports; "
        "assert lean_imports.skip_iri_format_grammar() and lean_imports.skip_hdfs_handler(); "
        "from jupyter_mlready.kernels import start_notebook_kernel; "
        "from jupyter_mlready.notebook_run import check_notebook; "
        "from jupyter_mlready.pipeline import CheckOptions; "
        "from jupyter_mlready.stages.overrides import Overrides, parse_pair; "
        "import papermill, nbclient; "
        "print([m for m in ('pandas', 'numpy', 'pyarrow', 'mlflow', 'sklearn', 'rfc3987_syntax') "
        "if sys.modules.get(m) is not None])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.fixture
def shell():
    from IPython.testing.globalipapp import get_ipython

    ip = get_ipython()
    ip.run_line_magic("load_ext", "jupyter_mlready")
    yield ip
    for k in ("model", "X_train", "X_test", "y_train", "y_test"):
        ip.user_ns.pop(k, None)


def test_magic_checks_the_live_namespace(shell, tmp_path, capsys):
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=400), "b": rng.normal(size=400)})
    y = (X["a"] + rng.normal(scale=0.5, size=400) > 0).astype(int)
    shell.user_ns.update(
        model=LogisticRegression().fit(X[:300], y[:300]),
        X_train=X[:300],
        X_test=X[300:],
        y_train=y[:300],
        y_test=y[300:],
    )
    result = shell.run_line_magic("mlready", f"check --out {tmp_path}")
    assert result.data["discovery"]["model"]["var"] == "model"
    assert (tmp_path / "readiness.json").exists()
    assert "mlready:" in result.summary_text() and repr(result).startswith("<Readiness")


def test_magic_usage_errors_do_not_raise(shell, capsys):
    assert shell.run_line_magic("mlready", "frobnicate") is None
    printed = capsys.readouterr().out
    assert "invalid choice" in printed and "%mlready check" in printed
    assert shell.run_line_magic("mlready", "check --bogus 1") is None
    assert "unrecognized arguments" in capsys.readouterr().out


def test_no_hand_off_is_a_flag_of_the_magic_and_the_cli():
    from jupyter_mlready.cli import build_parser
    from jupyter_mlready.magics import _parse

    assert _parse("check --no-hand-off").hand_off is False and _parse("check").hand_off is True
    args = build_parser().parse_args(["check", "nb.ipynb", "--no-hand-off"])
    assert args.hand_off is False
    assert build_parser().parse_args(["check", "nb.ipynb"]).hand_off is True
