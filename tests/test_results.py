"""unpactlib.results: what a run records about the CPU that made it; the bf16 warning."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
import torch

from unpactlib import models
from unpactlib.results import bf16_instructions, cpu_kernels, environment, glued


def _cpuinfo(tmp_path: Path, flags: str) -> Path:
    path = tmp_path / "cpuinfo"
    path.write_text(f"processor\t: 0\nmodel name\t: a CPU\nflags\t\t: fpu sse2 {flags}\n\n")
    return path


def test_cpu_kernels_names_the_bf16_instructions(tmp_path: Path) -> None:
    vector = torch.backends.cpu.get_cpu_capability()
    amx = _cpuinfo(tmp_path, "avx512f avx512_bf16 amx_tile amx_bf16")
    assert cpu_kernels(amx) == f"{vector}, AMX-BF16"
    assert cpu_kernels(_cpuinfo(tmp_path, "avx512f avx512_bf16")) == f"{vector}, AVX512-BF16"
    assert cpu_kernels(_cpuinfo(tmp_path, "avx2 fma")) == f"{vector}, no bf16 instructions"
    assert cpu_kernels(tmp_path / "missing") == f"{vector}, bf16 instructions unknown"


def test_environment_records_the_cpu_kernels() -> None:
    assert environment()["cpu"] == cpu_kernels()


def test_bf16_instructions_follow_the_cpu_and_the_onednn_limit(tmp_path: Path) -> None:
    both = _cpuinfo(tmp_path, "avx512f avx512_bf16 amx_tile amx_bf16")
    assert bf16_instructions(both, limit="") == ["amx_bf16", "avx512_bf16"]
    assert bf16_instructions(both, limit="AVX512_CORE") == []  # AVX-512 without bf16
    assert bf16_instructions(both, limit="avx2") == []
    assert bf16_instructions(_cpuinfo(tmp_path, "avx2 fma"), limit="") == []
    assert bf16_instructions(tmp_path / "missing", limit="") is None


def test_bf16_autocast_warns_on_a_cpu_without_bf16_instructions(monkeypatch) -> None:
    monkeypatch.setattr(models, "bf16_instructions", lambda: [])
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.warns(UserWarning, match="amx_bf16, avx512_bf16"):
        models.mixed_precision("bf16")
    monkeypatch.setattr(models, "bf16_instructions", lambda: ["avx512_bf16"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        models.mixed_precision("bf16")
        models.mixed_precision("fp32")


def test_glued_reads_the_values_a_notebook_glued(tmp_path):
    prefix = "application/papermill.record/"

    def record(name, text):
        return {
            "output_type": "display_data",
            "metadata": {"scrapbook": {"name": name, "mime_prefix": prefix}},
            "data": {f"{prefix}text/plain": text},
        }

    cells = [
        {"cell_type": "code", "outputs": [record("v1", "'agrees'"), {"output_type": "stream"}]},
        {"cell_type": "markdown"},
        {"cell_type": "code", "outputs": [record("v2", ["'part", "ly'"])]},
    ]
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps({"cells": cells}))
    assert glued(path) == {"v1": "agrees", "v2": "partly"}


def _append_many(path: str, tag: str) -> None:
    from unpactlib.results import append_jsonl

    for k in range(25):
        append_jsonl(Path(path), {"tag": tag, "k": k})


def test_append_jsonl_from_processes_side_by_side_loses_no_row(tmp_path: Path) -> None:
    import multiprocessing

    from unpactlib.results import append_jsonl, read_jsonl

    path = tmp_path / "rows.jsonl"
    assert append_jsonl(path, {"tag": "first", "k": 0}) == [{"tag": "first", "k": 0}]
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_append_many, args=(str(path), t)) for t in "ab"]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    rows = read_jsonl(path)
    assert len(rows) == 51
    for tag in "ab":  # each process's rows, all of them, in its own order
        assert [r["k"] for r in rows if r["tag"] == tag] == list(range(25))
    assert not [p for p in tmp_path.iterdir() if p.name != "rows.jsonl"]
