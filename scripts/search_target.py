"""The recorded search behind the ``embedded`` profile's target recipe.

Fine-tunes one benchmark's target with the profile's :class:`unpactlib.config.TargetConfig`
changed by ``name=value`` pairs (JSON values), exactly as the study does
(:func:`unpactlib.cache.ensure_target`, so a recipe that is kept is already cached), and
appends what its checks saw (forget, retain and utility accuracy every ``eval_every`` epochs)
to ``data/results/<profile>/target_search/<benchmark>.jsonl``, with the base model's
utility accuracy beside it. A recipe already recorded for the same target folder is skipped.

``--interpolate W1,W2 --of FOLDER`` scores, without training, the recorded target in the
cache folder ``FOLDER`` with its weights interpolated towards the base model's at each weight
(:func:`unpactlib.training.interpolate_weights`, the ``interpolate`` setting), and records each
as that recipe with ``interpolate`` changed.

    python scripts/search_target.py news freeze_embeddings=true replay=64
    python scripts/search_target.py news --interpolate 0.6,0.7 --of news-embedded-0dcd62bc16fe
    python scripts/search_target.py news --show
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from collections.abc import Sequence
from dataclasses import asdict, fields, replace
from pathlib import Path

import torch

from unpactlib import cache
from unpactlib.benchmarks import BENCHMARKS, load_benchmark
from unpactlib.cache import CHECKED
from unpactlib.config import (
    ParameterError,
    Profile,
    TargetConfig,
    check_choice,
    check_range,
    get_profile,
)
from unpactlib.evaluation import accuracy, answer_table
from unpactlib.models import load_model
from unpactlib.paths import RESULTS_DIR
from unpactlib.results import append_jsonl, read_jsonl
from unpactlib.training import interpolate_weights


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


def scores(prof: Profile, bench, model, tok, splits: Sequence[str]) -> dict[str, float]:
    """Accuracy of ``model`` on ``splits``, scored as the target's checks score it."""
    return {
        split: accuracy(
            answer_table(
                model,
                tok,
                bench[split],
                tau=prof.target.tau,
                batch_size=prof.generation_batch_size,
                mc_scoring=bench.mc_scoring(split),
            )["correct"]
        ).value
        for split in splits
    }


def base_utility(profile_name: str, bench) -> float:
    """The untouched base model's utility accuracy, scored as the target's checks score it."""
    prof = get_profile(profile_name)
    model, tok = load_model(prof.model, device="cpu")
    return scores(prof, bench, model, tok, ["utility"])["utility"]


def record_interpolations(path: Path, row: dict, weights: list[float], prof: Profile) -> None:
    """Score the target of the recorded ``row`` interpolated at each of ``weights`` and append
    one record per weight (``changes`` and ``config`` with that ``interpolate``)."""
    bench = load_benchmark(row["benchmark"], source=prof.source).subset(prof.n_per_split)
    base, tok = load_model(prof.model, device="cpu")
    start = {n: p.detach().clone() for n, p in base.named_parameters()}
    del base
    trained, _ = load_model(str(cache.default_cache_dir() / "targets" / row["target"]), "cpu")
    end = {n: p.detach().clone() for n, p in trained.named_parameters()}
    for weight in weights:
        with torch.no_grad():
            for n, p in trained.named_parameters():
                p.copy_(end[n])
        interpolate_weights(trained, start, weight)
        began = time.perf_counter()
        found = scores(prof, bench, trained, tok, CHECKED)
        check = {"epoch": row["epochs"], "interpolate": weight, **found}
        append_jsonl(
            path,
            row
            | {
                "changes": row["changes"] | {"interpolate": weight},
                "config": row["config"] | {"interpolate": weight},
                "interpolated_from": row["target"],
                "checks": [check],
                "seconds": round(time.perf_counter() - began, 1),
            },
        )
        print(json.dumps(check))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("benchmark", choices=BENCHMARKS)
    ap.add_argument("changes", nargs="*", help="TargetConfig field=value (JSON value)")
    ap.add_argument("--profile", default="embedded")
    ap.add_argument("--show", action="store_true", help="print the recorded tries")
    ap.add_argument("--interpolate", help="comma-separated weights to score (with --of)")
    ap.add_argument("--of", help="cache folder name of a recorded target (with --interpolate)")
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
    if args.interpolate or args.of:
        rows = [r for r in done if r["target"] == args.of and "interpolated_from" not in r]
        if not (args.interpolate and rows):
            known = sorted({r["target"] for r in done})
            raise ParameterError(f"--of={args.of!r}: give --interpolate and one of {known}")
        weights = [float(w) for w in args.interpolate.split(",")]
        for w in weights:
            check_range("interpolate", w, 0.0, 1.0)
        record_interpolations(path, rows[0], weights, prof)
        return
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
