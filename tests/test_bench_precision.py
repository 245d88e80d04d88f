"""measure/bench_precision.py: its settings, its comparisons and one worker on the smoke model."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

import bench_precision as bp  # measure/ is on pytest's pythonpath
from unpactlib.paths import REPO_ROOT

SCRIPT = str(REPO_ROOT / "measure" / "bench_precision.py")


def output(setting: str = bp.REFERENCE.name, **changes) -> dict:
    """A hand-made worker output (the keys :func:`bp.measure` writes), ``changes`` replacing
    its entries."""
    out = {
        "setting": setting,
        "precision": "fp32",
        "env": {},
        "kernels": "AVX2, AVX512-BF16",
        "threads": 1,
        "repeats": 1,
        "model": "embedded",
        "counts": {"train step": 4, "answer": 3, "letters": 3, "attribution": 2},
        "seconds": {"train step": 1.0, "answer": 2.0, "letters": 0.5, "attribution": 4.0},
        "answers": ["Paris", "1923", "a red fox"],
        "letters": ["A", "C", "B"],
        "letter_logprobs": [[-0.1, -3, -4, -5], [-4, -3, -0.2, -5], [-3, -0.1, -4, -5]],
        "contributions": [[0.5, 0.1, -0.2, 0.4], [0.02, 0.3, float("nan")]],
        "trained": {"final_loss": 1.25, "weights_sha256": "ab" * 32, "answers": ["x", "y", "z"]},
        "warnings": [],
    }
    return {**out, **changes}


def test_settings_have_unique_names_and_each_decides_every_variable():
    names = [s.name for s in bp.SETTINGS]
    assert len(set(names)) == len(names) == 6
    variables = {"ATEN_CPU_CAPABILITY", "MKL_CBWR", "MKL_ENABLE_INSTRUCTIONS", "ONEDNN_MAX_CPU_ISA"}
    for s in bp.SETTINGS:
        assert set(s.env) == variables
        assert s.precision in ("fp32", "bf16")
    assert bp.REFERENCE.env == {
        "ATEN_CPU_CAPABILITY": "avx2",
        "MKL_CBWR": "AVX2",
        "MKL_ENABLE_INSTRUCTIONS": None,
        "ONEDNN_MAX_CPU_ISA": None,
    }
    for limited, own, _ in bp.PAIRS:  # a pair: the same setting but the CPU's limits
        a, b = bp.SETTINGS[limited - 1], bp.SETTINGS[own - 1]
        assert (a.precision, a.cbwr) == (b.precision, b.cbwr)
        assert (a.mkl, a.onednn) == ("AVX2", "AVX2") and (b.mkl, b.onednn) == (None, None)


def test_worker_env_sets_and_removes_the_variables(monkeypatch):
    monkeypatch.setenv("ATEN_CPU_CAPABILITY", "avx2")  # as the Makefile exports them
    monkeypatch.setenv("MKL_CBWR", "AVX2")
    machine = bp.worker_env(bp.SETTINGS[2], threads=2)
    assert "ATEN_CPU_CAPABILITY" not in machine and "MKL_CBWR" not in machine
    assert machine["OMP_NUM_THREADS"] == "2"
    limited = bp.worker_env(bp.SETTINGS[5])
    assert limited["ONEDNN_MAX_CPU_ISA"] == "AVX512_CORE"
    assert limited["OMP_NUM_THREADS"] == "1"


def test_pick_by_number_or_name_always_runs_the_reference():
    s = bp.SETTINGS
    assert bp.pick(None) == list(s)
    assert bp.pick(["1,2"]) == [s[0], s[1]]
    assert bp.pick(["5", "3"]) == [s[0], s[2], s[4]]
    assert bp.pick([s[5].name]) == [s[0], s[5]]
    for bad in (["7"], ["0"], ["fp32"], ["1,x"]):
        with pytest.raises(ValueError, match="no setting"):
            bp.pick(bad)


def test_differing_counts_entries_and_extra_length():
    assert bp.differing(["a", "b", "c"], ["a", "x", "c"]) == (1, 3)
    assert bp.differing(["a"], ["a", "b"]) == (1, 2)
    assert bp.differing([], []) == (0, 0)


def test_max_abs_diff_treats_shared_nan_as_equal():
    a = [[0.5, 0.1], [float("nan"), 0.2]]
    assert bp.max_abs_diff(a, a) == 0
    assert bp.max_abs_diff(a, [[0.5, 0.125], [float("nan"), 0.2]]) == pytest.approx(0.025)
    assert bp.max_abs_diff(a, [[0.5, 0.1], [0.0, 0.2]]) == math.inf
    assert bp.max_abs_diff(a, [[0.5, 0.1], [0.0]]) == math.inf
    assert bp.max_abs_diff(a, a[:1]) == math.inf


def test_key_tokens_differing_by_prompt():
    a = [[0.5, 0.1, -0.2, 0.4], [0.3, 0.02, 0.01]]
    assert bp.key_tokens_differing(a, a) == (0, 2)
    # a small change that keeps the KeyTokens, and one that adds a token to them
    b = [[0.5, 0.1, -0.2, 0.41], [0.3, 0.2, 0.01]]
    assert bp.key_tokens_differing(a, b) == (1, 2)


def test_compare_finds_every_kind_of_difference():
    ref = output()
    same = bp.compare(ref, output("fp32, pinned, AVX2 CPU"))
    assert same["answers_differing"] == (0, 3) and same["letters_differing"] == (0, 3)
    assert same["contributions_max_diff"] == 0 and same["key_tokens_differing"] == (0, 2)
    assert same["trained_weights_identical"] and same["trained_answers_differing"] == (0, 3)
    other = output(
        "bf16 autocast, AVX512-BF16",
        answers=["Paris", "1924", "a fox"],
        letters=["A", "C", "C"],
        contributions=[[0.5, 0.45, -0.2, 0.4], [0.02, 0.3, float("nan")]],
        trained={"final_loss": 1.5, "weights_sha256": "cd" * 32, "answers": ["x", "y", "w"]},
    )
    c = bp.compare(ref, other)
    assert c["answers_differing"] == (2, 3) and c["letters_differing"] == (1, 3)
    assert c["contributions_max_diff"] == pytest.approx(0.35)
    assert c["key_tokens_differing"] == (1, 2)
    assert not c["trained_weights_identical"] and c["trained_answers_differing"] == (1, 3)
    assert bp.agreement(c) == {
        "answers differ": "2 of 3",
        "letters differ": "1 of 3",
        "contributions max |diff|": "0.35",
        "KeyTokens differ": "1 of 2",
        "trained weights identical": "no",
        "answers after training differ": "1 of 3",
    }


def test_summarise_table_pairs_and_the_book_rows():
    names = [s.name for s in bp.SETTINGS]
    outputs = [output(n) for n in names]
    outputs[4]["seconds"] = {k: v / 2 for k, v in outputs[4]["seconds"].items()}
    outputs[3]["answers"] = ["Paris", "1923", "a grey fox"]
    table, note, record = bp.summarise(outputs)
    assert list(table["setting"]) == names
    assert list(table[f"answer / {bp.REF}"]) == [1, 1, 1, 1, 0.5, 1]
    assert list(table["answers differ"]) == ["0 of 3"] * 3 + ["1 of 3"] + ["0 of 3"] * 2
    assert set(record["pairs"]) == {"2 vs 1", "4 vs 3"}
    assert record["pairs"]["4 vs 3"]["answers_differing"] == (1, 3)
    assert "unpinned fp32 (4 vs 3): answers 1 of 3 differ" in note
    rows = {r["work"]: r for r in record["rows"]}  # what the book's reproduce page reads
    assert rows["answer (3 questions)"]["fp32 / bf16"] == 2
    assert record["same_answers"] == [3, 3]
    assert record["attribution"]["prompts"] == 2
    json.dumps(record)  # JSON as it stands
    few = bp.summarise(outputs[:2])[2]
    assert "same_answers" not in few and set(few["pairs"]) == {"2 vs 1"}
    with pytest.raises(ValueError, match="other work"):
        bp.summarise([outputs[0], output(names[1], counts={**outputs[0]["counts"], "answer": 2})])


def test_a_worker_on_the_smoke_model(tmp_path):
    out = tmp_path / "worker.json"
    command = [sys.executable, SCRIPT, "--worker", bp.REFERENCE.name, "--out", str(out)]
    command += ["--model", "smoke", "--items", "2", "--repeats", "1"]
    env = bp.worker_env(bp.REFERENCE)
    subprocess.run(command, env=env, cwd=REPO_ROOT, check=True, capture_output=True, timeout=120)
    result = json.loads(out.read_text())
    assert result["setting"] == bp.REFERENCE.name and result["threads"] == 1
    assert result["kernels"].startswith("AVX2")  # ATEN_CPU_CAPABILITY took effect
    assert set(result["seconds"]) == set(bp.WORK)
    assert len(result["answers"]) == len(result["letters"]) == 2
    assert len(result["contributions"]) == 4  # 2 news and 2 WMDP-analog prompts
    assert len(result["trained"]["losses"]) == bp.TRAJECTORY_STEPS
    assert bp.compare(result, result)["trained_weights_identical"]
