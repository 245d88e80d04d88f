"""Results on disk: run folders named by their parameters, written atomically.

A run id such as ``news__npo_gdr__s0`` names a folder under ``<results>/<profile>/`` holding
``config.json`` (parameters and environment) and the run's tables. Every file is written to a
temporary sibling and renamed, so an interrupted run never leaves a half-written file.
"""

from __future__ import annotations

import fcntl
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


def append_jsonl(path: Path, row: dict) -> list[dict]:
    """Add ``row`` to the rows of ``path`` (atomically, :func:`write_jsonl`) under an exclusive
    lock on its folder, so processes that append to one file side by side lose no row;
    returns every row now in the file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        fcntl.flock(folder, fcntl.LOCK_EX)
        rows = [*read_jsonl(path), row]
        write_jsonl(path, rows)
        return rows
    finally:
        os.close(folder)  # closing releases the lock


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


BF16_INSTRUCTIONS = ("amx_bf16", "avx512_bf16")  # /proc/cpuinfo flags oneDNN's bf16 kernels use
# ONEDNN_MAX_CPU_ISA values (oneDNN's names) below which those instructions are not used
_ISA_WITHOUT_BF16 = ("SSE41", "AVX", "AVX2", "AVX2_VNNI", "AVX512_CORE", "AVX512_CORE_VNNI")


def bf16_instructions(
    cpuinfo: Path | str = "/proc/cpuinfo", limit: str | None = None
) -> list[str] | None:
    """The CPU's bfloat16 matrix instructions (:data:`BF16_INSTRUCTIONS`) that oneDNN may
    use: none when ``limit`` (default: the ``ONEDNN_MAX_CPU_ISA`` variable) is an instruction
    set without them; ``None`` where the CPU's flags cannot be read."""
    flags = cpu_info(cpuinfo).get("flags")
    if flags is None:
        return None
    limit = os.environ.get("ONEDNN_MAX_CPU_ISA", "") if limit is None else limit
    if limit.upper() in _ISA_WITHOUT_BF16:
        return []
    return [f for f in BF16_INSTRUCTIONS if f in flags.split()]


def cpu_kernels(cpuinfo: Path | str = "/proc/cpuinfo") -> str:
    """The CPU's arithmetic as a run records it: torch's vector capability (which
    ``ATEN_CPU_CAPABILITY`` may lower) and the bfloat16 instructions (AMX or AVX-512) oneDNN
    may use for bf16 matrix products.

    CPUs with other instructions round differently, so a run records which it had.
    """
    found = bf16_instructions(cpuinfo)
    if found is None:
        bf16 = "bf16 instructions unknown"
    elif "amx_bf16" in found:
        bf16 = "AMX-BF16"
    elif "avx512_bf16" in found:
        bf16 = "AVX512-BF16"
    else:
        bf16 = "no bf16 instructions"
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


def glued(notebook: Path) -> dict[str, str]:
    """The text of every value an executed notebook glued (myst-nb ``glue``), by name."""
    values = {}
    for cell in json.loads(Path(notebook).read_text(encoding="utf-8"))["cells"]:
        for output in cell.get("outputs", []):
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            text = output.get("data", {}).get("application/papermill.record/text/plain")
            if name and text is not None:
                values[name] = "".join(text).strip("'\"")
    return values


def claims(results_dir: Path, profile: str) -> dict[str, str]:
    """Every value ``notebooks/07_claims.ipynb`` glues when papermill runs it on the results
    root ``results_dir`` (the verdicts ``v1``, ``v2``, ``v3`` among them)."""
    import papermill as pm

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "07_claims.ipynb"
        pm.execute_notebook(
            str(REPO_ROOT / "notebooks" / "07_claims.ipynb"),
            str(out),
            parameters={"profile": profile, "results_dir": str(results_dir)},
            progress_bar=False,
        )
        return glued(out)
