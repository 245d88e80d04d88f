"""The recorded search behind the ``embedded`` profile's unlearning settings.

For one benchmark and some methods, unlearn the cached target model with each setting of a
small grid and score its accuracy on the tuning splits and the utility split. The search sees
only the tuning splits: it unlearns ``tune_forget`` (with ``retain_train`` as the retain
data, as the study does) and scores ``tune_forget``, ``tune_retain`` and ``utility``; the
forget and retain-eval items the book reports are never used here. The unlearned model is
compacted exactly as :func:`unpactlib.cache.ensure_unlearned` stores it, then scored; it is
not saved.
Every finished setting is appended to ``data/results/embedded/tuning/<benchmark>.jsonl``; a
setting already there for the same target model (its name and its scores before unlearning)
is skipped, so an interrupted search resumes.

    python scripts/tune_unlearning.py news ga_gdr npo_gdr --set lr=2e-5,4e-5 --set epochs=6

Without ``--set`` the method's default grid (:data:`GRIDS`) is used; a method without one
tries two learning rates. Each setting unlearns with the batch scaled by the size of
``tune_forget`` against ``forget``, so it takes as many optimiser steps per epoch as the
study's run. :func:`unpactlib.tuning.choose` picks each method's setting from the records;
``python scripts/tune_unlearning.py news --choose`` prints the choice.
"""

from __future__ import annotations

import argparse
import copy
import itertools
import json
import time
from dataclasses import asdict, replace

import torch

import unpactlib as up
from unpactlib import cache, evaluation
from unpactlib.benchmarks import BENCHMARKS
from unpactlib.config import check_choice
from unpactlib.keys import method_settings
from unpactlib.paths import RESULTS_DIR
from unpactlib.prompting import chat_format
from unpactlib.results import append_jsonl, read_jsonl
from unpactlib.tuning import choose, latest_target, same_target
from unpactlib.unlearn import METHODS, unlearn

# What we tried, per method: the learning rate (or its analog) is what decides between
# "nothing forgotten" and "everything broken" at this scale. The lowest values were added
# when the first grid destroyed most tuning-retain items on the interpolated target.
GRIDS: dict[str, dict[str, list]] = {
    "ga_gdr": {"lr": [2e-5, 5e-5, 1e-4]},
    "ga_klr": {"lr": [1e-5, 2e-5, 5e-5, 1e-4]},
    "npo_gdr": {"lr": [1e-5, 2e-5, 5e-5, 1e-4, 2e-4]},
    "npo_klr": {"lr": [1e-5, 2e-5, 5e-5, 1e-4, 2e-4]},
    "tv": {"tv_alpha": [0.5, 1.0, 2.0, 4.0]},
    "rmu": {"rmu_lr": [3e-3, 1e-2], "rmu_c": [100.0, 300.0]},
}
SPLITS = ("tune_forget", "tune_retain", "utility")


def parse_sets(items: list[str]) -> dict[str, list]:
    grid: dict[str, list] = {}
    for item in items:
        name, _, values = item.partition("=")
        grid[name] = [json.loads(v) for v in values.split(",")]
    return grid


def scores(model, tok, bench, prof) -> dict[str, list[bool]]:
    """Correctness of every item of each split in :data:`SPLITS`, as the notebooks score it."""
    table = evaluation.answer_splits(
        model, tok, bench, SPLITS, batch_size=prof.generation_batch_size
    )
    return {s: table[table.split == s]["correct"].astype(bool).tolist() for s in SPLITS}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("benchmark", choices=BENCHMARKS)
    ap.add_argument("methods", nargs="*", help=f"any of: {', '.join(METHODS)}")
    ap.add_argument("--choose", action="store_true", help="print each method's chosen setting")
    ap.add_argument("--set", action="append", default=[], help="name=v1,v2 (a grid axis)")
    ap.add_argument("--profile", default="embedded")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    for method in args.methods:
        check_choice("method", method, METHODS)
    torch.set_num_threads(args.threads)

    prof = up.get_profile(args.profile)
    bench = up.load_benchmark(args.benchmark).subset(prof.n_per_split)
    out = RESULTS_DIR / args.profile / "tuning" / f"{args.benchmark}.jsonl"
    rows = read_jsonl(out) if out.exists() else []
    if args.choose:  # among the settings tried on the latest target
        for method, row in choose(latest_target(rows)).items():
            print(
                f"{method}: {row['changed']} (efficacy {row['forget efficacy']:.2f}, "
                f"destructive {row['destructive rate']:.2f})"
            )
        return
    target_path, _ = cache.ensure_target(prof, bench, seed=args.seed)
    target, tok = cache.load_target(target_path)
    before = scores(target, tok, bench, prof)
    # settings already tried on this very target (its name and its scores) are skipped
    mine = {f"{s} before": sum(before[s]) / len(before[s]) for s in SPLITS}
    done = {
        json.dumps(r["key"], sort_keys=True) for r in rows if same_target(r, target_path.name, mine)
    }
    forget, retain = bench.unlearning_sets(tuning=True)

    # the same optimiser steps per epoch as the study's run: the batch shrinks with the
    # tuning forget set (24 items against 48)
    scale = len(forget) / len(bench.unlearning_sets()[0])

    for method in args.methods:
        grid = parse_sets(args.set) if args.set else GRIDS.get(method, {"lr": [5e-5, 1e-4]})
        for values in itertools.product(*grid.values()):
            cfg = replace(prof.unlearn_config(args.benchmark, method), **dict(zip(grid, values)))
            cfg = replace(cfg, batch_size=max(1, round(cfg.batch_size * scale)))
            key = {
                "method": method,
                **method_settings(cfg, method),
                "seed": args.seed,
                "target": target_path.name,
            }
            if json.dumps(key, sort_keys=True) in done:
                continue
            model = copy.deepcopy(target)
            start = time.perf_counter()
            losses = unlearn(model, tok, chat_format(tok), forget, retain, method, cfg, args.seed)
            cache.compact_like_storage(model, target)
            seconds = time.perf_counter() - start
            after = scores(model, tok, bench, prof)
            row = {
                "key": key,
                "method": method,
                "changed": dict(zip(grid, values)),
                "config": asdict(cfg),
                "seconds": round(seconds, 1),
                "final_loss": losses[-1],
                **mine,
                **{f"{s} after": sum(after[s]) / len(after[s]) for s in SPLITS},
                "forget efficacy": up.forget_efficacy(
                    before["tune_forget"], after["tune_forget"]
                ).value,
                "destructive rate": up.destructive_rate(
                    before["tune_retain"], after["tune_retain"]
                ).value,
                "utility destructive rate": up.destructive_rate(
                    before["utility"], after["utility"]
                ).value,
            }
            done.add(json.dumps(key, sort_keys=True))
            append_jsonl(out, row)  # searches of other methods may append side by side
            print(
                f"{args.benchmark} {method} {row['changed']}: efficacy "
                f"{row['forget efficacy']:.2f}, destructive {row['destructive rate']:.2f}, "
                f"utility {row['utility after']:.2f}, {row['seconds']:.0f} s",
                flush=True,
            )
            del model


if __name__ == "__main__":
    main()
