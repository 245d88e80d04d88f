"""The shared training loop with two CPU processes (DDP over gloo, started by ``torchrun``,
which is what ``accelerate launch`` runs for several processes; accelerate reads its
environment).

The paper profile runs the same loop on several GPUs; here the multi-process path is checked
where it can be: every process ends with the same weights, and the forget set is unlearned.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TORCHRUN = Path(sys.executable).with_name("torchrun")


@pytest.mark.parametrize("method", ["ga_gdr", "npo_klr"])
def test_two_processes_end_with_identical_weights_and_forget(tmp_path, method):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    cmd = [
        str(TORCHRUN),
        "--nproc_per_node",
        "2",
        "--master_port",
        "29517",
        str(REPO / "tests/workers/ddp_unlearn.py"),
        str(tmp_path),
        method,
    ]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert all(r["world"] == 2 for r in ranks)
    assert ranks[0]["checksum"] == pytest.approx(ranks[1]["checksum"], rel=1e-9, abs=1e-6)
    # the loss reported per batch is averaged over the processes, hence the same on both
    assert ranks[0]["losses"] == pytest.approx(ranks[1]["losses"])
    assert len(ranks[0]["losses"]) == 3
    assert ranks[0]["after"] < ranks[0]["before"] - 1.0
