"""The model cache: target models and unlearned models, made once per key and kept on disk.

:func:`ensure_target` fine-tunes a target model once per key (:func:`unpactlib.keys.target_key`)
and :func:`ensure_unlearned` unlearns it once per method and key
(:func:`unpactlib.keys.unlearned_key`). A target is stored as a full model; an unlearned model
as a float16 delta to its target (:func:`weight_delta`). Folders are written with an atomic
rename, so an interrupted stage leaves nothing half-written and simply runs again. The cache
folder is ignored by git (``.cache/`` of the checkout by default).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

import torch
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM, AutoTokenizer, PreTrainedModel
from transformers import PreTrainedTokenizerBase as Tokenizer

from .benchmarks import TRAINED_SPLITS, Benchmark
from .config import Profile, check_choice
from .evaluation import answer_table
from .keys import code_digest, digest, method_settings, target_key, unlearned_key
from .metrics import accuracy
from .models import (
    WEIGHT_DTYPE,
    activation_checkpointing,
    load_model,
    mixed_precision,
    release_memory,
    resolve_device,
    save_atomic,
)
from .paths import default_cache_dir
from .prompting import chat_format
from .replay import REPLAY_QUESTIONS, replay_records
from .results import read_json, write_json
from .training import finetune_target
from .unlearn import get_method, unlearn

DELTA_FILE = "delta.safetensors"  # an unlearned model's weights: float16(theta - theta_target)
RECORD_FILE = "unpact.json"  # how the model was made (epochs, losses, settings, seconds)


def _complete(folder: Path) -> bool:
    weights = (folder / "model.safetensors").exists() or (folder / DELTA_FILE).exists()
    return weights and (folder / RECORD_FILE).exists()


@torch.no_grad()
def weight_delta(model: PreTrainedModel, base: PreTrainedModel) -> dict[str, torch.Tensor]:
    """How an unlearned model differs from its target, as stored: ``float16(theta - theta0)``
    for every parameter that changed (RMU changes three tensors, the others all of them).

    Half the size of a bfloat16 copy of the model, and the rounding error is relative to the
    (small) update, not to the weight.
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


def is_unlearned(folder: Path) -> bool:
    """True when ``folder`` holds an unlearned model (a delta to its target)."""
    return (Path(folder) / DELTA_FILE).exists()


def load_tokenizer(folder: Path) -> Tokenizer:
    """The tokenizer saved with a model by :func:`ensure_target` or :func:`ensure_unlearned`."""
    return AutoTokenizer.from_pretrained(folder)


def load_target(folder: Path, device: str = "auto") -> tuple[PreTrainedModel, Tokenizer]:
    """Load a target model saved by :func:`ensure_target` (float32 weights, eval mode).

    Raises:
        ValueError: ``folder`` holds an unlearned model (use :func:`load_unlearned`).
    """
    folder = Path(folder)
    if is_unlearned(folder):
        raise ValueError(f"{folder} holds an unlearned model: load it with load_unlearned")
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=WEIGHT_DTYPE)
    return model.to(resolve_device(device)).eval(), load_tokenizer(folder)


def load_unlearned(folder: Path, device: str = "auto") -> tuple[PreTrainedModel, Tokenizer]:
    """Load an unlearned model saved by :func:`ensure_unlearned`: its target's weights plus
    the stored delta.

    Raises:
        ValueError: ``folder`` holds no unlearned model.
    """
    folder = Path(folder)
    if not is_unlearned(folder):
        raise ValueError(f"{folder} holds no unlearned model ({DELTA_FILE} is missing)")
    record = read_json(folder / RECORD_FILE)
    target = folder.parent.parent / "targets" / record["target"]
    if not target.exists():  # a pretrained target (the paper profile): its hub id
        target = Path(record["target_source"])
    model, _ = load_target(target, device)
    apply_delta(model, load_file(str(folder / DELTA_FILE)))
    return model, load_tokenizer(folder)


@contextmanager
def _training(profile: Profile, model: PreTrainedModel) -> Iterator[None]:
    """Training in the profile's arithmetic (``precision``) and with its activation
    checkpointing."""
    with (
        mixed_precision(profile.precision, training=True),
        activation_checkpointing(model, profile.activation_checkpointing),
    ):
        yield


def is_main_process() -> bool:
    """False in the processes of a multi-process launch other than the first (``RANK``)."""
    return int(os.environ.get("RANK", "0")) == 0


# what the target's training checks score: the stop rule reads forget and retain; utility is
# recorded, to show what fine-tuning does to general knowledge along the way
CHECKED = ("forget", "retain", "utility")
# TargetConfig.corpus -> the splits whose corpus documents the target learns
CORPUS = {"forget": ("forget",), "trained": TRAINED_SPLITS}


def ensure_replay(
    profile: Profile, model: PreTrainedModel, tok: Tokenizer, cache: Path
) -> list[dict]:
    """The replay records of ``profile`` (:func:`unpactlib.replay.replay_records`, answered by
    ``model``, the untouched base model): ``target.replay`` everyday requests, then
    ``target.replay_questions`` general-knowledge questions. Computed once per base model,
    counts, precision and code, and kept in ``cache / "replay"``: every benchmark's target
    learns the same ones."""
    n, n_questions = profile.target.replay, profile.target.replay_questions
    if n == 0 and n_questions == 0:
        return []
    code = code_digest(("replay", "generation"))
    key = digest(code, profile.model, n, n_questions, profile.precision)
    path = cache / "replay" / f"{key}.json"
    if path.exists():
        return read_json(path)
    batch = profile.generation_batch_size
    with mixed_precision(profile.precision):
        records = replay_records(model, tok, n, batch_size=batch) + replay_records(
            model, tok, n_questions, batch_size=batch, prompts=REPLAY_QUESTIONS, name="question"
        )
    write_json(path, records)
    return records


def ensure_target(
    profile: Profile,
    bench: Benchmark,
    *,
    seed: int = 0,
    device: str = "auto",
    cache_dir: Path | str | None = None,
) -> tuple[Path, dict]:
    """Fine-tune (once) the target model on the items and corpus documents of ``bench``'s
    trained splits (:meth:`Benchmark.train_records`), and on ``profile.target.replay`` replay
    records (:func:`unpactlib.replay.replay_records`, the base model's own answers).

    Training stops at the first check where forget and retain accuracy (correct at
    ``profile.target.tau``) both reach ``profile.target.min_accuracy``; each check also
    records utility accuracy. A profile with
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
        return folder, read_json(folder / RECORD_FILE)
    model, tok = load_model(profile.model, device=device, seed=seed)
    replay = ensure_replay(profile, model, tok, cache)
    model.requires_grad_(True)

    def check(m: PreTrainedModel) -> dict[str, float]:
        batch = profile.generation_batch_size
        return {
            split: accuracy(
                answer_table(
                    m,
                    tok,
                    bench[split],
                    tau=profile.target.tau,
                    batch_size=batch,
                    mc_scoring=bench.mc_scoring(split),
                )["correct"]
            ).value
            for split in CHECKED
            if split in bench.splits
        }

    start = time.perf_counter()
    with _training(profile, model):  # the stop rule's checks answer in this arithmetic too
        history = finetune_target(
            model,
            tok,
            chat_format(tok),
            bench.train_records() + replay,
            profile.target,
            check,
            seed,
            texts=bench.corpus_texts(CORPUS[profile.target.corpus]),
        )
    record = {
        "epochs": history.epochs,
        "seconds": round(time.perf_counter() - start, 1),
        "epoch_loss": history.epoch_loss,
        "checks": history.checks,
        "replay": replay,
        "config": asdict(profile.target),
        "precision": profile.precision,
        "seed": seed,
    }
    release_memory()  # the optimiser's memory, before the weights are serialised
    save_atomic(model, tok, folder, extra={RECORD_FILE: record})
    del model
    release_memory()
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
    """Unlearn (once) ``bench``'s forget set from the target model with ``method``.

    The forget and retain sets are :meth:`Benchmark.unlearning_sets` (``forget`` and
    ``retain_train``: unlearning never sees the retain-eval items it is scored on),
    the settings ``profile.unlearn_config(bench.name, method)``.

    Returns:
        The model folder (a delta to ``target``) and its record (losses, settings, seconds).
    """
    get_method(method)
    cache = Path(cache_dir or default_cache_dir())
    forget, retain = bench.unlearning_sets()
    cfg = profile.unlearn_config(bench.name, method)
    settings = method_settings(cfg, method)
    key = unlearned_key(profile, bench, method, target.name, settings, seed)
    folder = cache / "unlearned" / f"{bench.name}-{method}-{profile.name}-{key}"
    if _complete(folder):
        return folder, read_json(folder / RECORD_FILE)
    model, tok = load_target(target, device)
    start = time.perf_counter()
    with _training(profile, model):
        losses = unlearn(model, tok, chat_format(tok), forget, retain, method, cfg, seed)
    release_memory()  # the optimiser's and the reference's memory, before the target is read
    # the target again, from disk: a copy kept through training would hold its memory too
    delta = compact_like_storage(model, load_target(target, device)[0])
    record = {
        "method": method,
        "seconds": round(time.perf_counter() - start, 1),
        "losses": losses,
        "config": asdict(cfg),
        "precision": profile.precision,
        "seed": seed,
        "target": target.name,
        "target_source": str(target),
    }
    if is_main_process():  # under accelerate launch, one process writes
        save_atomic(None, tok, folder, extra={RECORD_FILE: record}, tensors={DELTA_FILE: delta})
    del model
    release_memory()
    return folder, record
