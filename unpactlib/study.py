"""The study's stages, each cached by a key of its inputs.

``ensure_target`` fine-tunes the target model once per (base model, data, settings, seed);
``ensure_unlearned`` unlearns it once per method and settings. Models are saved under the
cache folder (ignored by git) with an atomic rename, so an interrupted stage leaves nothing
half-written and simply runs again. The notebooks call these functions and the scoring helpers
below; the results they write live in ``data/results``.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import pandas as pd
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    PreTrainedModel,
    PreTrainedTokenizerBase,
)

from .attribution import TOKEN_BUDGET, Attribution, SpanChoice, contributions, key_tokens
from .benchmarks import Benchmark
from .config import Profile
from .generation import greedy_answers, greedy_continuations
from .metrics import (
    Rate,
    accuracy,
    is_correct,
    mean_rouge_l_f1,
    recovery_rate,
    rouge_l_f1,
    rouge_l_recall,
)
from .models import default_dtype, load_model, resolve_device, save_atomic
from .multiple_choice import LETTERS, mc_correct, mc_scores
from .paths import default_cache_dir
from .prompting import chat_format, encode_question
from .recovery import focus_on_key, random_control
from .results import read_json
from .training import finetune_target
from .unlearn import config_key, get_method, unlearn


def _key(*parts: object) -> str:
    blob = json.dumps(parts, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:12]


def _complete(folder: Path) -> bool:
    return (folder / "model.safetensors").exists() and (folder / "unpact.json").exists()


def _load_saved(folder: Path, device: str) -> PreTrainedModel:
    dev = resolve_device(device)
    return AutoModelForCausalLM.from_pretrained(folder, dtype=default_dtype(dev)).to(dev).eval()


def answer_table(
    model: PreTrainedModel,
    tok: PreTrainedTokenizerBase,
    records: Sequence[dict],
    *,
    tau: float = 0.5,
    batch_size: int = 16,
    mc_scoring: str = "letter",
) -> pd.DataFrame:
    """The model's answer to every record and whether it is correct, one row each.

    QA records: greedy answer, correct when its ROUGE-L recall is at least ``tau``.
    Multiple-choice records: the option of highest score under ``mc_scoring`` (``letter`` or
    ``cloze``, see :mod:`unpactlib.multiple_choice`), shown as its letter, correct when it is
    the gold option (``rouge_recall`` is empty for them).
    """
    mc = [i for i, r in enumerate(records) if "choices" in r]
    qa = [i for i, r in enumerate(records) if "choices" not in r]
    prediction: dict[int, str] = {}
    correct: dict[int, bool] = {}
    recall: dict[int, float] = {}
    f1: dict[int, float] = {}
    if qa:
        answers = greedy_answers(
            model, tok, [records[i]["question"] for i in qa], batch_size=batch_size
        )
        for i, a in zip(qa, answers):
            prediction[i], recall[i] = a, rouge_l_recall(a, records[i]["answer"])
            f1[i] = rouge_l_f1(a, records[i]["answer"])
            correct[i] = is_correct(a, records[i]["answer"], tau)
    if mc:
        chosen = [records[i] for i in mc]
        logp = mc_scores(model, tok, chosen, mc_scoring, batch_size=batch_size)
        ok = mc_correct(logp, [r["answer_index"] for r in chosen])
        for i, row, good in zip(mc, logp, ok):
            pick = int(row.argmax())
            prediction[i] = f"{LETTERS[pick]}. {records[i]['choices'][pick]}"
            correct[i] = good
    return pd.DataFrame(
        [
            {
                "id": r["id"],
                "split": r["split"],
                "question": r["question"],
                "answer": r["answer"],
                "prediction": prediction[i],
                "rouge_recall": recall.get(i, float("nan")),
                "rouge_f1": f1.get(i, float("nan")),
                "correct": correct[i],
            }
            for i, r in enumerate(records)
        ]
    )


def verbmem_table(
    model: PreTrainedModel,
    tok: PreTrainedTokenizerBase,
    records: Sequence[dict],
    *,
    batch_size: int = 16,
) -> pd.DataFrame:
    """Greedy continuations of VerbMem prompts (raw text) with their ROUGE-L F1, one row each.

    The continuation is cut to as many words as the reference before scoring.
    """
    outs = greedy_continuations(model, tok, [r["prompt"] for r in records], batch_size=batch_size)
    rows = []
    for r, o in zip(records, outs):
        cut = " ".join(o.split()[: len(r["continuation"].split())])
        rows.append(
            {
                "id": r["id"],
                "split": r["split"],
                "prompt": r["prompt"],
                "continuation": r["continuation"],
                "prediction": cut,
                "rouge_f1": rouge_l_f1(cut, r["continuation"]),
            }
        )
    return pd.DataFrame(rows)


def evaluate(
    model: PreTrainedModel,
    tok: PreTrainedTokenizerBase,
    bench: Benchmark,
    *,
    tau: float = 0.5,
    batch_size: int = 16,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, float]]:
    """Score a model on every split of ``bench`` and on its VerbMem prompts.

    Returns:
        The per-item answer table (all splits), the VerbMem table, and a summary:
        accuracy per split, KnowMem (mean ROUGE-L F1 of QA answers) on forget and retain,
        VerbMem (mean ROUGE-L F1 of continuations) where the benchmark has prompts.
    """
    items = pd.concat(
        [
            answer_table(
                model, tok, bench[s], tau=tau, batch_size=batch_size, mc_scoring=bench.mc_scoring(s)
            )
            for s in bench.splits
        ],
        ignore_index=True,
    )
    verb = (
        verbmem_table(model, tok, bench.verbmem, batch_size=batch_size)
        if bench.verbmem
        else pd.DataFrame()
    )
    summary = {
        f"{s}": accuracy(items[items.split == s]["correct"].tolist()).value for s in bench.splits
    }
    for s in ("forget", "retain"):
        part = items[(items.split == s) & items.rouge_f1.notna()]
        if len(part):
            summary[f"knowmem_{s}"] = float(part.rouge_f1.mean())
    if len(verb):
        summary["verbmem"] = mean_rouge_l_f1(verb.prediction.tolist(), verb.continuation.tolist())
    return items, verb, summary


# Bumped whenever the training code changes what a cached model would be.
RECIPE = 2


def target_key(profile: Profile, bench: Benchmark, seed: int) -> str:
    """Cache key of a target model: base model, training data, settings, seed, recipe."""
    data = [bench.train_records(), bench.corpus_texts()]
    return _key(RECIPE, profile.model, data, asdict(profile.target), seed)


def ensure_target(
    profile: Profile,
    bench: Benchmark,
    *,
    seed: int = 0,
    device: str = "auto",
    cache_dir: Path | str | None = None,
) -> tuple[Path, dict]:
    """Fine-tune (once) the target model on ``bench``'s forget + retain items and corpus.

    Training stops at the first check where forget and retain accuracy (correct at
    ``profile.target.tau``) both reach ``profile.target.min_accuracy``.

    Returns:
        The model folder and its training record (epochs, losses, checks of the stop rule).
    """
    cache = Path(cache_dir or default_cache_dir())
    folder = cache / "targets" / f"{bench.name}-{profile.name}-{target_key(profile, bench, seed)}"
    if _complete(folder):
        return folder, read_json(folder / "unpact.json")
    model, tok = load_model(profile.model, device=device, seed=seed)
    model.requires_grad_(True)
    fmt = chat_format(tok)

    def check(m: PreTrainedModel) -> dict[str, float]:
        return {
            split: accuracy(
                answer_table(
                    m,
                    tok,
                    bench[split],
                    tau=profile.target.tau,
                    batch_size=profile.generation_batch_size,
                )["correct"]
            ).value
            for split in ("forget", "retain")
        }

    start = time.perf_counter()
    history = finetune_target(
        model,
        tok,
        fmt,
        bench.train_records(),
        profile.target,
        check,
        seed,
        texts=bench.corpus_texts(),
    )
    record = {
        "epochs": history.epochs,
        "seconds": round(time.perf_counter() - start, 1),
        "epoch_loss": history.epoch_loss,
        "checks": history.checks,
        "config": asdict(profile.target),
        "seed": seed,
    }
    save_atomic(model, tok, folder, extra={"unpact.json": record})
    return folder, record


def ensure_unlearned(
    profile: Profile,
    bench: Benchmark,
    method: str,
    target: Path,
    *,
    seed: int = 0,
    device: str = "auto",
    cache_dir: Path | str | None = None,
) -> tuple[Path, dict]:
    """Unlearn (once) ``bench``'s forget set from the target model with ``method``."""
    get_method(method)
    cache = Path(cache_dir or default_cache_dir())
    forget, retain = bench.prompts("forget"), bench.prompts("retain")
    # config_key leaves out other methods' settings, so adding or tuning them keeps this key
    settings = config_key(profile.unlearn, method)
    key = _key(RECIPE, target.name, method, settings, forget, retain, seed)
    folder = cache / "unlearned" / f"{bench.name}-{method}-{profile.name}-{key}"
    if _complete(folder):
        return folder, read_json(folder / "unpact.json")
    model, tok = load_target(target, device)
    start = time.perf_counter()
    losses = unlearn(
        model,
        tok,
        chat_format(tok),
        forget,
        retain,
        method,
        profile.unlearn,
        seed,
    )
    record = {
        "method": method,
        "seconds": round(time.perf_counter() - start, 1),
        "losses": losses,
        "config": asdict(profile.unlearn),
        "seed": seed,
        "target": target.name,
    }
    save_atomic(model, tok, folder, extra={"unpact.json": record})
    return folder, record


def load_target(
    folder: Path, device: str = "auto"
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """Load a model saved by :func:`ensure_target` or :func:`ensure_unlearned`."""
    tok = AutoTokenizer.from_pretrained(folder)
    return _load_saved(folder, device), tok


def attribute(
    model: PreTrainedModel,
    tok: PreTrainedTokenizerBase,
    records: Sequence[dict],
    *,
    batch_size: int = 16,
    desc: str = "attributing",
    answer: str = "gold",
    span: SpanChoice = "question",
    token_budget: int = TOKEN_BUDGET,
) -> list[Attribution]:
    """:func:`contributions` of every record's question to its answer (the gold one by
    default), with a progress bar. ``batch_size`` only serves models the engine does not
    support (sliding-window or flash attention)."""
    return contributions(
        model,
        tok,
        records,
        answer=answer,
        span=span,
        token_budget=token_budget,
        batch_size=batch_size,
        desc=desc,
    )


def attribution_rows(
    records: Sequence[dict], attrs: Sequence[Attribution], model_name: str, alpha: float, beta: int
) -> list[dict]:
    """Flat, JSON-ready rows: one per (record, model), with tokens, scores and KeyTokens."""
    return [
        {
            "id": r["id"],
            "split": r["split"],
            "model": model_name,
            "tokens": a.tokens,
            "scores": [round(float(s), 6) for s in a.scores],
            "lp_full": round(a.lp_full, 6),
            "keys": key_tokens(a.scores, alpha, beta),
        }
        for r, a in zip(records, attrs)
    ]


def recovery(
    model: PreTrainedModel,
    tok: PreTrainedTokenizerBase,
    forget: Sequence[dict],
    keys: dict[str, list[int]],
    correct_before: Sequence[bool],
    correct_after: Sequence[bool],
    *,
    template: str = "key_line",
    control_seed: int = 0,
    tau: float = 0.5,
    batch_size: int = 16,
    original: PreTrainedModel | None = None,
) -> tuple[pd.DataFrame, dict[str, Rate]]:
    """FocusOnKey and its random control on the forget items, answered by ``model``.

    Args:
        model: the unlearned model (its weights are not changed).
        keys: the original model's KeyTokens per item id.
        correct_before, correct_after: correctness of each forget item under the target and
            the unlearned model (same order as ``forget``).
        template: key of :data:`unpactlib.recovery.TEMPLATES`.
        control_seed: the control of item ``k`` uses seed ``control_seed + k``.
        original: when given, the rewritten prompts are also answered by this model (the
            target before unlearning), columns ``original_correct_<kind>``: a check that the
            rewriting itself does not stop a model that knows the answer from giving it.

    Returns:
        One row per forget item (rewritten prompts, answers, correctness) and the recovery rate
        of each prompt kind (``FocusOnKey``, ``control``).
    """
    prompts: dict[str, list[str]] = {"FocusOnKey": [], "control": []}
    for k, r in enumerate(forget):
        q = encode_question(tok, r["question"])
        prompts["FocusOnKey"].append(focus_on_key(q, keys[r["id"]], template))
        prompts["control"].append(random_control(q, keys[r["id"]], template, seed=control_seed + k))
    table = pd.DataFrame(
        {
            "id": [r["id"] for r in forget],
            "question": [r["question"] for r in forget],
            "answer": [r["answer"] for r in forget],
            "correct_before": list(correct_before),
            "correct_after": list(correct_after),
        }
    )
    rates = {}
    for name, qs in prompts.items():
        answers = answer_table(
            model,
            tok,
            [dict(r, question=p) for r, p in zip(forget, qs)],
            tau=tau,
            batch_size=batch_size,
        )
        table[f"prompt_{name}"] = qs
        table[f"prediction_{name}"] = answers["prediction"]
        table[f"correct_{name}"] = answers["correct"]
        rates[name] = recovery_rate(correct_before, correct_after, answers["correct"].tolist())
        if original is not None:
            table[f"original_correct_{name}"] = answer_table(
                original,
                tok,
                [dict(r, question=p) for r, p in zip(forget, qs)],
                tau=tau,
                batch_size=batch_size,
            )["correct"]
    return table, rates
