"""Two one-thread notebooks side by side against one two-thread notebook after the other.

``make reproduce`` runs the attribution and recovery notebooks ``JOBS`` at a time with
``THREADS`` torch threads each. This script measures why, on this machine: the same two
units of their work, done

* ``one after the other``: in one process with all cores' threads (``--threads``, default
  all), as ``make`` with one job does;
* ``side by side``: in two processes at once with one thread each (``OMP_NUM_THREADS=1``).

A unit is what the two notebooks do with a model: token contributions of 6 WMDP-analog
forget prompts in float32 (:func:`unpactlib.study.attribute`) and greedy answers to the 24
news forget questions in the embedded profile's arithmetic. Each way runs after a warm-up
unit. Prints a table and writes it to ``data/results/bench/parallel_cpu.md`` and ``.json``.
Usage::

    python scripts/bench_parallel.py [--threads 2]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

import pandas as pd
import torch

import unpactlib
from unpactlib import study
from unpactlib.attribution import stem_span
from unpactlib.generation import greedy_answers
from unpactlib.models import mixed_precision
from unpactlib.results import write_bench

PROFILE = unpactlib.get_profile("embedded")


def unit(model, tok) -> None:
    """One unit of attribution and recovery work (see the module's docstring)."""
    wmdp = unpactlib.load_benchmark("wmdp").prompts("forget")[:6]
    news = [r["question"] for r in unpactlib.load_benchmark("news")["forget"]]
    study.attribute(
        model, tok, wmdp, span=lambda r: stem_span(r) if "choices" in r else None, desc="unit"
    )
    with mixed_precision(PROFILE.precision):
        greedy_answers(model, tok, news, batch_size=PROFILE.generation_batch_size, progress=False)


def run_units(n: int) -> float:
    """Load the embedded model, do a warm-up unit, then time ``n`` units; return seconds."""
    model, tok = unpactlib.load_model("embedded", device="cpu")
    unit(model, tok)
    start = time.perf_counter()
    for _ in range(n):
        unit(model, tok)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=0, help="threads of the one process")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:  # one side-by-side process: wait for the go, then time one unit
        model, tok = unpactlib.load_model("embedded", device="cpu")
        unit(model, tok)
        print("ready", flush=True)
        sys.stdin.readline()
        start = time.perf_counter()
        unit(model, tok)
        print(time.perf_counter() - start, flush=True)
        return
    threads = args.threads or os.cpu_count() or 1
    torch.set_num_threads(threads)
    sequential = run_units(2)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    workers = [
        subprocess.Popen(
            [sys.executable, __file__, "--worker"],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        for _ in range(2)
    ]
    for w in workers:  # both loaded and warm
        assert w.stdout.readline().strip() == "ready"
    start = time.perf_counter()
    for w in workers:
        w.stdin.write("go\n")
        w.stdin.flush()
    each = [float(w.stdout.readline()) for w in workers]
    side_by_side = time.perf_counter() - start
    for w in workers:
        w.wait()
    table = pd.DataFrame(
        [
            {"way": f"one after the other, {threads} threads", "2 units s": round(sequential, 1)},
            {
                "way": "side by side, 1 thread each",
                "2 units s": round(side_by_side, 1),
            },
        ]
    )
    ratio = round(sequential / side_by_side, 2)
    note = (
        f"Embedded model, {os.cpu_count()} cores. A unit: attribution of 6 WMDP-analog prompts "
        f"(float32) and answers to 24 news questions ({PROFILE.precision}). Side by side, "
        f"the two processes took {each[0]:.1f} s and {each[1]:.1f} s; the work is done "
        f"{ratio}x as fast as one after the other."
    )
    write_bench(
        "parallel_cpu",
        table,
        note,
        {
            "sequential_seconds": round(sequential, 2),
            "side_by_side_seconds": round(side_by_side, 2),
            "process_seconds": [round(x, 2) for x in each],
            "speedup": ratio,
            "threads": threads,
            "cpus": os.cpu_count(),
        },
    )


if __name__ == "__main__":
    main()
