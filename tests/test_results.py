"""unpactlib.results: what a run records about the CPU that made it."""

from __future__ import annotations

from pathlib import Path

import torch

from unpactlib.results import cpu_kernels, environment


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
