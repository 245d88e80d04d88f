"""The recovery stage: FocusOnKey and its control, ProbAb and its control, and both, on the
lost forget items (T2, F4), the target's answers to the same prompts (the positive control),
and FocusOnKey's sensitivity to alpha and beta."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .. import keys, records, tracking
from ..attribution import key_tokens
from ..cache import load_target, load_tokenizer, load_unlearned
from ..config import check_choice, check_range, parse_choices, parse_numbers
from ..evaluation import Answered, answer, rate_record
from ..models import mixed_precision
from ..prompting import encode_question
from ..recovery import (
    KEY_SOURCES,
    TEMPLATES,
    grid_prompts,
    grid_rates,
    keytoken_grid,
    recover,
    table_rates,
)
from ..results import read_json, read_table, write_json, write_table
from ..unlearn import parse_methods
from .study import Study


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
    original_memo: Answered,
) -> None:
    """One method's recovery: every template's table, the alpha x beta grid of the first
    template, and the rates (``recovery.json``). ``original`` holds the target model once it
    is loaded and ``original_memo`` its answers (both shared across methods); the target
    answers every template's prompts (the positive control)."""
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
        for template in template_list:
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
                original=original[0],
                original_memo=original_memo,
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
    :data:`unpactlib.recovery.TEMPLATES`) and its random control, ProbAb and its random
    control, and both; the target answers every template's prompts too (the positive
    control, columns ``original_correct_<kind>`` of every template's table); the
    sensitivity of FocusOnKey to the KeyToken rule over ``grid_alphas`` x ``grid_betas``
    (comma-separated numbers).

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
    original_memo: Answered = {}  # and its answers, each prompt once
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
                original_memo=original_memo,
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
