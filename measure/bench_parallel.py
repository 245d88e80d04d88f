"""Two one-thread notebooks side by side against one two-thread notebook after the other.

``make reproduce`` runs its stage notebooks ``JOBS`` at a time with ``THREADS`` torch threads
each. This tool compares, on this machine, the same two units of their work done

* ``one after the other``: in one process with all cores' threads (``--threads``, default
  all), as ``make`` with one job does;
* ``side by side``: in two processes at once with one thread each (``OMP_NUM_THREADS=1``).

Two kinds of unit, each measured both ways after a warm-up unit:

* ``score``, what attribution and recovery do with a model: token contributions of 6
  WMDP-analog forget prompts in float32 (:func:`unpactlib.attribution.contributions`) and
  greedy answers to the 24 news forget questions in the embedded profile's arithmetic;
* ``train``, what the target and unlearning stages do: 6 training steps (loss, backward,
  AdamW) on batches of 4 news QA items, in the embedded profile's arithmetic.

Prints a table and writes it to ``data/results/bench/parallel_cpu.md`` and ``.json``. Usage::

    python measure/bench_parallel.py [--threads 2]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

import pandas as pd

import unpactlib
from common import one_thread_env, parser, ratio, use_threads, worker_command, write_bench
from unpactlib.attribution import contributions, stem_span
from unpactlib.generation import greedy_answers
from unpactlib.models import mixed_precision
from unpactlib.prompting import chat_format
from unpactlib.training import adamw, nll, qa_batch

PROFILE = unpactlib.get_profile("embedded")


def score_unit(model, tok) -> None:
    """One unit of attribution and recovery work (see the module's docstring)."""
    wmdp = unpactlib.load_benchmark("wmdp").prompts("forget")[:6]
    news = [r["question"] for r in unpactlib.load_benchmark("news")["forget"]]
    contributions(
        model, tok, wmdp, span=lambda r: stem_span(r) if "choices" in r else None, desc="unit"
    )
    with mixed_precision(PROFILE.precision):
        greedy_answers(model, tok, news, batch_size=PROFILE.generation_batch_size, progress=False)


def train_unit(model, tok) -> None:
    """One unit of training work: 6 steps on batches of 4 news QA items."""
    records = unpactlib.load_benchmark("news").train_records()
    fmt = chat_format(tok)
    model.requires_grad_(True)
    opt = adamw(model.parameters(), lr=1e-5)
    for k in range(6):
        with mixed_precision(PROFILE.precision, training=True):
            loss = nll(model, qa_batch(tok, fmt, records[4 * k : 4 * k + 4]))
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)


UNITS = {"score": score_unit, "train": train_unit}


def run_units(kind: str, n: int) -> float:
    """Load the embedded model, do a warm-up unit, then time ``n`` units; return seconds."""
    model, tok = unpactlib.load_model("embedded", device="cpu")
    UNITS[kind](model, tok)
    start = time.perf_counter()
    for _ in range(n):
        UNITS[kind](model, tok)
    return time.perf_counter() - start


def worker(kind: str) -> None:
    """One side-by-side process: load and warm up, wait for the go, then time one unit."""
    model, tok = unpactlib.load_model("embedded", device="cpu")
    UNITS[kind](model, tok)
    print("ready", flush=True)
    sys.stdin.readline()
    start = time.perf_counter()
    UNITS[kind](model, tok)
    print(time.perf_counter() - start, flush=True)


def side_by_side(kind: str) -> tuple[float, list[float]]:
    """Two one-thread workers started together: the wall time and each one's own time."""
    workers = [
        subprocess.Popen(
            worker_command(__file__, kind),
            env=one_thread_env(),
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
    wall = time.perf_counter() - start
    for w in workers:
        w.wait()
    return wall, each


def main() -> None:
    options = parser(__doc__, "threads")
    options.add_argument("--worker", choices=UNITS, help=argparse.SUPPRESS)
    args = options.parse_args()
    if args.worker:
        worker(args.worker)
        return
    threads = use_threads(args.threads, os.cpu_count() or 1)
    rows, record = [], {"threads": threads, "cpus": os.cpu_count()}
    for kind in UNITS:
        sequential = run_units(kind, 2)
        wall, each = side_by_side(kind)
        speedup = ratio(sequential, wall)
        rows.append(
            {
                "unit": kind,
                f"one after the other, {threads} threads: 2 units s": round(sequential, 1),
                "side by side, 1 thread each: 2 units s": round(wall, 1),
                "speedup": speedup,
            }
        )
        record[kind] = {
            "sequential_seconds": round(sequential, 2),
            "side_by_side_seconds": round(wall, 2),
            "process_seconds": [round(x, 2) for x in each],
            "speedup": speedup,
        }
    note = (
        f"Embedded model, {os.cpu_count()} cores. A score unit: attribution of 6 WMDP-analog "
        f"prompts (float32) and answers to 24 news questions ({PROFILE.precision}); a train "
        f"unit: 6 training steps on 4 news QA items each ({PROFILE.precision} autocast). "
        "Speedup: how much faster the two units are done side by side."
    )
    write_bench("parallel_cpu", pd.DataFrame(rows), note, record)


if __name__ == "__main__":
    main()
