"""The study's four stages, each one function that the notebooks and the CLI call.

Every stage of one benchmark starts from :func:`setup` (profile, benchmark items, folders,
device) and:

* owns its keys (:mod:`unpactlib.keys`): a unit of work (a model's scores, one method's
  contributions, one method's recovery) whose record holds the same key, with intact result
  files and this machine's stamp (:func:`unpactlib.records.stage_done`), is read, not
  recomputed;
* writes its results atomically into the run folders ``<results>/<profile>/<run id>/``;
* returns its tables, which the notebook shows.

:func:`run_target` fine-tunes the target and scores the base and target models;
:func:`run_unlearning` unlearns with each method and scores the result (T1);
:func:`run_attribution` computes every token's contribution under the target and each
unlearned model (F2, F3, F5, F6); :func:`run_recovery` asks the rewritten prompts (T2, F4).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from . import keys, records, tracking
from .attribution import TOKEN_BUDGET, contributions, key_tokens, stem_span
from .attribution_captum import captum_feature_ablation, captum_integrated_gradients
from .benchmarks import Benchmark, load_benchmark
from .cache import (
    ensure_target,
    ensure_unlearned,
    load_target,
    load_tokenizer,
    load_unlearned,
)
from .config import Profile, check_choice, check_range, get_profile, parse_choices, parse_numbers
from .evaluation import Answered, answer, answer_splits, evaluate, rate_record, unlearning_metrics
from .models import load_model, mixed_precision
from .paths import RESULTS_DIR
from .prompting import encode_question
from .recovery import (
    KEY_SOURCES,
    TEMPLATES,
    grid_prompts,
    grid_rates,
    keytoken_grid,
    recover,
    table_rates,
)
from .results import read_json, read_table, run_dir, write_json, write_jsonl, write_table
from .unlearn import parse_methods

SPLITS = ("forget", "retain", "utility")  # the splits T1 scores before and after unlearning
ANSWERS = ("gold", "greedy")  # the answer y that attribution scores
MC_SPANS = ("stem", "question")  # what of a multiple-choice prompt attribution ablates


@dataclass(frozen=True)
class Study:
    """What the stages of one benchmark share."""

    profile: Profile
    bench: Benchmark  # the profile's items (``n_per_split`` of every split)
    results_dir: Path  # run folders go under results_dir / profile.name
    cache_dir: Path | None  # model cache and stamps (None: .cache of the checkout)
    device: str

    def run_dir(self, method: str, seed: int) -> Path:
        """The run folder of ``method`` (``"target"`` for the target model) and ``seed``."""
        return run_dir(self.results_dir, self.profile.name, self.bench.name, method, seed)

    def target(self, seed: int) -> tuple[Path, dict]:
        """The target model's folder and training record (trained once)."""
        return ensure_target(
            self.profile, self.bench, seed=seed, device=self.device, cache_dir=self.cache_dir
        )

    def unlearned(self, method: str, seed: int, target_seed: int) -> tuple[Path, dict]:
        """The unlearned model's folder and record (unlearned once)."""
        return ensure_unlearned(
            self.profile,
            self.bench,
            method,
            self.target(target_seed)[0],
            seed=seed,
            device=self.device,
            cache_dir=self.cache_dir,
        )


def setup(
    profile: str,
    benchmark: str,
    *,
    model: str = "",
    results_dir: str | Path = "",
    cache_dir: str | Path = "",
    device: str = "auto",
) -> Study:
    """The :class:`Study` of one benchmark under one profile; empty folders mean the
    checkout's ``data/results`` and ``.cache``. Bad names raise a ParameterError."""
    prof = get_profile(profile, model=model)
    bench = load_benchmark(benchmark, source=prof.source).subset(prof.n_per_split)
    return Study(
        prof,
        bench,
        Path(results_dir) if results_dir else RESULTS_DIR,
        Path(cache_dir) if cache_dir else None,
        device,
    )


# --- target ------------------------------------------------------------------------------


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


# --- unlearning --------------------------------------------------------------------------


@dataclass
class UnlearningResult:
    """The unlearning stage's outputs."""

    methods: list[str]
    before: pd.DataFrame  # the target's answers to the T1 splits
    t1: pd.DataFrame  # one row per method (and "target"): scores, rates, seconds
    losses: dict[str, list[float]]  # method -> loss of every step
    items: dict[str, pd.DataFrame] = field(default_factory=dict)  # method -> per-item table


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
                model, tok, study.bench, SPLITS, tau=tau,
                batch_size=study.profile.generation_batch_size,
            )  # fmt: skip
        del model
    wanted = {(r["id"], s) for s in SPLITS for r in study.bench[s]}
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
                    model, tok, bench, SPLITS, tau=tau, batch_size=prof.generation_batch_size
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
        f"{s} score": before[before.split == s].correct.astype(bool).mean() for s in SPLITS
    }
    t1 = pd.DataFrame([{"method": "target", **target_row}, *rows]).set_index("method")
    return UnlearningResult(method_list, before, t1, losses, tables)


# --- attribution -------------------------------------------------------------------------


@dataclass
class AttributionResult:
    """The attribution stage's outputs."""

    methods: list[str]
    records: list[dict]  # the prompts attributed (forget, then retain, then utility)
    rows: list[dict]  # contribution rows (:func:`unpactlib.tracking.attribution_rows`)
    per_prompt: pd.DataFrame  # KeyToken tracking per prompt and method
    changes: pd.DataFrame  # contribution change per token and method
    summary: pd.DataFrame  # tracking summary per split and method (F3)
    compare: pd.DataFrame | None  # deletion against captum's methods (None: not run)


def _first(items: list[dict], n: int) -> list[dict]:
    return items[:n] if n > 0 else items


def _ablated(record: dict, mc_span: str) -> tuple[int, int] | None:
    """The span of ``record``'s question that attribution ablates: a multiple-choice
    question's stem when ``mc_span`` is ``"stem"``, else the whole question (None)."""
    return stem_span(record) if "choices" in record and mc_span == "stem" else None


def _attribute_once(
    study: Study,
    folder: Path,
    model_name: str,
    path: Path,
    load: Callable[[Path, str], tuple],
    prompts: list[dict],
    settings: dict[str, object],
    alpha: float,
    beta: int,
) -> list[dict]:
    """Contribution rows of ``prompts`` under the model in ``path`` (loaded by ``load``),
    computed once: read when done for the same key, or for the same settings over more
    prompts (then only these are read)."""
    key = keys.attribution_record(path.name, settings)
    name = "attribution_config.json"
    cache = study.cache_dir
    if not (
        records.stage_done(folder, name, key, cache)
        or records.stage_covers(folder, name, key, cache)
    ):
        start = time.perf_counter()
        model, tok = load(path, study.device)
        attrs = contributions(
            model,
            tok,
            prompts,
            answer=settings["answer"],
            span=lambda r: _ablated(r, settings["mc_span"]),
            token_budget=TOKEN_BUDGET,
            batch_size=study.profile.attribution_batch_size,
            desc=f"{study.bench.name}: {model_name}",
        )
        rows = tracking.attribution_rows(prompts, attrs, model_name, alpha, beta)
        write_jsonl(folder / "contributions.jsonl", rows)
        records.finish_stage(
            folder,
            name,
            key,
            files=["contributions.jsonl"],
            cache_dir=cache,
            seconds=round(time.perf_counter() - start, 1),
        )
    wanted = set(key["ids"])
    return [r for r in tracking.read_rows(folder / "contributions.jsonl") if r["id"] in wanted]


def _compare_attributions(
    study: Study, target: Path, target_seed: int, by: dict, n_compare: int, mc_span: str
) -> pd.DataFrame | None:
    """Deletion against captum's baseline replacement and integrated gradients on the first
    ``n_compare`` forget prompts under the target: Spearman's rho and whether the top token
    agrees (once per target and ``n_compare``; None when ``n_compare`` is 0)."""
    folder = study.run_dir("target", target_seed)
    compare_file = folder / "attribution_methods.csv"
    key = keys.compare_record(target.name, n_compare)
    if n_compare > 0 and not records.stage_done(
        folder, "attribution_methods.json", key, study.cache_dir
    ):
        model, tok = load_target(target, study.device)
        rows = []
        for r in study.bench.prompts("forget")[:n_compare]:
            ours = by[(r["id"], "original")]["scores"]
            for name, fn in [
                ("baseline replacement", captum_feature_ablation),
                ("integrated gradients", captum_integrated_gradients),
            ]:
                other = fn(model, tok, r["question"], r["answer"], span=_ablated(r, mc_span)).scores
                rho = spearmanr(ours, other).statistic if len(ours) > 2 else np.nan
                rows.append(
                    {
                        "id": r["id"],
                        "method": name,
                        "spearman": rho,
                        "same top token": int(np.argmax(ours)) == int(np.argmax(other)),
                    }
                )
        del model
        write_table(compare_file, pd.DataFrame(rows))
        records.finish_stage(
            folder,
            "attribution_methods.json",
            key,
            files=["attribution_methods.csv"],
            cache_dir=study.cache_dir,
        )
    if n_compare > 0 and compare_file.exists():
        return read_table(compare_file)
    return None


def run_attribution(
    study: Study,
    methods: str = "all",
    *,
    seed: int = 0,
    target_seed: int = 0,
    alpha: float = 0.5,
    beta: int = 3,
    answer: str = "gold",
    n_retain: int = 10,
    n_utility: int = 10,
    mc_span: str = "stem",
    n_compare: int = 3,
) -> AttributionResult:
    """Every token's contribution ``C(x_i, y)`` to the answer, under the target (``model``
    ``"original"``) and each unlearned model, on all forget prompts and the first
    ``n_retain`` retain and ``n_utility`` utility prompts (0: all); then the KeyToken
    tracking of each method against the target, and, for ``n_compare > 0``, deletion
    against captum's attribution methods on the first ``n_compare`` forget prompts.

    Writes ``contributions.jsonl`` into every run folder, and ``tracking_summary.csv``
    (``tracking_summary__s<seed>.csv`` for another unlearning seed) and
    ``attribution_methods.csv`` into the target's.
    """
    check_range("alpha", alpha, 0.0, 1.0)
    check_range("beta", beta, 1, 1000)
    check_choice("answer", answer, ANSWERS)
    check_choice("mc_span", mc_span, MC_SPANS)
    method_list = parse_methods(methods)
    bench = study.bench
    prompts = (
        bench.prompts("forget")
        + _first(bench.prompts("retain"), n_retain)
        + _first(bench["utility"], n_utility)
    )
    settings = {
        "alpha": alpha,
        "beta": beta,
        "answer": answer,
        "mc_span": mc_span,
        "ids": [r["id"] for r in prompts],
    }
    target, _ = study.target(target_seed)
    target_dir = study.run_dir("target", target_seed)

    once = (prompts, settings, alpha, beta)
    rows = _attribute_once(study, target_dir, "original", target, load_target, *once)
    for method in method_list:
        path, _ = study.unlearned(method, seed, target_seed)
        folder = study.run_dir(method, seed)
        rows += _attribute_once(study, folder, method, path, load_unlearned, *once)
    per_prompt = pd.concat(
        [tracking.prompt_tracking(rows, m).assign(method=m) for m in method_list],
        ignore_index=True,
    )
    changes = pd.concat(
        [tracking.token_changes(rows, m).assign(method=m) for m in method_list],
        ignore_index=True,
    )
    summary = pd.concat(
        [
            tracking.tracking_summary(per_prompt[per_prompt.method == m]).assign(method=m)
            for m in method_list
        ]
    ).reset_index()
    suffix = "" if seed == target_seed else f"__s{seed}"
    write_table(target_dir / f"tracking_summary{suffix}.csv", summary)
    by = {(r["id"], r["model"]): r for r in rows}
    compare = _compare_attributions(study, target, target_seed, by, n_compare, mc_span)
    return AttributionResult(method_list, prompts, rows, per_prompt, changes, summary, compare)


# --- recovery ----------------------------------------------------------------------------


@dataclass
class RecoveryResult:
    """The recovery stage's outputs."""

    methods: list[str]
    templates: list[str]
    alphas: list[float]  # the sensitivity grid's alpha values
    betas: list[int]  # and its beta values
    t2: pd.DataFrame  # one row per method, template and kind: counts, rate, interval, top-1
    tables: dict[str, pd.DataFrame]  # method -> per-item table of the first template
    grid: pd.DataFrame  # recovery rate per method, alpha, beta and kind


def _recover_method(
    study: Study,
    method: str,
    out: Path,
    *,
    seed: int,
    target_seed: int,
    template_list: list[str],
    key_source: str,
    alpha: float,
    beta: int,
    probab_alpha: float,
    probab_beta: int,
    alphas: list[float],
    betas: list[int],
    control_seed: int,
    tau: float,
    original_scores: dict[str, list[float]],
    n_tokens: dict[str, int],
    keytokens: dict[str, list[int]],
    original: list,
) -> None:
    """One method's recovery: every template's table, the alpha x beta grid of the first
    template, and the rates (``recovery.json``). ``original`` holds the target model once it
    is loaded (shared across methods)."""
    prof = study.profile
    forget = study.bench.prompts("forget")
    items = read_table(out / "items.csv")
    items = items[items.split == "forget"].set_index("id")
    known, kept = items.correct_before, items.correct_after
    lost = [r for r in forget if known[r["id"]] and not kept[r["id"]]]
    unlearned_scores = {
        r["id"]: tracking.question_scores(r, n_tokens[r["id"]])
        for r in tracking.read_rows(out / "contributions.jsonl")
        if r["split"] == "forget"
    }
    path, _ = study.unlearned(method, seed, target_seed)
    model, tok = load_unlearned(path, study.device)
    if not original:
        original.append(load_target(study.target(target_seed)[0], study.device)[0])
    memo: Answered = {}  # the unlearned model's answers, each prompt once
    with mixed_precision(prof.precision):
        rates = {}
        for k, template in enumerate(template_list):
            table, r = recover(
                model,
                tok,
                lost,
                keytokens,
                [True] * len(lost),
                [False] * len(lost),
                template=template,
                control_seed=control_seed,
                tau=tau,
                batch_size=prof.generation_batch_size,
                original=original[0] if k == 0 else None,
                key_source=key_source,
                unlearned_scores=unlearned_scores,
                alpha=alpha,
                beta=beta,
                probab_alpha=probab_alpha,
                probab_beta=probab_beta,
                memo=memo,
            )
            write_table(out / f"recovery__{template}.csv", table)
            top1 = table_rates(table, "top1")
            rates[template] = {
                kind: {**rate_record(rate), "top1": rate_record(top1[kind])}
                for kind, rate in r.items()
            }
        # sensitivity of FocusOnKey (first template) to alpha and beta
        questions = {r["id"]: encode_question(tok, r["question"]) for r in lost}
        grid = keytoken_grid({i: original_scores[i] for i in questions}, alphas, betas)
        gp = grid_prompts(questions, grid, template=template_list[0], control_seed=control_seed)
        by_id = {r["id"]: r for r in lost}
        answers = answer(
            model,
            tok,
            [by_id[i] for i, _ in gp.unique],
            [t for _, t in gp.unique],
            tau=tau,
            batch_size=prof.generation_batch_size,
            memo=memo,
        )
    del model
    hits = dict(zip(gp.unique, answers.correct))
    ones = {i: True for i in questions}
    zeros = {i: False for i in questions}
    grid_table = grid_rates(gp, hits, ones, zeros) if questions else pd.DataFrame()
    write_table(out / "recovery_grid.csv", grid_table)
    write_json(out / "recovery.json", {"lost": len(lost), "rates": rates})


def run_recovery(
    study: Study,
    methods: str = "all",
    *,
    seed: int = 0,
    target_seed: int = 0,
    templates: str = "key_line,key_bold,ask_twice",
    key_source: str = "original",
    alpha: float = 0.5,
    beta: int = 3,
    probab_alpha: float = 0.5,
    probab_beta: int = 3,
    grid_alphas: str = "0.2,0.5,0.8",
    grid_betas: str = "1,3,5",
    control_seed: int = 0,
    tau: float = 0.5,
) -> RecoveryResult:
    """Prompt-side recovery of every forget item the target knew and the unlearned model
    lost, per method: FocusOnKey with each of ``templates`` (``"all"`` or keys of
    :data:`unpactlib.recovery.TEMPLATES`) and its random control, ProbAb and both; the
    target answers the first template's prompts too; the sensitivity of FocusOnKey to the
    KeyToken rule over ``grid_alphas`` x ``grid_betas`` (comma-separated numbers).

    Needs the target stage's ``items.csv`` and the attribution stage's
    ``contributions.jsonl``. Writes ``recovery__<template>.csv``, ``recovery_grid.csv`` and
    ``recovery.json`` into each method's run folder.
    """
    check_range("tau", tau, 0.0, 1.0)
    check_range("alpha", alpha, 0.0, 1.0)
    check_range("beta", beta, 1, 1000)
    check_choice("key_source", key_source, KEY_SOURCES)
    method_list = parse_methods(methods)
    template_list = parse_choices("templates", templates, TEMPLATES)
    alphas = parse_numbers("grid_alphas", grid_alphas, float, 0.0, 1.0)
    betas = parse_numbers("grid_betas", grid_betas, int, 1, 1000)
    target_dir = study.run_dir("target", target_seed)
    for needed in ("items.csv", "contributions.jsonl"):
        if not (target_dir / needed).exists():
            raise FileNotFoundError(
                f"{target_dir / needed} is missing: run the target and attribution stages"
            )
    forget = study.bench.prompts("forget")
    tokenizer = load_tokenizer(study.target(target_seed)[0])
    n_tokens = {r["id"]: len(encode_question(tokenizer, r["question"]).ids) for r in forget}
    # scores over all question tokens (only the stem of an MC question may have been attributed)
    original_scores = {
        r["id"]: tracking.question_scores(r, n_tokens[r["id"]])
        for r in tracking.read_rows(target_dir / "contributions.jsonl")
        if r["split"] == "forget"
    }
    keytokens = {i: key_tokens(s, alpha, beta) for i, s in original_scores.items()}
    original: list = []  # the target model, loaded by the first method that needs it
    t2_rows, grid_tables, tables = [], [], {}
    for method in method_list:
        out = study.run_dir(method, seed)
        key = keys.recovery_record(
            templates=template_list,
            key_source=key_source,
            alpha=alpha,
            beta=beta,
            probab=[probab_alpha, probab_beta],
            grid=[alphas, betas],
            control_seed=control_seed,
            tau=tau,
            unlearned=read_json(out / "config.json")["key"],
        )
        if not records.stage_done(out, "recovery_config.json", key, study.cache_dir):
            start = time.perf_counter()
            _recover_method(
                study,
                method,
                out,
                seed=seed,
                target_seed=target_seed,
                template_list=template_list,
                key_source=key_source,
                alpha=alpha,
                beta=beta,
                probab_alpha=probab_alpha,
                probab_beta=probab_beta,
                alphas=alphas,
                betas=betas,
                control_seed=control_seed,
                tau=tau,
                original_scores=original_scores,
                n_tokens=n_tokens,
                keytokens=keytokens,
                original=original,
            )
            records.finish_stage(
                out,
                "recovery_config.json",
                key,
                files=[
                    *(f"recovery__{t}.csv" for t in template_list),
                    "recovery_grid.csv",
                    "recovery.json",
                ],
                cache_dir=study.cache_dir,
                seconds=round(time.perf_counter() - start, 1),
            )
        summary = read_json(out / "recovery.json")
        for template, by_kind in summary["rates"].items():
            for kind, rate in by_kind.items():
                t2_rows.append({"method": method, "template": template, "kind": kind, **rate})
        tables[method] = read_table(out / f"recovery__{template_list[0]}.csv")
        grid_tables.append(read_table(out / "recovery_grid.csv").assign(method=method))
    return RecoveryResult(
        method_list,
        template_list,
        alphas,
        betas,
        pd.DataFrame(t2_rows),
        tables,
        pd.concat(grid_tables, ignore_index=True),
    )


STAGES = {
    "target": run_target,
    "unlearning": run_unlearning,
    "attribution": run_attribution,
    "recovery": run_recovery,
}
