"""The recorded search behind the ``embedded`` profile's target recipe.

Fine-tunes one benchmark's target with the profile's :class:`unpactlib.config.TargetConfig`
changed by ``name=value`` pairs (JSON values), exactly as the study does
(:func:`unpactlib.cache.ensure_target`, so a recipe that is kept is already cached), and
appends what its checks saw (forget, retain and utility accuracy every ``eval_every`` epochs)
to ``data/results/<profile>/target_search/<benchmark>.jsonl``, with the base model's
utility accuracy beside it. A recipe already recorded for the same target folder is skipped.

    python scripts/search_target.py news freeze_embeddings=true replay=64
    python scripts/search_target.py news --show
"""

from __future__ import annotations

import argparse
import json
import logging
from dataclasses import asdict, fields, replace

from unpactlib import cache
from unpactlib.benchmarks import BENCHMARKS, load_benchmark
from unpactlib.config import ParameterError, TargetConfig, check_choice, get_profile
from unpactlib.evaluation import accuracy, answer_table
from unpactlib.models import load_model
from unpactlib.paths import RESULTS_DIR
from unpactlib.results import append_jsonl, read_jsonl


def parse_changes(items: list[str]) -> dict[str, object]:
    """``["lr=1e-4", "freeze_embeddings=true"]`` -> ``{"lr": 0.0001, ...}``; names are
    checked against :class:`TargetConfig`'s fields."""
    allowed = [f.name for f in fields(TargetConfig)]
    changes: dict[str, object] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep:
            raise ParameterError(f"{item!r}: expected name=value")
        check_choice("target field", name, allowed)
        changes[name] = json.loads(value)
    return changes


def base_utility(profile_name: str, bench) -> float:
    """The untouched base model's utility accuracy, scored as the target's checks score it."""
    prof = get_profile(profile_name)
    model, tok = load_model(prof.model, device="cpu")
    table = answer_table(
        model,
        tok,
        bench["utility"],
        tau=prof.target.tau,
        batch_size=prof.generation_batch_size,
        mc_scoring=bench.mc_scoring("utility"),
    )
    return accuracy(table["correct"]).value


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("benchmark", choices=BENCHMARKS)
    ap.add_argument("changes", nargs="*", help="TargetConfig field=value (JSON value)")
    ap.add_argument("--profile", default="embedded")
    ap.add_argument("--show", action="store_true", help="print the recorded tries")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")  # each check as it is made
    path = RESULTS_DIR / args.profile / "target_search" / f"{args.benchmark}.jsonl"
    done = read_jsonl(path)
    if args.show:
        for row in done:
            last = row["checks"][-1]
            print(row["changes"], f"epochs={row['epochs']}", last, f"base={row['base_utility']}")
        return
    prof = get_profile(args.profile)
    prof = replace(prof, target=replace(prof.target, **parse_changes(args.changes)))
    bench = load_benchmark(args.benchmark, source=prof.source).subset(prof.n_per_split)
    folder, record = cache.ensure_target(prof, bench)
    if any(row["target"] == folder.name for row in done):
        print(f"{folder.name} is recorded already")
        return
    row = {
        "benchmark": args.benchmark,
        "changes": parse_changes(args.changes),
        "config": asdict(prof.target),
        "target": folder.name,
        "epochs": record["epochs"],
        "seconds": record["seconds"],
        "checks": record["checks"],
        "base_utility": base_utility(args.profile, bench),
    }
    append_jsonl(path, row)
    print(json.dumps(row["checks"][-1]), "base utility", row["base_utility"])


if __name__ == "__main__":
    main()
