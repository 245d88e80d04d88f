"""Peak memory and time of a training process, with and without the two memory savers.

``make reproduce`` runs two stage notebooks side by side, and most of their memory is training.
This tool measures two settings that lower it, every setting in a fresh process with one torch
thread (as ``make -j2`` runs a stage):

* ``activation_checkpointing`` (a profile setting,
  :func:`unpactlib.models.activation_checkpointing`): every decoder layer recomputes its
  activations during the backward pass instead of keeping them from the forward pass;
* the reference of NPO and of the KL terms recorded before the first step
  (:class:`unpactlib.unlearn.losses.Reference`) against a frozen copy of the model run at
  every step.

Units, on the embedded model in the embedded profile's arithmetic (bf16 autocast):

* ``target``: one epoch of target fine-tuning on books (its 12-item splits and its corpus:
  the longest batches of the study);
* ``npo_klr``: npo_klr unlearning on wmdp (12 forget and 12 retain items, the embedded
  settings: 3 epochs of batches of 4).

Each process reports its peak resident memory (``ru_maxrss``: the model, the optimiser, the
libraries; what a notebook kernel adds to the machine) and the seconds of its training. Prints
a table and writes ``data/results/bench/memory_cpu.md`` and ``.json``. Usage::

    python measure/bench_memory.py
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import json
import os
import resource
import subprocess
import time

import pandas as pd

import unpactlib
from common import one_thread_env, parser, ratio, worker_command, write_bench
from unpactlib.models import activation_checkpointing, mixed_precision
from unpactlib.prompting import chat_format
from unpactlib.training import finetune_target
from unpactlib.unlearn import get_method, unlearn
from unpactlib.unlearn.loop import train
from unpactlib.unlearn.losses import Reference

PROFILE = unpactlib.get_profile("embedded")
# (unit, reference, activation checkpointing): the settings compared, the profile's last
SETTINGS = [
    ("target", "", 0),
    ("target", "", 1),
    ("npo_klr", "frozen copy", 0),
    ("npo_klr", "recorded", 0),
    ("npo_klr", "recorded", 1),
]


def target_unit(model, tok, every: int) -> None:
    """One epoch of fine-tuning on books' 12-item splits and corpus (no stop-rule check)."""
    bench = unpactlib.load_benchmark("books").subset(PROFILE.n_per_split)
    cfg = dataclasses.replace(PROFILE.target, max_epochs=1, eval_every=1)
    with mixed_precision(PROFILE.precision, training=True), activation_checkpointing(model, every):
        finetune_target(
            model,
            tok,
            chat_format(tok),
            bench.train_records(),
            cfg,
            lambda _m: {},
            texts=bench.corpus_texts(),
        )


def npo_klr_unit(model, tok, every: int, reference: str) -> None:
    """npo_klr on wmdp with the embedded settings; ``reference``: how the reference is had."""
    bench = unpactlib.load_benchmark("wmdp").subset(PROFILE.n_per_split)
    forget, retain = bench.prompts("forget"), bench.prompts("retain")
    cfg = PROFILE.unlearn_config("wmdp", "npo_klr")
    fmt = chat_format(tok)
    with mixed_precision(PROFILE.precision, training=True), activation_checkpointing(model, every):
        if reference == "recorded":
            unlearn(model, tok, fmt, forget, retain, "npo_klr", cfg)
            return
        frozen = copy.deepcopy(model).eval().requires_grad_(False)

        def step(m, f, r):
            outputs = Reference.needing(forget=True, retain=True)
            outputs.record(frozen, f, r)  # the frozen copy, run at every step
            return get_method("npo_klr").loss(m, outputs, f, r, cfg)

        train(
            model,
            tok,
            fmt,
            forget,
            retain,
            step,
            epochs=cfg.epochs,
            batch_size=cfg.batch_size,
            lr=cfg.lr,
            seed=0,
        )


def worker(unit: str, reference: str, every: int) -> None:
    """One setting in this process: print its training seconds and peak memory as JSON."""
    model, tok = unpactlib.load_model("embedded", device="cpu")
    model.requires_grad_(True)
    start = time.perf_counter()
    if unit == "target":
        target_unit(model, tok, every)
    else:
        npo_klr_unit(model, tok, every, reference)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 2**30  # KiB on Linux
    print(json.dumps({"seconds": round(seconds, 1), "peak_gb": round(peak, 2)}))


def measure(unit: str, reference: str, every: int) -> dict:
    """Run one setting in a fresh one-thread process."""
    out = subprocess.run(
        worker_command(__file__, unit, reference or "-", str(every)),
        env=one_thread_env(),
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    options = parser(__doc__)
    options.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = options.parse_args()
    if args.worker:
        unit, reference, every = args.worker
        worker(unit, "" if reference == "-" else reference, int(every))
        return
    rows = []
    for unit, reference, every in SETTINGS:
        got = measure(unit, reference, every)
        print(unit, reference, every, got, flush=True)
        rows.append(
            {
                "unit": unit,
                "reference": reference or "none",
                "activation checkpointing": every,
                "peak GB": got["peak_gb"],
                "training s": got["seconds"],
            }
        )
    table = pd.DataFrame(rows)
    for unit, first in table.groupby("unit").head(1).set_index("unit").iterrows():
        mine = table["unit"] == unit
        table.loc[mine, "peak / first"] = ratio(table.loc[mine, "peak GB"], first["peak GB"])
        table.loc[mine, "time / first"] = ratio(table.loc[mine, "training s"], first["training s"])
    note = (
        f"Embedded model, one torch thread per process, {PROFILE.precision} autocast, "
        f"{os.cpu_count()} cores. target: one epoch of fine-tuning on books (12-item splits "
        "and corpus); npo_klr: unlearning on wmdp with the embedded settings. Peak: the whole "
        "process's resident memory. The last row of each unit is the embedded profile's setting."
    )
    write_bench("memory_cpu", table, note, {"rows": table.to_dict("records")})


if __name__ == "__main__":
    main()
