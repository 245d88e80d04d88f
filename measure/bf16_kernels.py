"""Whether a bf16 matrix product depends on the CPU's instructions.

Runs one bf16-autocast ``linear`` (a SmolLM2-sized MLP projection, fixed seed) in a fresh
process per oneDNN instruction-set limit (``ONEDNN_MAX_CPU_ISA``: oneDNN reads it once, when it
starts) and prints a hash of each result and its largest difference from the unlimited run.
Different hashes mean that the same code and inputs give other bits on a CPU with other
instructions; a limit above what this CPU has runs as the CPU allows. Usage::

    python measure/bf16_kernels.py
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile

import torch

from common import one_thread_env, parser
from unpactlib.results import cpu_kernels

LIMITS = ("", "AVX512_CORE_AMX", "AVX512_CORE_BF16", "AVX512_CORE", "AVX2")

CHILD = """
import hashlib, sys, torch
torch.manual_seed(0)
x, w = torch.randn(64, 576), torch.randn(1536, 576)
with torch.autocast("cpu", dtype=torch.bfloat16):
    y = torch.nn.functional.linear(x, w).float()
torch.save(y, sys.argv[1])
"""


def run(limit: str, out: str) -> torch.Tensor:
    """The product computed under ``limit`` (empty: no limit), loaded back."""
    env = one_thread_env(ONEDNN_MAX_CPU_ISA=limit)
    if not limit:
        env.pop("ONEDNN_MAX_CPU_ISA")
    subprocess.run([sys.executable, "-c", CHILD, out], env=env, check=True)
    return torch.load(out)


def main() -> int:
    parser(__doc__).parse_args()
    print(f"this CPU: {cpu_kernels()}")
    with tempfile.TemporaryDirectory() as tmp:
        results = {limit: run(limit, f"{tmp}/{k}.pt") for k, limit in enumerate(LIMITS)}
    base = results[""]
    for limit, y in results.items():
        digest = hashlib.sha256(y.numpy().tobytes()).hexdigest()[:12]
        gap = (y - base).abs().max().item()
        print(f"{limit or 'no limit':18s} sha256 {digest}  max |difference| {gap:.3g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
