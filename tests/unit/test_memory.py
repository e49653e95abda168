"""memory.return_freed_memory: what a process freed (pandas 3 string columns in Arrow's pool,
float columns on glibc's heap) leaves its resident set when asked, and not before."""

from __future__ import annotations

import json
import subprocess
import sys

CODE = """
import json, time
import numpy as np, pandas as pd, psutil
rss = lambda: psutil.Process().memory_info().rss >> 20
base = rss()
text = pd.Series(np.arange(3_000_000).astype(str)).astype("str")  # Arrow-backed in pandas 3
numbers = pd.DataFrame({"a": np.random.default_rng(0).normal(size=3_000_000)})
used = rss()
del text, numbers
time.sleep(0.3)
kept = rss()
from jupyter_mlready.memory import return_freed_memory
return_freed_memory()
print(json.dumps({"base": base, "used": used, "kept": kept, "returned": rss()}))
"""


def test_freed_frames_leave_the_resident_set_when_asked():
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, check=True)
    mb = json.loads(out.stdout.strip().splitlines()[-1])
    assert mb["used"] - mb["base"] > 100, mb  # the frames were resident
    # without asking, the allocators keep much of it (Arrow's pool, glibc's heap)
    assert mb["kept"] - mb["returned"] > 40, mb
    assert mb["returned"] - mb["base"] < 30, mb
