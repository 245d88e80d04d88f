"""The target stage: fine-tune the target once, score the base and target models."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .. import keys, records
from ..cache import load_target
from ..config import check_range
from ..evaluation import evaluate
from ..models import load_model, mixed_precision
from ..results import read_json, read_table, write_json, write_table
from .study import Study


@dataclass
class TargetResult:
    """The target stage's outputs."""

    path: Path  # the target model's folder
    training: dict  # its training record (epochs, checks, seconds)
    items: pd.DataFrame  # every item's answer under the base and the target model (``model``)
    scores: pd.DataFrame  # model x split accuracy, knowmem / verbmem ROUGE-L F1
    folder: Path  # the run folder


def run_target(study: Study, *, seed: int = 0, tau: float = 0.5) -> TargetResult:
    """Fine-tune the target (once), then score the base model and the target on every split
    and on the VerbMem prompts (once per target and ``tau``).

    Writes ``items.csv``, ``verbmem.csv`` (where the benchmark has VerbMem prompts) and
    ``metrics.json`` into the target's run folder.
    """
    check_range("tau", tau, 0.0, 1.0)
    prof, bench = study.profile, study.bench
    out = study.run_dir("target", seed)
    path, training = study.target(seed)
    key = keys.target_record(path.name, tau)
    if not records.stage_done(out, "config.json", key, study.cache_dir):
        items, verbmem, summary = [], [], {}
        loaders = [
            ("base", lambda: load_model(prof.model, device=study.device, seed=seed)),
            ("target", lambda: load_target(path, study.device)),
        ]
        for name, loader in loaders:
            model, tok = loader()
            with mixed_precision(prof.precision):
                it, vm, summary[name] = evaluate(
                    model, tok, bench, tau=tau, batch_size=prof.generation_batch_size
                )
            items.append(it.assign(model=name))
            verbmem.append(vm.assign(model=name))
            del model
        items = pd.concat(items, ignore_index=True)
        verbmem = pd.concat(verbmem, ignore_index=True)
        write_table(out / "items.csv", items)
        files = ["items.csv", "metrics.json"]
        if len(verbmem):
            write_table(out / "verbmem.csv", verbmem)
            files.append("verbmem.csv")
        write_json(
            out / "metrics.json",
            {
                "scores": pd.DataFrame(summary).T.round(6).to_dict(orient="index"),
                "n_items": {s: len(v) for s, v in bench.splits.items()}
                | {"verbmem": len(bench.verbmem)},
                "epochs": training["epochs"],
                "checks": training["checks"],
            },
        )
        records.finish_stage(
            out,
            "config.json",
            key,
            files=files,
            cache_dir=study.cache_dir,
            seconds=training["seconds"],
            profile=prof.name,
            benchmark=bench.name,
            seed=seed,
            model=prof.model,
            target_training=training["config"],
        )
    scores = pd.DataFrame(read_json(out / "metrics.json")["scores"]).T
    return TargetResult(path, training, read_table(out / "items.csv"), scores, out)
