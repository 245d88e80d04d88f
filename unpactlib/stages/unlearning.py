"""The unlearning stage: unlearn with each method once, score the result (T1)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .. import keys, records
from ..cache import load_target, load_unlearned
from ..config import check_range
from ..evaluation import answer_splits, unlearning_metrics
from ..models import mixed_precision
from ..results import read_json, read_table, write_json, write_table
from ..unlearn import parse_methods
from .study import SPLITS, Study


@dataclass
class UnlearningResult:
    """The unlearning stage's outputs."""

    methods: list[str]
    before: pd.DataFrame  # the target's answers to the T1 splits
    t1: pd.DataFrame  # one row per method (and "target"): scores, rates, seconds
    losses: dict[str, list[float]]  # method -> loss of every step
    items: dict[str, pd.DataFrame] = field(default_factory=dict)  # method -> per-item table


def t1_splits(study: Study) -> list[str]:
    """The :data:`SPLITS` of T1 that the study's benchmark has (a hub benchmark has no
    paraphrases)."""
    have = study.bench.split_names()
    return [s for s in SPLITS if s in have]


def _target_answers(study: Study, target: Path, target_seed: int, tau: float) -> pd.DataFrame:
    """The target's answers to the T1 splits: from the target stage's ``items.csv`` when it
    exists, else computed."""
    stored = study.run_dir("target", target_seed) / "items.csv"
    if stored.exists():
        before = read_table(stored)
        before = before[before.model == "target"]
    else:
        model, tok = load_target(target, study.device)
        with mixed_precision(study.profile.precision):
            before = answer_splits(
                model, tok, study.bench, t1_splits(study), tau=tau,
                batch_size=study.profile.generation_batch_size,
            )  # fmt: skip
        del model
    wanted = {(r["id"], s) for s in t1_splits(study) for r in study.bench[s]}
    return before[[(i, s) in wanted for i, s in zip(before.id, before.split)]]


def run_unlearning(
    study: Study,
    methods: str = "all",
    *,
    seed: int = 0,
    target_seed: int = 0,
    tau: float = 0.5,
) -> UnlearningResult:
    """Unlearn the target with each of ``methods`` (``"all"`` or comma-separated keys of
    :data:`unpactlib.unlearn.METHODS`; each model once), then score it on the forget, retain
    and utility splits against the target's answers (T1).

    Writes ``items.csv`` (answers before and after), ``metrics.json`` (T1's numbers) and
    ``losses.json`` into each method's run folder.
    """
    check_range("tau", tau, 0.0, 1.0)
    method_list = parse_methods(methods)
    prof, bench = study.profile, study.bench
    target, _ = study.target(target_seed)
    before = _target_answers(study, target, target_seed, tau)
    rows, losses, tables = [], {}, {}
    for method in method_list:
        out = study.run_dir(method, seed)
        settings = keys.method_settings(prof.unlearn_config(bench.name, method), method)
        key = keys.unlearn_record(target.name, tau, settings)
        if not records.stage_done(out, "config.json", key, study.cache_dir):
            path, record = study.unlearned(method, seed, target_seed)
            model, tok = load_unlearned(path, study.device)
            with mixed_precision(prof.precision):
                after = answer_splits(
                    model,
                    tok,
                    bench,
                    t1_splits(study),
                    tau=tau,
                    batch_size=prof.generation_batch_size,
                )
            del model
            items = before[["id", "split", "question", "answer", "prediction", "correct"]].merge(
                after[["id", "split", "prediction", "correct"]],
                on=["id", "split"],
                suffixes=("_before", "_after"),
                validate="one_to_one",
            )
            if len(items) != len(after):
                raise ValueError("the target's answers do not cover every item: run run_target")
            items["correct_before"] = items.correct_before.astype(bool)
            items["correct_after"] = items.correct_after.astype(bool)
            write_table(out / "items.csv", items)
            metrics = unlearning_metrics(items)
            metrics["batches"] = len(record["losses"])
            write_json(out / "metrics.json", metrics)
            write_json(out / "losses.json", record["losses"])
            records.finish_stage(
                out,
                "config.json",
                key,
                files=["items.csv", "metrics.json", "losses.json"],
                cache_dir=study.cache_dir,
                seconds=record["seconds"],
                profile=prof.name,
                benchmark=bench.name,
                method=method,
                seed=seed,
                unlearn=record["config"],
            )
        seconds = records.stage_seconds(out, "config.json")
        rows.append({"method": method, **read_json(out / "metrics.json"), "seconds": seconds})
        losses[method] = read_json(out / "losses.json")
        tables[method] = read_table(out / "items.csv")
    target_row = {
        f"{s} score": before[before.split == s].correct.astype(bool).mean()
        for s in t1_splits(study)
    }
    t1 = pd.DataFrame([{"method": "target", **target_row}, *rows]).set_index("method")
    return UnlearningResult(method_list, before, t1, losses, tables)
