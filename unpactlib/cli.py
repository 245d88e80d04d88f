"""Command line for the stages that run outside a notebook, chiefly on GPUs at paper scale.

    python -m unpactlib.cli unlearn --profile embedded --benchmark news --method npo_gdr
    accelerate launch --config_file configs/accelerate/fsdp_8gpu.yaml \\
        -m unpactlib.cli unlearn --profile paper --benchmark news --method npo_gdr

``unlearn`` makes (or finds in the cache) the target and the unlearned model, exactly as the
notebooks do (:func:`unpactlib.study.ensure_target`, :func:`unpactlib.study.ensure_unlearned`),
and prints the unlearned model's folder. Under ``accelerate launch`` every process trains its
shard of each batch and the first process writes the model.
"""

from __future__ import annotations

import argparse
import sys

from .benchmarks import BENCHMARKS, SOURCES, load_benchmark
from .config import PROFILES, ParameterError, get_profile
from .models import DEVICES
from .unlearn import METHODS


def _unlearn(args: argparse.Namespace) -> None:
    from . import study

    prof = get_profile(args.profile)
    bench = load_benchmark(args.benchmark, source=args.source or prof.source)
    bench = bench.subset(prof.n_per_split)
    target, _ = study.ensure_target(prof, bench, seed=args.seed, device=args.device)
    folder, record = study.ensure_unlearned(
        prof, bench, args.method, target, seed=args.seed, device=args.device
    )
    if study.is_main_process():
        print(f"{folder} ({len(record['losses'])} batches, {record['seconds']} s)")


def parser() -> argparse.ArgumentParser:
    """The argument parser (choices come from the registries, so help lists them)."""
    ap = argparse.ArgumentParser(prog="python -m unpactlib.cli", description=__doc__)
    sub = ap.add_subparsers(dest="command", required=True)
    un = sub.add_parser("unlearn", help="make the target and unlearn it with one method")
    un.add_argument("--profile", default="embedded", choices=list(PROFILES))
    un.add_argument("--benchmark", default="news", choices=list(BENCHMARKS))
    un.add_argument("--method", default="npo_gdr", choices=list(METHODS))
    un.add_argument("--source", default=None, choices=list(SOURCES), help="default: profile's")
    un.add_argument("--seed", type=int, default=0)
    un.add_argument("--device", default="auto", choices=list(DEVICES))
    un.set_defaults(run=_unlearn)
    return ap


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        args.run(args)
    except ParameterError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
