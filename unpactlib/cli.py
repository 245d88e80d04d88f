"""Command line: the study's stages outside a notebook, and unlearning at paper scale.

    python -m unpactlib.cli stage target --profile embedded --benchmark news
    python -m unpactlib.cli stage recovery --benchmark news -p templates key_line
    python -m unpactlib.cli unlearn --profile embedded --benchmark news --method npo_gdr
    accelerate launch --config_file configs/accelerate/fsdp_8gpu.yaml \\
        -m unpactlib.cli unlearn --profile paper --benchmark news --method npo_gdr

``stage`` runs one of :data:`unpactlib.stages.STAGES`, the functions the stage notebooks
call, with the same parameters (``-p NAME VALUE``, typed as the function's signature says).
``unlearn`` only makes (or finds in the cache) the target and the unlearned model
(:func:`unpactlib.cache.ensure_target`, :func:`unpactlib.cache.ensure_unlearned`) and prints
the model's folder: under ``accelerate launch`` every process trains its shard of each batch
and the first process writes the model.
"""

from __future__ import annotations

import argparse
import inspect
import sys

from .benchmarks import BENCHMARKS, SOURCES, load_benchmark
from .config import PROFILES, ParameterError, check_choice, get_profile
from .models import DEVICES
from .unlearn import METHODS


def _unlearn(args: argparse.Namespace) -> None:
    from . import cache

    prof = get_profile(args.profile)
    bench = load_benchmark(args.benchmark, source=args.source or prof.source)
    bench = bench.subset(prof.n_per_split)
    target, _ = cache.ensure_target(prof, bench, seed=args.seed, device=args.device)
    folder, record = cache.ensure_unlearned(
        prof, bench, args.method, target, seed=args.seed, device=args.device
    )
    if cache.is_main_process():
        print(f"{folder} ({len(record['losses'])} batches, {record['seconds']} s)")


def stage_parameters(stage: str, pairs: list[list[str]]) -> dict[str, object]:
    """``-p NAME VALUE`` pairs -> keyword arguments of the stage function, each converted to
    the type of its default; a ParameterError names an unknown parameter and the known ones."""
    from .stages import STAGES

    signature = inspect.signature(STAGES[stage])
    known = {n: p for n, p in signature.parameters.items() if n != "study"}
    out: dict[str, object] = {}
    for name, value in pairs:
        check_choice(f"{stage} parameter", name, known)
        default = known[name].default
        out[name] = type(default)(value) if isinstance(default, int | float) else value
    return out


def _stage(args: argparse.Namespace) -> None:
    from .stages import STAGES, setup

    kwargs = stage_parameters(args.stage, args.p or [])
    study = setup(
        args.profile,
        args.benchmark,
        model=args.model,
        results_dir=args.results_dir,
        cache_dir=args.cache_dir,
        device=args.device,
    )
    STAGES[args.stage](study, **kwargs)
    print(f"{args.stage} of {args.benchmark} done: {study.results_dir / study.profile.name}")


def parser() -> argparse.ArgumentParser:
    """The argument parser (choices come from the registries, so help lists them)."""
    from .stages import STAGES

    ap = argparse.ArgumentParser(prog="python -m unpactlib.cli", description=__doc__)
    sub = ap.add_subparsers(dest="command", required=True)
    st = sub.add_parser("stage", help="run one stage of the study (as its notebook does)")
    st.add_argument("stage", choices=list(STAGES))
    st.add_argument("--profile", default="embedded", choices=list(PROFILES))
    st.add_argument("--benchmark", default="news", choices=list(BENCHMARKS))
    st.add_argument("--model", default="", help="base model: empty for the profile's")
    st.add_argument("--results-dir", default="", help="default: data/results of the checkout")
    st.add_argument("--cache-dir", default="", help="default: .cache of the checkout")
    st.add_argument("--device", default="auto", choices=list(DEVICES))
    st.add_argument("-p", nargs=2, action="append", metavar=("NAME", "VALUE"))
    st.set_defaults(run=_stage)
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
