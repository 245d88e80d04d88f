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
import os
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import pandas as pd
import torch
from safetensors.torch import load_file
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    PreTrainedModel,
    PreTrainedTokenizerBase,
)

from .attribution import TOKEN_BUDGET, Attribution, SpanChoice, contributions, key_tokens
from .benchmarks import Benchmark
from .config import ParameterError, Profile, check_choice
from .generation import greedy_answers, greedy_continuations
from .metrics import (
    Rate,
    accuracy,
    destructive_rate,
    forget_efficacy,
    is_correct,
    mean_rouge_l_f1,
    rouge_l_f1,
    rouge_l_recall,
)
from .models import (
    WEIGHT_DTYPE,
    activation_checkpointing,
    load_model,
    mixed_precision,
    release_memory,
    resolve_device,
    save_atomic,
)
from .multiple_choice import LETTERS, mc_correct, mc_scores
from .paths import default_cache_dir
from .prompting import chat_format, encode_question, token_words
from .recovery import (
    KEY_SOURCES,
    TEMPLATES,
    Answered,
    answer_prompts,
    item_prompts,
    probab_tokens,
    table_rates,
    user_message,
)
from .results import environment, read_json, write_json
from .training import finetune_target
from .unlearn import config_key, get_method, unlearn

PROVENANCE = "provenance.json"  # a stage's wall time and software: the one file runs differ in


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes (hex)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def stamp_folder(cache_dir: Path | str | None = None) -> Path:
    """Where this machine's stamps of finished stages live: a stage that did work (rather than
    find its results done) leaves a new or rewritten stamp there."""
    return Path(cache_dir or default_cache_dir()) / "stages"


def _stamp(folder: Path, name: str, cache_dir: Path | str | None) -> Path:
    """This machine's note that it finished the stage recorded in ``folder/name``."""
    where = str((Path(folder) / name).resolve())
    digest = hashlib.sha256(where.encode()).hexdigest()[:20]
    return stamp_folder(cache_dir) / f"{digest}.json"


def stage_done(folder: Path, name: str, key: dict, cache_dir: Path | str | None = None) -> bool:
    """True when the stage recorded in ``folder/name`` is finished, for the same inputs, on
    this machine, and its result files are intact.

    A stage counts as done only when all of these hold (else it runs again and overwrites):

    * its record (written last by :func:`finish_stage`) parses and holds the same ``key``;
    * every result file the record lists exists with the SHA-256 it had when the stage ended,
      so a truncated, damaged or half-copied file is recomputed, never read as data;
    * the cache folder holds this machine's stamp of that very record. Results committed to
      git carry no stamp, so a fresh clone recomputes them (``make reproduce`` reproduces),
      and a second run on the same machine skips them.
    """
    try:
        record = read_json(Path(folder) / name)
        if record.get("key") != json.loads(json.dumps(key, default=str)):
            return False
        files = record["files"]
        if not files or any(file_digest(Path(folder) / f) != digest for f, digest in files.items()):
            return False
        stamp = read_json(_stamp(folder, name, cache_dir))
        return stamp["record"] == file_digest(Path(folder) / name)
    except (OSError, ValueError, AttributeError, KeyError, TypeError):
        return False


def stage_covers(
    folder: Path, name: str, key: dict, cache_dir: Path | str | None = None, field: str = "ids"
) -> bool:
    """True when the stage recorded in ``folder/name`` is done (:func:`stage_done`) for inputs
    that equal ``key`` except that their list ``field`` holds every item of ``key[field]``
    and maybe more: a run over a subset of the items can read those results instead of
    computing them again (and overwriting the larger set)."""
    try:
        stored = read_json(Path(folder) / name)["key"]
        wanted = json.loads(json.dumps(key, default=str))
        return (
            {**stored, field: wanted[field]} == wanted
            and set(map(str, wanted[field])) <= set(map(str, stored[field]))
            and stage_done(folder, name, stored, cache_dir)
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False


def finish_stage(
    folder: Path,
    name: str,
    key: dict,
    files: Sequence[str],
    cache_dir: Path | str | None = None,
    seconds: float | None = None,
    **extra: object,
) -> None:
    """Close a stage: write its record, then this machine's stamp of it.

    Call it after every result file is written. The record holds the input ``key``, the
    SHA-256 of each of ``files`` (names in ``folder``) and ``extra``; it changes only when the
    results do, so two runs of the same code write identical records. What does differ
    between runs (``seconds`` of wall time, versions, device, git revision) goes to
    ``provenance.json`` beside it.
    """
    folder = Path(folder)
    digests = {f: file_digest(folder / f) for f in sorted(files)}
    provenance = read_json(folder / PROVENANCE) if (folder / PROVENANCE).exists() else {}
    stage = Path(name).stem
    provenance[stage] = {"environment": environment(), "seconds": seconds}
    write_json(folder / PROVENANCE, provenance)
    write_json(folder / name, {"key": key, "files": digests, **extra})
    stamp = {"record": file_digest(folder / name), "results": folder.name}
    write_json(_stamp(folder, name, cache_dir), stamp)


def stage_seconds(folder: Path, name: str) -> float | None:
    """The wall time :func:`finish_stage` noted for the stage recorded in ``folder/name``."""
    try:
        return read_json(Path(folder) / PROVENANCE)[Path(name).stem]["seconds"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def rate_record(rate: Rate, confidence: float = 0.95) -> dict[str, object]:
    """A rate as stored in results: counts, value, bootstrap interval, and a short text."""
    low, high = rate.ci(confidence)
    text = f"{rate.numerator}/{rate.denominator}"
    if rate.denominator:
        text += f" = {100 * rate.value:.0f} % [{100 * low:.0f}, {100 * high:.0f}]"
    return {
        "numerator": rate.numerator,
        "denominator": rate.denominator,
        "value": rate.value if rate.denominator else None,
        "ci_low": low if rate.denominator else None,
        "ci_high": high if rate.denominator else None,
        "text": text,
    }


def _key(*parts: object) -> str:
    blob = json.dumps(parts, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:12]


DELTA_FILE = "delta.safetensors"


def _complete(folder: Path) -> bool:
    weights = (folder / "model.safetensors").exists() or (folder / DELTA_FILE).exists()
    return weights and (folder / "unpact.json").exists()


@torch.no_grad()
def weight_delta(model: PreTrainedModel, base: PreTrainedModel) -> dict[str, torch.Tensor]:
    """How an unlearned model differs from its target, as stored: ``float16(theta - theta0)``
    for every parameter that changed (RMU changes three tensors, the others all of them).

    Half the size of a bfloat16 copy of the model and far more precise: the rounding error is
    relative to the (small) update, not to the weight.
    """
    base_params = dict(base.named_parameters())
    delta = {}
    for name, p in model.named_parameters():
        d = p.detach().float() - base_params[name].detach().float()
        if torch.any(d != 0):
            delta[name] = d.half()
    return delta


@torch.no_grad()
def apply_delta(model: PreTrainedModel, delta: dict[str, torch.Tensor]) -> None:
    """Add a stored :func:`weight_delta` to ``model``'s weights (the target's), in place."""
    params = dict(model.named_parameters())
    for name, d in delta.items():
        p = params[name]
        p.copy_((p.float() + d.to(p.device, torch.float32)).to(p.dtype))


def compact_like_storage(model: PreTrainedModel, base: PreTrainedModel) -> dict[str, torch.Tensor]:
    """Round ``model`` to exactly what loading its stored delta gives: ``base + delta``.

    Called before an unlearned model is scored, so a model scored fresh and the same model
    loaded from the cache give identical results. Returns the delta.
    """
    delta = weight_delta(model, base)
    with torch.no_grad():
        base_params = dict(base.named_parameters())
        for name, p in model.named_parameters():
            p.copy_(base_params[name])
    apply_delta(model, delta)
    return delta


def _load_saved(folder: Path, device: str) -> PreTrainedModel:
    dev = resolve_device(device)
    if (folder / DELTA_FILE).exists():
        # an unlearned model: its target's weights plus the stored delta
        record = read_json(folder / "unpact.json")
        target = folder.parent.parent / "targets" / record["target"]
        if not target.exists():  # a pretrained target (the paper profile): its hub id
            target = Path(record["target_source"])
        model = _load_saved(target, device)
        apply_delta(model, load_file(str(folder / DELTA_FILE)))
        return model
    return AutoModelForCausalLM.from_pretrained(folder, dtype=WEIGHT_DTYPE).to(dev).eval()


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


def answer_table_splits(
    model: PreTrainedModel,
    tok: PreTrainedTokenizerBase,
    bench: Benchmark,
    splits: Sequence[str],
    tau: float = 0.5,
    batch_size: int = 16,
) -> pd.DataFrame:
    """:func:`answer_table` of several splits of ``bench``, each scored its own way."""
    return pd.concat(
        [
            answer_table(
                model, tok, bench[s], tau=tau, batch_size=batch_size, mc_scoring=bench.mc_scoring(s)
            )
            for s in splits
        ],
        ignore_index=True,
    )


def unlearning_metrics(items: pd.DataFrame) -> dict[str, object]:
    """T1's numbers from a table with ``split``, ``correct_before`` and ``correct_after``:
    accuracy per split before and after, forget efficacy, and the destructive rate on the
    retain split and on the utility split (each with its counts)."""
    out: dict[str, object] = {}
    for split in items.split.unique():
        part = items[items.split == split]
        out[f"{split} score before"] = float(part.correct_before.mean())
        out[f"{split} score"] = float(part.correct_after.mean())
    rates = {
        "forget efficacy": ("forget", forget_efficacy),
        "destructive rate": ("retain", destructive_rate),
        "utility destructive rate": ("utility", destructive_rate),
    }
    for name, (split, rate) in rates.items():
        part = items[items.split == split]
        if len(part):
            r = rate(part.correct_before.tolist(), part.correct_after.tolist())
            out[name] = r.value
            out[f"{name} counts"] = [r.numerator, r.denominator]
    return out


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


# Bumped whenever the training code changes what a cached target model would be
# (3: logits at labelled positions only and fused AdamW; float32 weights on CUDA too).
RECIPE = 3
# The same for unlearned models (3: stored as a float16 delta to the target; 4: as RECIPE 3).
UNLEARN_RECIPE = 4


def target_key(profile: Profile, bench: Benchmark, seed: int) -> str:
    """Cache key of a target model: base model, training data, settings, seed, recipe."""
    data = [bench.train_records(), bench.corpus_texts()]
    return _key(RECIPE, profile.model, data, asdict(profile.target), profile.precision, seed)


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
    ``profile.target.tau``) both reach ``profile.target.min_accuracy``. A profile with
    ``target_models`` (``paper``) names the target itself: it is returned as is, untrained.

    Returns:
        The model folder and its training record (epochs, losses, checks of the stop rule).
    """
    if profile.target_models is not None:  # the target exists already (paper profile)
        check_choice("benchmark", bench.name, profile.target_models)
        source = profile.target_models[bench.name]
        return Path(source), {"pretrained": source, "epochs": 0, "seed": seed}
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
    with (
        mixed_precision(profile.precision, training=True),  # with the stop rule's checks
        activation_checkpointing(model, profile.activation_checkpointing),
    ):
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
        "precision": profile.precision,
        "seed": seed,
    }
    release_memory()  # the optimiser's memory, before the weights are serialised
    save_atomic(model, tok, folder, extra={"unpact.json": record})
    del model
    release_memory()  # the notebook goes on to answer with other models
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
    cfg = profile.unlearn_config(bench.name, method)
    settings = config_key(cfg, method)
    precision = profile.precision
    key = _key(UNLEARN_RECIPE, target.name, method, settings, forget, retain, precision, seed)
    folder = cache / "unlearned" / f"{bench.name}-{method}-{profile.name}-{key}"
    if _complete(folder):
        return folder, read_json(folder / "unpact.json")
    model, tok = load_target(target, device)
    start = time.perf_counter()
    with (
        mixed_precision(precision, training=True),
        activation_checkpointing(model, profile.activation_checkpointing),
    ):
        losses = unlearn(model, tok, chat_format(tok), forget, retain, method, cfg, seed)
    release_memory()  # the optimiser's and the reference's memory, before the target is read
    # the target again, from disk: a copy kept through training would hold its memory too
    delta = compact_like_storage(model, load_target(target, device)[0])
    record = {
        "method": method,
        "seconds": round(time.perf_counter() - start, 1),
        "losses": losses,
        "config": asdict(cfg),
        "precision": precision,
        "seed": seed,
        "target": target.name,
        "target_source": str(target),
    }
    if is_main_process():  # under accelerate launch, one process writes
        save_atomic(None, tok, folder, extra={"unpact.json": record}, tensors={DELTA_FILE: delta})
    del model
    release_memory()  # the notebook goes on to answer with the model loaded from disk
    return folder, record


def is_main_process() -> bool:
    """False in the processes of a multi-process launch other than the first (``RANK``)."""
    return int(os.environ.get("RANK", "0")) == 0


def load_tokenizer(folder: Path) -> PreTrainedTokenizerBase:
    """The tokenizer saved with a model by :func:`ensure_target` or :func:`ensure_unlearned`."""
    return AutoTokenizer.from_pretrained(folder)


def load_target(
    folder: Path, device: str = "auto"
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """Load a model saved by :func:`ensure_target` or :func:`ensure_unlearned`."""
    return _load_saved(folder, device), load_tokenizer(folder)


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
    """Flat, JSON-ready rows: one per (record, model), with tokens, scores and KeyTokens.

    ``keys`` index ``tokens``; ``positions`` give each token's index among the question's
    tokens (they differ when only part of the question was attributable, e.g. an MC stem).
    """
    return [
        {
            "id": r["id"],
            "split": r["split"],
            "model": model_name,
            "tokens": a.tokens,
            "positions": list(a.positions),
            "scores": [round(float(s), 6) for s in a.scores],
            "lp_full": round(a.lp_full, 6),
            "keys": key_tokens(a.scores, alpha, beta),
        }
        for r, a in zip(records, attrs)
    ]


def question_scores(row: dict, n_tokens: int) -> list[float]:
    """A row's scores laid out over all ``n_tokens`` question tokens (NaN where a token was
    not attributable, so it is never a KeyToken nor deleted by ProbAb)."""
    full = [float("nan")] * n_tokens
    for p, score in zip(row.get("positions") or range(len(row["scores"])), row["scores"]):
        full[p] = score
    return full


def recovery(
    model: PreTrainedModel,
    tok: PreTrainedTokenizerBase,
    forget: Sequence[dict],
    keys: dict[str, list[int]] | None,
    correct_before: Sequence[bool],
    correct_after: Sequence[bool],
    *,
    template: str = "key_line",
    control_seed: int = 0,
    tau: float = 0.5,
    batch_size: int = 16,
    original: PreTrainedModel | None = None,
    key_source: str = "original",
    unlearned_scores: dict[str, Sequence[float]] | None = None,
    alpha: float = 0.5,
    beta: int = 3,
    probab_alpha: float = 0.5,
    probab_beta: int = 3,
    probab_max: int | None = None,
    memo: Answered | None = None,
) -> tuple[pd.DataFrame, dict[str, Rate]]:
    """Prompt-side recovery of the forget items, answered by ``model`` (weights untouched).

    Kinds of prompt (:mod:`unpactlib.recovery`): ``FocusOnKey`` and its random ``control``
    always; ``ProbAb`` (our reading) and ``both`` when ``unlearned_scores`` is given.

    Args:
        model: the unlearned model.
        forget: the forget items as prompt/answer pairs (``bench.prompts("forget")``; a raw
            multiple-choice record also works, see :func:`unpactlib.recovery.user_message`).
        keys: the original model's KeyTokens per item id (indices into the tokens of the
            record's ``question``); unused, and may be None, when ``key_source="unlearned"``.
        correct_before, correct_after: correctness of each forget item under the target and
            the unlearned model (same order as ``forget``).
        template: key of :data:`unpactlib.recovery.TEMPLATES`.
        control_seed: the control of item ``k`` uses seed ``control_seed + k``.
        tau: ROUGE-L recall at or above which a QA answer is correct.
        original: when given, the rewritten prompts are also answered by this model (the
            target before unlearning), columns ``original_correct_<kind>``: a check that the
            rewriting itself does not stop a model that knows the answer from giving it.
        key_source: ``"original"`` (STUDY.md's default) emphasises ``keys``; ``"unlearned"``
            emphasises the unlearned model's KeyTokens, ``key_tokens(unlearned_scores[id],
            alpha, beta)``.
        unlearned_scores: contributions of each item's question tokens under the unlearned
            model, per id (the caller runs the attribution); needed by ProbAb and by
            ``key_source="unlearned"``.
        alpha, beta: the KeyToken rule, used only with ``key_source="unlearned"``.
        probab_alpha, probab_beta, probab_max: ProbAb's deletion rule
            (:func:`unpactlib.recovery.probab_tokens`).
        memo: answers of ``model`` already given, kept across calls (same model and ``tau``;
            :func:`unpactlib.recovery.answer_prompts`).

    Returns:
        One row per forget item (KeyTokens, ProbAb's deleted tokens, and per kind the user
        message sent, the answer, ``correct_<kind>`` and ``top1_<kind>``) and the recovery
        rate of each kind (:class:`~unpactlib.metrics.Rate`, with ``.ci()``); top-1 return
        rates come from ``unpactlib.recovery.table_rates(table, "top1")``.
    """
    check_choice("template", template, TEMPLATES)
    check_choice("key_source", key_source, KEY_SOURCES)
    if key_source == "unlearned" and unlearned_scores is None:
        raise ParameterError("key_source='unlearned' needs unlearned_scores")
    if key_source == "original" and keys is None:
        raise ParameterError("key_source='original' needs keys (the original KeyTokens)")
    rows, prompts = [], []
    for k, r in enumerate(forget):
        q = encode_question(tok, r["question"])
        deleted = None
        if unlearned_scores is not None:
            scores = unlearned_scores[r["id"]]
            if len(scores) != len(q.ids):
                raise ValueError(
                    f"item {r['id']}: {len(scores)} unlearned scores for {len(q.ids)} tokens"
                )
            deleted = probab_tokens(scores, probab_alpha, probab_beta, probab_max)
        item_keys = keys[r["id"]] if key_source == "original" else key_tokens(scores, alpha, beta)
        by_kind = item_prompts(
            q, item_keys, template=template, control_seed=control_seed + k, deleted=deleted
        )
        prompts.append(by_kind)
        rows.append(
            {
                "id": r["id"],
                "question": r["question"],
                "answer": r["answer"],
                "correct_before": bool(correct_before[k]),
                "correct_after": bool(correct_after[k]),
                "keys": item_keys,
                "key_words": token_words(q, item_keys),
                "deleted": deleted,
                "deleted_tokens": None
                if deleted is None
                else [tok.decode([q.ids[i]]) for i in deleted],
            }
        )
    columns = ["id", "question", "answer", "correct_before", "correct_after", "keys"]
    columns += ["key_words", "deleted", "deleted_tokens"]
    table = pd.DataFrame(rows, columns=columns)
    kinds = list(prompts[0]) if prompts else ["FocusOnKey", "control"]
    every = [(r, p[kind]) for kind in kinds for r, p in zip(forget, prompts)]
    asked = ([r for r, _ in every], [t for _, t in every])  # every kind in one call
    answers = answer_prompts(model, tok, *asked, tau=tau, batch_size=batch_size, memo=memo)
    if original is not None:
        on_original = answer_prompts(original, tok, *asked, tau=tau, batch_size=batch_size)
    for j, kind in enumerate(kinds):
        texts = [p[kind] for p in prompts]
        part = slice(j * len(forget), (j + 1) * len(forget))
        table[f"prompt_{kind}"] = [user_message(r, t) for r, t in zip(forget, texts)]
        table[f"prediction_{kind}"] = answers["prediction"].iloc[part].tolist()
        table[f"correct_{kind}"] = answers["correct"].iloc[part].tolist()
        table[f"top1_{kind}"] = answers["top1"].iloc[part].tolist()
        if original is not None:
            table[f"original_correct_{kind}"] = on_original["correct"].iloc[part].tolist()
    return table, table_rates(table, "correct")
