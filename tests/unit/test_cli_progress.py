"""The CLI's progress lines on stderr during `mlready check`."""

import time

from jupyter_mlready.cli import StderrProgress


def test_cli_progress_is_quiet_for_fast_cells_and_says_when_the_check_starts(capsys):
    progress = StderrProgress(every=0.05)
    progress("rerun", "cell 1", 0.1)  # right away: nothing
    time.sleep(0.06)
    progress("rerun", "cell 2", 0.2)  # a cell that starts after a slow one: a line
    progress("rerun", "cell 3", 0.3)  # right after the last line: nothing
    progress("check", "checking the model", 1.0)
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2
    assert err[0].startswith("mlready: running cell 2 of the notebook")
    assert err[1].startswith("mlready: the notebook ran in") and "checking its model" in err[1]
