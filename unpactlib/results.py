"""Results on disk: run folders named by their parameters, written atomically.

A run id such as ``news__npo_gdr__s0`` names a folder under ``<results>/<profile>/`` holding
``config.json`` (parameters and environment) and the run's tables. Every file is written to a
temporary sibling and renamed, so an interrupted run never leaves a half-written file.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from .paths import REPO_ROOT


def run_id(benchmark: str, method: str, seed: int) -> str:
    """``<benchmark>__<method>__s<seed>``; ``method`` is ``target`` for the target model."""
    return f"{benchmark}__{method}__s{seed}"


def run_dir(results_dir: Path | str, profile: str, benchmark: str, method: str, seed: int) -> Path:
    """The folder of one run (created if missing)."""
    path = Path(results_dir) / profile / run_id(benchmark, method, seed)
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_text_atomic(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file and an atomic rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def write_json(path: Path, obj: Any) -> Path:
    """Atomically write ``obj`` as indented, key-sorted JSON."""
    return write_text_atomic(path, json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n")


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    """Atomically write one key-sorted JSON object per line."""
    text = "".join(json.dumps(r, sort_keys=True, ensure_ascii=False) + "\n" for r in rows)
    return write_text_atomic(path, text)


def read_jsonl(path: Path) -> list[dict]:
    """Rows of a file written by :func:`write_jsonl`; no rows when it does not exist."""
    path = Path(path)
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def read_json(path: Path) -> Any:
    """Read a JSON file written by :func:`write_json`."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def write_table(path: Path, df: pd.DataFrame) -> Path:
    """Atomically write a table as CSV (floats with 6 significant digits, stable across runs)."""
    return write_text_atomic(path, df.to_csv(index=False, float_format="%.6g", lineterminator="\n"))


def read_table(path: Path) -> pd.DataFrame:
    """Read a table written by :func:`write_table` (a table without columns reads as empty)."""
    try:
        return pd.read_csv(path, keep_default_na=False, na_values=[""])
    except pd.errors.EmptyDataError:
        return pd.DataFrame()


def cpu_info(cpuinfo: Path | str = "/proc/cpuinfo") -> dict[str, str]:
    """The first processor's fields in ``/proc/cpuinfo`` (``model name``, ``flags`` ...);
    empty where there is no such file."""
    fields: dict[str, str] = {}
    try:
        text = Path(cpuinfo).read_text()
    except OSError:
        return fields
    for line in text.split("\n\n")[0].splitlines():
        name, sep, value = line.partition(":")
        if sep:
            fields[name.strip()] = value.strip()
    return fields


def cpu_kernels(cpuinfo: Path | str = "/proc/cpuinfo") -> str:
    """What the CPU offers bf16 matrix products: torch's vector capability and the CPU's
    bfloat16 instructions (AMX or AVX-512), which oneDNN uses when they are there.

    Results made in bf16 autocast on one CPU are reproducible there, but CPUs with other
    instructions round differently, so a run records which it had.
    """
    flags = set(cpu_info(cpuinfo).get("flags", "").split())
    if "amx_bf16" in flags:
        bf16 = "AMX-BF16"
    elif "avx512_bf16" in flags:
        bf16 = "AVX512-BF16"
    else:
        bf16 = "no bf16 instructions" if flags else "bf16 instructions unknown"
    return f"{torch.backends.cpu.get_cpu_capability()}, {bf16}"


def environment() -> dict[str, str]:
    """Versions, device (and the CPU's kernels) and git revision, stored beside every run's
    parameters."""
    import transformers

    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    except OSError:
        rev = ""
    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu",
        "cpu": cpu_kernels(),
        "git": rev or "unknown",
    }
