"""The attribution stage: every prompt token's contribution under the target and each
unlearned model, KeyToken tracking (F2, F3), and deletion against captum's methods."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from .. import keys, records, tracking
from ..attribution import TOKEN_BUDGET, contributions, stem_span
from ..attribution_captum import captum_feature_ablation, captum_integrated_gradients
from ..cache import load_target, load_unlearned
from ..config import check_choice, check_range
from ..results import read_table, write_jsonl, write_table
from ..unlearn import parse_methods
from .study import ANSWERS, MC_SPANS, Study


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


def spread(items: list[dict], n: int) -> list[dict]:
    """``n`` of ``items`` (all when ``n`` is 0) spread over their documents: the first item
    of every document in order, then the second of every document, and so on, so a sample
    covers as many documents (``doc_id``; an item without one is its own) as it can."""
    if n <= 0 or n >= len(items):
        return items
    rank: dict[str, int] = {}
    order = []
    for k, r in enumerate(items):
        doc = r.get("doc_id", r["id"])
        order.append((rank.get(doc, 0), k))
        rank[doc] = rank.get(doc, 0) + 1
    return [items[k] for _, k in sorted(order)[:n]]


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
    prompts (then only these are read).

    When the folder holds an intact larger set for the same settings that this machine did
    not compute (results committed to git, a fresh cache), these prompts are computed and
    returned but not written: a run over fewer prompts, such as another seed's, never
    replaces or alters the set a fuller run wrote.
    """
    key = keys.attribution_record(path.name, settings)
    name = "attribution_config.json"
    cache = study.cache_dir
    table = folder / "contributions.jsonl"
    wanted = set(key["ids"])
    if records.stage_covers(folder, name, key, cache):
        return [r for r in tracking.read_rows(table) if r["id"] in wanted]
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
    if records.superset_record(folder, name, key) is None:
        write_jsonl(table, rows)
        records.finish_stage(
            folder,
            name,
            key,
            files=["contributions.jsonl"],
            cache_dir=cache,
            seconds=round(time.perf_counter() - start, 1),
        )
    return rows


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
    n_retain: int = 16,
    n_utility: int = 16,
    mc_span: str = "stem",
    n_compare: int = 3,
) -> AttributionResult:
    """Every token's contribution ``C(x_i, y)`` to the answer, under the target (``model``
    ``"original"``) and each unlearned model, on all forget prompts and ``n_retain`` retain
    and ``n_utility`` utility prompts (0: all), spread over their documents (:func:`spread`);
    then the KeyToken
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
        + spread(bench.prompts("retain"), n_retain)
        + spread(bench["utility"], n_utility)
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
