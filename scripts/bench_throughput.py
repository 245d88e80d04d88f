"""Throughput against the CPU's peak: float32 matrix products, the target's training step and
scoring, in tokens per second and as a fraction of the measured matrix-product peak.

In one process and with one torch thread count (``--threads``) for everything, on the
embedded profile's model and the news benchmark as the study uses them (the profile's
``n_per_split`` items of every split):

* **matrix products**: ``torch.mm`` in float32 on square matrices (the best of their
  GFLOP/s is the *peak*) and on the products the model computes (its linear layers and LM
  head, as ``x @ W.T`` with ``W`` stored ``[out, in]``, and their two backward products) at
  the token counts of a QA batch, a text batch and a step of greedy decoding. A weight
  operand cycles through distinct copies in ``pool_mb`` of memory, so that it is read from
  memory as the model's own weights are (a decoding step reads all of them for a few rows);
  the squares reuse theirs;
* **scoring** (no gradients, in the profile's ``precision``): greedy answering of the news
  forget questions (:func:`unpactlib.greedy_answers`, ``generation_batch_size``),
  teacher-forced scoring of their gold answers (:func:`unpactlib.mean_logprob`, one prompt
  per call) and the attribution engine (:func:`unpactlib.contributions` with gold answers,
  as the attribution stage calls it). Tokens are the input positions of every forward pass,
  counted by a hook on the model;
* **training**: the target fine-tuning's step (``unpactlib.training``: :func:`nll` of a
  ``qa_batch`` or ``text_batch`` of ``TargetConfig.batch_size`` records, backward, then the
  fused :func:`adamw` step) inside ``unpactlib.cache._training`` (the profile's precision and
  activation checkpointing), on the first ``--steps`` batches of the first epoch in the order
  ``finetune_target`` draws them; and the same steps with activation checkpointing off.

FLOPs (attention scores and element-wise work are left out of both counts):

* *model FLOPs*: ``6 x (N_body + d x V)`` per token for a training step and
  ``2 x (N_body + d x V)`` per token for a forward pass, where ``N_body`` is the parameters
  that are neither the token embedding nor the LM head (the decoder layers and the final
  norm), ``d`` the hidden size and ``V`` the vocabulary (the LM head's ``d x V`` matrix;
  SmolLM2 ties it to the embedding, so ``N_body + d x V`` is the parameter count). Training
  rows count real (non-padding) tokens, or all tokens of the padded batch where the row says
  so; scoring rows count the positions fed to the model;
* *executed FLOPs*, what the matrix products really compute: ``(6 + 2 c / L) x N_body`` per
  position of the padded batch (``c`` of the ``L`` decoder layers recompute their forward
  pass under activation checkpointing) plus ``6 x d x V`` per position that goes through the
  LM head (training keeps only the positions whose next token is labelled); ``2 x N_body``
  per position plus ``2 x d x V`` per LM-head position in a forward pass.

Each matrix product and scoring run is warmed up once and timed ``--repeats`` times (the
median is kept); a matrix product is called again and again until ``--min-seconds`` have
passed and its time per call is kept. Training is warmed up by one step (which also allocates
the optimiser state), then every chosen step is timed ``--repeats`` times (medians summed).
Also reports the padding share (padded positions / all positions) of one whole epoch of
training batches. Prints the tables and writes them to
``data/results/bench/throughput_<device>.md`` and ``.json``. Usage::

    python scripts/bench_throughput.py [--threads 1] [--repeats 3] [--steps N] [--quick]
"""

from __future__ import annotations

import argparse
import itertools
import math
import os
import random
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd
import torch
from tabulate import tabulate
from transformers import PretrainedConfig, PreTrainedModel, PreTrainedTokenizerBase

import unpactlib
from unpactlib.attribution import TOKEN_BUDGET, contributions, mean_logprob
from unpactlib.benchmarks import Benchmark
from unpactlib.cache import CORPUS, _training
from unpactlib.config import Profile
from unpactlib.generation import greedy_answers
from unpactlib.models import mixed_precision
from unpactlib.paths import REPO_ROOT
from unpactlib.prompting import chat_format, encode_answer, prompt_ids
from unpactlib.results import environment, write_json, write_text_atomic
from unpactlib.training import IGNORE, adamw, batches, nll, qa_batch, text_batch, to_device

PROFILE = "embedded"
BENCHMARK = "news"
OUT = REPO_ROOT / "data" / "results" / "bench"
Batch = dict[str, torch.Tensor]


@dataclass(frozen=True)
class Settings:
    """How much work is timed. ``steps=None`` times one whole epoch of training batches and
    ``prompts=None`` all of the profile's news forget prompts."""

    repeats: int = 3
    steps: int | None = None
    squares: tuple[int, ...] = (1024, 2048)
    min_seconds: float = 0.2
    prompts: int | None = None
    compare_checkpointing: bool = True
    pool_mb: int = 256  # the model products' weights cycle through this much memory


KINDS = {"qa": "QA batches", "text": "text batches", "all": "all timed batches"}
QUICK = Settings(repeats=1, steps=2, squares=(128, 256), min_seconds=0.01, prompts=2, pool_mb=32)


# ---- FLOP and throughput arithmetic (pure functions) ----


def head_dim(config: PretrainedConfig) -> int:
    """The width of one attention head (``head_dim``, else hidden size / heads)."""
    return getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads


def body_params(config: PretrainedConfig) -> int:
    """Parameters of a Llama-shaped model that are neither the token embedding nor the LM head:
    per decoder layer the query, key, value and output projections (with their biases when
    ``attention_bias``), the gated MLP's three matrices (and biases when ``mlp_bias``) and two
    RMS norms; then the final norm."""
    d, inner = config.hidden_size, config.intermediate_size
    q = config.num_attention_heads * head_dim(config)
    kv = config.num_key_value_heads * head_dim(config)
    attention = d * q + 2 * d * kv + q * d
    if getattr(config, "attention_bias", False):
        attention += q + 2 * kv + d
    mlp = 3 * d * inner
    if getattr(config, "mlp_bias", False):
        mlp += 2 * inner + d
    return config.num_hidden_layers * (attention + mlp + 2 * d) + d


def head_params(config: PretrainedConfig) -> int:
    """The LM head's ``d x V`` weights (the embedding's, where they are tied)."""
    return config.hidden_size * config.vocab_size


def train_flops(config: PretrainedConfig, tokens: int) -> int:
    """Model FLOPs of a training step (forward and backward): ``6 x (N_body + d x V)`` per
    token."""
    return 6 * (body_params(config) + head_params(config)) * tokens


def forward_flops(config: PretrainedConfig, tokens: int) -> int:
    """Model FLOPs of a forward pass: ``2 x (N_body + d x V)`` per token."""
    return 2 * (body_params(config) + head_params(config)) * tokens


def checkpointed_layers(num_layers: int, every_n_layers: int) -> int:
    """How many decoder layers recompute their forward pass in the backward pass when every
    ``every_n_layers``-th one is checkpointed (transformers checkpoints the layers whose index
    is a multiple of it); 0 checkpoints none."""
    return 0 if every_n_layers == 0 else math.ceil(num_layers / every_n_layers)


def executed_train_flops(
    config: PretrainedConfig, positions: int, head_positions: int, recomputed_layers: int = 0
) -> float:
    """FLOPs the matrix products of a training step compute: ``(6 + 2 c / L) x N_body`` per
    position of the padded batch (``c`` recomputed layers of ``L``) plus ``6 x d x V`` per
    position through the LM head."""
    body = (6 + 2 * recomputed_layers / config.num_hidden_layers) * body_params(config)
    return body * positions + 6 * head_params(config) * head_positions


def executed_forward_flops(config: PretrainedConfig, positions: int, head_positions: int) -> int:
    """FLOPs the matrix products of forward passes compute: ``2 x N_body`` per position plus
    ``2 x d x V`` per position through the LM head."""
    return 2 * body_params(config) * positions + 2 * head_params(config) * head_positions


def mm_flops(m: int, k: int, n: int) -> int:
    """FLOPs of an ``[m, k] x [k, n]`` matrix product: ``2 m k n``."""
    return 2 * m * k * n


def per_second(amount: float, seconds: float) -> float:
    """``amount / seconds`` (tokens/s, FLOP/s); NaN when no time was measured."""
    return amount / seconds if seconds > 0 else math.nan


def fraction_of_peak(gflops: float, peak_gflops: float) -> float:
    """Achieved GFLOP/s as a fraction of the peak GFLOP/s."""
    return gflops / peak_gflops if peak_gflops > 0 else math.nan


def work_row(
    work: str,
    tokens: int | None,
    seconds: float,
    flops: float | None,
    peak_gflops: float,
    executed: float | None = None,
) -> dict[str, Any]:
    """One row of the throughput table: tokens/s, GFLOP/s (of ``flops``, model FLOPs), its
    fraction of the peak and the GFLOP/s of the ``executed`` FLOPs (None leaves a cell
    empty)."""
    gflops = per_second(flops, seconds) / 1e9 if flops is not None else None
    return {
        "work": work,
        "tokens": tokens,
        "seconds": seconds,
        "tokens/s": per_second(tokens, seconds) if tokens is not None else None,
        "GFLOP/s": gflops,
        "fraction of peak": fraction_of_peak(gflops, peak_gflops) if gflops is not None else None,
        "executed GFLOP/s": per_second(executed, seconds) / 1e9 if executed is not None else None,
    }


def real_tokens(batch: Batch) -> int:
    """Positions of a batch that hold a token (``attention_mask`` 1)."""
    return int(batch["attention_mask"].sum())


def all_tokens(batch: Batch) -> int:
    """Positions of a padded batch, padding included."""
    return batch["attention_mask"].numel()


def padding_share(work: Sequence[Batch]) -> float:
    """Padded positions / all positions over the batches."""
    total = sum(all_tokens(b) for b in work)
    return 1 - sum(real_tokens(b) for b in work) / total if total else math.nan


def sorted_padding_share(lengths: Sequence[int], batch_size: int) -> float:
    """The padding share if sequences of these lengths were batched in order of length
    (``batch_size`` at a time, each batch padded to its longest)."""
    ordered = sorted(lengths)
    chunks = [ordered[i : i + batch_size] for i in range(0, len(ordered), batch_size)]
    total = sum(max(c) * len(c) for c in chunks)
    return 1 - sum(ordered) / total if total else math.nan


def head_positions(batch: Batch) -> int:
    """Positions that go through the LM head in :func:`unpactlib.training.nll`: every row at
    each position whose next token is labelled in some row of the batch."""
    labelled = batch["labels"][:, 1:] != IGNORE
    return len(labelled) * int(labelled.any(0).sum())


def kept_positions(logits_to_keep: int | torch.Tensor, width: int) -> int:
    """Positions per row a forward pass sends through the LM head for its ``logits_to_keep``
    (0: all ``width``; an int ``k``: the last ``k``; a tensor: its indices)."""
    if isinstance(logits_to_keep, int):
        return width if logits_to_keep == 0 else min(logits_to_keep, width)
    return int(logits_to_keep.numel())


# ---- timing ----


def synchronizer(device: torch.device) -> Callable[[], None]:
    """A function that waits for the device's queued work (nothing to wait for on a CPU)."""
    if device.type == "cuda":
        return lambda: torch.cuda.synchronize(device)
    return lambda: None


def per_call_seconds(
    fn: Callable[[], object], min_seconds: float, sync: Callable[[], None]
) -> float:
    """Seconds per call of ``fn``, called until ``min_seconds`` have passed (at least once)."""
    calls, start = 0, time.perf_counter()
    while True:
        fn()
        sync()
        calls += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return elapsed / calls


def median_seconds(
    fn: Callable[[], object], repeats: int, min_seconds: float, sync: Callable[[], None]
) -> float:
    """Median of ``repeats`` :func:`per_call_seconds` after one warm-up call."""
    fn()
    sync()
    return statistics.median(per_call_seconds(fn, min_seconds, sync) for _ in range(repeats))


@dataclass(frozen=True)
class Product:
    """A matrix product ``A [m, k] x B [k, n]``; ``a_t`` / ``b_t``: the operand is the
    transposed view of a contiguous matrix (as ``x @ W.T`` takes the weight); ``weight``:
    ``B`` is a weight, read from memory at every call (see :func:`time_product`)."""

    name: str
    m: int
    k: int
    n: int
    a_t: bool = False
    b_t: bool = False
    weight: bool = False


def weight_copies(pool: torch.Tensor, shape: tuple[int, int]) -> list[torch.Tensor]:
    """Distinct ``shape`` views into ``pool``, as many as it holds (at least one)."""
    size = shape[0] * shape[1]
    if size > pool.numel():
        return [torch.randn(shape, device=pool.device)]
    return [pool[i * size : (i + 1) * size].view(shape) for i in range(pool.numel() // size)]


def time_product(
    p: Product, device: torch.device, repeats: int, min_seconds: float, pool: torch.Tensor
) -> float:
    """Median seconds of ``torch.mm`` on random float32 operands of the product's shape,
    writing into a preallocated output.

    A weight operand (``p.weight``) cycles through the distinct copies of it that ``pool``
    holds, so that, as in a model whose layers each have their own weights, it comes from
    memory rather than from the CPU's caches when the pool exceeds them. The other operands
    are the same at every call.
    """
    gen = torch.Generator().manual_seed(0)
    a = torch.randn((p.k, p.m) if p.a_t else (p.m, p.k), generator=gen).to(device)
    b_shape = (p.n, p.k) if p.b_t else (p.k, p.n)
    bs = weight_copies(pool, b_shape) if p.weight else [torch.randn(b_shape, generator=gen)]
    a = a.t() if p.a_t else a
    bs = [(b.t() if p.b_t else b).to(device) for b in bs]
    out = torch.empty((p.m, p.n), device=device)
    turn = itertools.count()

    def call() -> None:
        torch.mm(a, bs[next(turn) % len(bs)], out=out)

    return median_seconds(call, repeats, min_seconds, synchronizer(device))


LINEARS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
SAME_SHAPE = {"v_proj": "k_proj", "up_proj": "gate_proj"}  # timed once, as the other


def linear_shapes(config: PretrainedConfig) -> dict[str, tuple[int, int]]:
    """``(in, out)`` of each linear layer of a decoder layer, and of the LM head."""
    d, q = config.hidden_size, config.num_attention_heads * head_dim(config)
    kv, inner = config.num_key_value_heads * head_dim(config), config.intermediate_size
    shapes = dict(zip(LINEARS, [(d, q), (d, kv), (d, kv), (q, d), (d, inner), (d, inner)]))
    return shapes | {"down_proj": (inner, d), "lm_head": (d, config.vocab_size)}


def model_products(
    config: PretrainedConfig, tokens: int, head_tokens: int, label: str, backward: bool
) -> list[Product]:
    """The distinct matrix products of one pass over ``tokens`` positions (``head_tokens``
    through the LM head): ``y = x @ W.T`` per linear layer, and with ``backward`` its
    gradients ``dx = dy @ W`` and ``dW = dy.T @ x``."""
    out = []
    for name, (k, n) in linear_shapes(config).items():
        if name in SAME_SHAPE:
            continue
        m = head_tokens if name == "lm_head" else tokens
        out.append(Product(f"{label}: {name} forward", m, k, n, b_t=True, weight=True))
        if backward:
            out.append(Product(f"{label}: {name} grad input", m, n, k, weight=True))
            out.append(Product(f"{label}: {name} grad weight", n, m, k, a_t=True))
    return out


def step_product_seconds(
    config: PretrainedConfig, seconds: dict[str, float], label: str, recomputed: int
) -> float:
    """Seconds the matrix products of one training step take at the measured speeds in
    ``seconds`` (by product name): three products per linear layer in each decoder layer, the
    forward products again in ``recomputed`` layers, three for the LM head."""
    total = 0.0
    layers = config.num_hidden_layers
    for name in [*LINEARS, "lm_head"]:
        key = SAME_SHAPE.get(name, name)
        fwd = seconds[f"{label}: {key} forward"]
        three = fwd + seconds[f"{label}: {key} grad input"] + seconds[f"{label}: {key} grad weight"]
        total += three if name == "lm_head" else layers * three + recomputed * fwd
    return total


# ---- the model's work ----


@dataclass
class TokenCount:
    """What forward passes of a model were fed: calls, input positions, positions not masked
    as padding (where the mask is 2D; all positions otherwise) and LM-head positions."""

    calls: int = 0
    positions: int = 0
    real: int = 0
    head: int = 0


@contextmanager
def counting(model: PreTrainedModel) -> Iterator[TokenCount]:
    """Count the positions of every forward pass of ``model`` inside the block."""
    count = TokenCount()

    def hook(_module: torch.nn.Module, args: tuple, kwargs: dict) -> None:
        ids = kwargs.get("input_ids", args[0] if args else None)
        if ids is None:
            return
        rows, width = ids.shape
        mask = kwargs.get("attention_mask")
        plain = mask is not None and mask.dim() == 2 and mask.shape == ids.shape
        count.calls += 1
        count.positions += ids.numel()
        count.real += int(mask.sum()) if plain else ids.numel()
        count.head += rows * kept_positions(kwargs.get("logits_to_keep", 0), width)

    handle = model.register_forward_pre_hook(hook, with_kwargs=True)
    try:
        yield count
    finally:
        handle.remove()


def epoch_batches(
    tok: PreTrainedTokenizerBase,
    bench: Benchmark,
    batch_size: int,
    seed: int = 0,
    corpus: str = "forget",
) -> list[tuple[str, Batch]]:
    """The first epoch of the target's fine-tuning, as ``finetune_target`` builds it: QA
    batches then text batches (the documents ``TargetConfig.corpus`` names) drawn by
    ``random.Random(seed)``, shuffled together; each with its kind (``"qa"`` or ``"text"``).
    Replay records are left out (they depend on the base model's answers)."""
    rng = random.Random(seed)
    fmt = chat_format(tok)
    work = [("qa", qa_batch(tok, fmt, c)) for c in batches(bench.train_records(), batch_size, rng)]
    texts = list(bench.corpus_texts(CORPUS[corpus]))
    work += [("text", text_batch(tok, c)) for c in batches(texts, batch_size, rng)]
    rng.shuffle(work)
    return work


@dataclass
class StepTime:
    """One training step's batch and its median seconds."""

    kind: str
    positions: int
    real: int
    head: int
    forward_backward: float
    optimiser: float


def _step(
    model: PreTrainedModel, opt: torch.optim.Optimizer, batch: Batch, sync: Callable[[], None]
) -> tuple[float, float]:
    """One step of ``finetune_target``; returns the seconds of forward + backward and of the
    optimiser step (with ``zero_grad``)."""
    batch = to_device(batch, model.device)
    start = time.perf_counter()
    loss = nll(model, batch)
    loss.backward()
    sync()
    middle = time.perf_counter()
    opt.step()
    opt.zero_grad(set_to_none=True)
    sync()
    end = time.perf_counter()
    loss.item()
    return middle - start, end - middle


def time_training(
    model: PreTrainedModel,
    profile: Profile,
    steps: Sequence[tuple[str, Batch]],
    repeats: int,
) -> list[StepTime]:
    """Median seconds of each training step on ``steps`` (after one warm-up step on the
    first), inside the profile's training context. The model's weights change."""
    sync = synchronizer(model.device)
    model.requires_grad_(True)
    cfg = profile.target
    opt = adamw(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    times: list[list[tuple[float, float]]] = [[] for _ in steps]
    with _training(profile, model):
        model.train()
        try:
            _step(model, opt, steps[0][1], sync)
            for _ in range(repeats):
                for i, (_, batch) in enumerate(steps):
                    times[i].append(_step(model, opt, batch, sync))
        finally:
            model.eval()
    return [
        StepTime(
            kind,
            all_tokens(batch),
            real_tokens(batch),
            head_positions(batch),
            statistics.median(t[0] for t in ts),
            statistics.median(t[1] for t in ts),
        )
        for (kind, batch), ts in zip(steps, times)
    ]


def training_rows(
    config: PretrainedConfig,
    times: Sequence[StepTime],
    recomputed: int,
    peak: float,
    label: str = "training step",
    split: bool = True,
) -> list[dict[str, Any]]:
    """Rows of the timed steps, by kind and together: all positions of the padded batches
    and real tokens; with ``split`` also forward + backward and the optimiser step alone."""
    rows = []
    kinds = sorted({t.kind for t in times})
    for kind in [*kinds, "all"] if (split and len(kinds) > 1) else ["all"]:
        part = [t for t in times if kind in ("all", t.kind)]
        seconds = sum(t.forward_backward + t.optimiser for t in part)
        positions, real = sum(t.positions for t in part), sum(t.real for t in part)
        executed = executed_train_flops(config, positions, sum(t.head for t in part), recomputed)
        name = f"{label}, {KINDS[kind]}"
        rows.append(
            work_row(
                f"{name} (all tokens)",
                positions,
                seconds,
                train_flops(config, positions),
                peak,
                executed,
            )
        )
        rows.append(
            work_row(
                f"{name} (real tokens)", real, seconds, train_flops(config, real), peak, executed
            )
        )
    if split:
        real = sum(t.real for t in times)
        fb = sum(t.forward_backward for t in times)
        executed = executed_train_flops(
            config, sum(t.positions for t in times), sum(t.head for t in times), recomputed
        )
        rows.append(
            work_row(
                f"{label}: forward + backward only (real tokens)",
                real,
                fb,
                train_flops(config, real),
                peak,
                executed,
            )
        )
        rows.append(
            work_row(
                f"{label}: optimiser step only (AdamW fused + zero_grad)",
                None,
                sum(t.optimiser for t in times),
                None,
                peak,
            )
        )
    return rows


def time_scoring(
    model: PreTrainedModel, fn: Callable[[], object], repeats: int
) -> tuple[float, TokenCount]:
    """Median seconds of ``repeats`` calls of ``fn()`` after one warm-up call, and what the
    warm-up call fed the model."""
    with counting(model) as count:
        fn()
    sync = synchronizer(model.device)
    return statistics.median(per_call_seconds(fn, 0.0, sync) for _ in range(repeats)), count


def scoring_row(
    config: PretrainedConfig, work: str, seconds: float, count: TokenCount, peak: float
) -> dict[str, Any]:
    """A scoring row: positions fed to the model, model and executed forward FLOPs."""
    return work_row(
        work,
        count.positions,
        seconds,
        forward_flops(config, count.positions),
        peak,
        executed_forward_flops(config, count.positions, count.head),
    )


# ---- the whole measurement ----


@dataclass
class Result:
    """Everything measured: the throughput rows, the matrix products and a summary."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    products: list[dict[str, Any]] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)


def measure(
    model: PreTrainedModel,
    tok: PreTrainedTokenizerBase,
    profile: Profile,
    bench: Benchmark,
    settings: Settings,
) -> Result:
    """Run every measurement (module docstring) on ``model`` with the current torch thread
    count. Scoring runs before training, which changes the weights."""
    config, device = model.config, model.device
    result = Result()
    model.eval()

    # the training batches of one epoch, and the token counts of their products
    bs = profile.target.batch_size
    epoch = epoch_batches(tok, bench, bs, corpus=profile.target.corpus)
    chosen = [epoch[i % len(epoch)] for i in range(settings.steps or len(epoch))]
    fmt = chat_format(tok)
    prompts = bench.prompts("forget")[: settings.prompts]
    questions = [r["question"] for r in prompts]
    shapes: dict[str, tuple[int, int]] = {}
    for kind in ("qa", "text"):
        of_kind = [b for k, b in epoch if k == kind]
        if of_kind:
            middle = sorted(of_kind, key=all_tokens)[len(of_kind) // 2]
            shapes[f"{kind} batch"] = (all_tokens(middle), head_positions(middle))
    rows_per_step = min(profile.generation_batch_size, len(questions))
    shapes["decode step"] = (rows_per_step, rows_per_step)

    # matrix products: the peak, then the model's
    products = [Product(f"square {n}", n, n, n) for n in settings.squares]
    for label, (tokens, head) in shapes.items():
        products += model_products(config, tokens, head, label, backward=label != "decode step")
    pool = torch.randn(settings.pool_mb * 2**20 // 4, generator=torch.Generator().manual_seed(1))
    pool = pool.to(device)
    seconds: dict[str, float] = {}
    for p in products:
        seconds[p.name] = time_product(p, device, settings.repeats, settings.min_seconds, pool)
    del pool
    gflops = {p.name: per_second(mm_flops(p.m, p.k, p.n), seconds[p.name]) / 1e9 for p in products}
    peak = max(gflops[f"square {n}"] for n in settings.squares)
    result.products = [
        {
            "product": p.name,
            "m": p.m,
            "k": p.k,
            "n": p.n,
            "seconds": seconds[p.name],
            "GFLOP/s": gflops[p.name],
            "fraction of peak": fraction_of_peak(gflops[p.name], peak),
        }
        for p in products
    ]

    # scoring, before training changes the weights
    def answer() -> object:
        with mixed_precision(profile.precision):
            return greedy_answers(
                model,
                tok,
                questions,
                fmt=fmt,
                batch_size=profile.generation_batch_size,
                progress=False,
            )

    pairs = [
        (prompt_ids(fmt, tok(r["question"], add_special_tokens=False)["input_ids"]), r["answer"])
        for r in prompts
    ]

    def score() -> object:
        return [mean_logprob(model, [p], encode_answer(tok, a)) for p, a in pairs]

    def attribute() -> object:
        return contributions(
            model,
            tok,
            prompts,
            answer="gold",
            fmt=fmt,
            token_budget=TOKEN_BUDGET,
            batch_size=profile.attribution_batch_size,
            progress=False,
        )

    scoring = {
        f"greedy answering, {len(questions)} questions (batch {profile.generation_batch_size})": (
            answer
        ),
        f"teacher-forced scoring, {len(pairs)} gold answers (mean_logprob)": score,
        f"attribution engine, {len(prompts)} prompts (contributions, gold)": attribute,
    }
    counts: dict[str, TokenCount] = {}
    scoring_rows = []
    for work, fn in scoring.items():
        secs, counts[work] = time_scoring(model, fn, settings.repeats)
        scoring_rows.append(scoring_row(config, work, secs, counts[work], peak))

    # training, with the profile's activation checkpointing and without
    recomputed = checkpointed_layers(config.num_hidden_layers, profile.activation_checkpointing)
    times = time_training(model, profile, chosen, settings.repeats)
    result.rows = training_rows(config, times, recomputed, peak)
    off: list[StepTime] = []
    if settings.compare_checkpointing and profile.activation_checkpointing:
        off = time_training(
            model, replace(profile, activation_checkpointing=0), chosen, settings.repeats
        )
        result.rows += training_rows(
            config, off, 0, peak, "training step, activation checkpointing off", split=False
        )
    result.rows += scoring_rows

    # the summary: padding, the matrix products of a step against its measured time
    qa = [b for k, b in epoch if k == "qa"]
    text = [b for k, b in epoch if k == "text"]
    lengths = {
        kind: [int(n) for b in group for n in b["attention_mask"].sum(1)]
        for kind, group in (("qa", qa), ("text", text))
    }
    summary: dict[str, Any] = {
        "peak GFLOP/s (float32 mm, best square)": peak,
        "epoch: QA batches": len(qa),
        "epoch: text batches": len(text),
        "epoch: padding share, QA batches": padding_share(qa),
        "epoch: padding share, text batches": padding_share(text),
        "epoch: padding share, all batches": padding_share([b for _, b in epoch]),
        "epoch: padding share if batched by length, QA": sorted_padding_share(lengths["qa"], bs),
        "epoch: padding share if batched by length, text": sorted_padding_share(
            lengths["text"], bs
        ),
        "timed steps": len(times),
    }
    for kind in ("qa", "text"):
        label = f"{kind} batch"
        steps_of_kind = [t for t in times if t.kind == kind]
        if label not in shapes or not steps_of_kind:
            continue
        positions = shapes[label][0]
        near = min(steps_of_kind, key=lambda t: abs(t.positions - positions))
        summary[f"{kind} step: positions, of the products / of the timed step"] = (
            f"{positions} / {near.positions}"
        )
        summary[f"{kind} step: matrix products at measured speeds (s)"] = step_product_seconds(
            config, seconds, label, recomputed
        )
        summary[f"{kind} step: forward + backward measured (s)"] = near.forward_backward
        summary[f"{kind} step: optimiser step measured (s)"] = near.optimiser
    total = sum(t.forward_backward + t.optimiser for t in times)
    summary["optimiser share of the training time"] = (
        sum(t.optimiser for t in times) / total if total else math.nan
    )
    if off:
        total_off = sum(t.forward_backward + t.optimiser for t in off)
        summary["training time, checkpointing on / off"] = total / total_off
    answer_count = counts[next(iter(scoring))]
    summary["greedy answering: forward calls"] = answer_count.calls
    summary["greedy answering: real positions / all"] = (
        answer_count.real / answer_count.positions if answer_count.positions else math.nan
    )
    result.summary = summary
    return result


# ---- output ----


def report(result: Result, header: dict[str, str]) -> str:
    """The markdown page: a note, the throughput table, the matrix products, the summary."""
    lines = [
        "# Throughput against the CPU's float32 matrix-product peak",
        "",
        *[f"- {k}: {v}" for k, v in header.items()],
        "",
        tabulate(result.rows, headers="keys", tablefmt="pipe", floatfmt=".3g", missingval=""),
        "",
        "## Matrix products (torch.mm, float32)",
        "",
        pd.DataFrame(result.products).to_markdown(index=False, floatfmt=".3g"),
        "",
        "## Summary",
        "",
        "| summary | value |",
        "|---|---|",
    ]
    for k, v in result.summary.items():
        lines.append(f"| {k} | {v:.3g} |" if isinstance(v, float) else f"| {k} | {v} |")
    return "\n".join(lines) + "\n"


def header(
    model: PreTrainedModel, profile: Profile, threads: int, env: dict[str, str]
) -> dict[str, str]:
    """The note above the tables: what ran, where, and how the FLOPs are counted."""
    config = model.config
    n_params = sum(p.numel() for p in model.parameters())
    return {
        "model": (
            f"{profile.model} ({type(model).__name__}, {n_params:,} parameters, "
            f"N_body = {body_params(config):,}, d x V = {head_params(config):,})"
        ),
        "threads": str(threads),
        "cpu": env["cpu"],
        "device": env["device"],
        "precision": profile.precision,
        "activation checkpointing": f"every {profile.activation_checkpointing} layer(s)",
        "kernels": (
            f"ATEN_CPU_CAPABILITY={os.environ.get('ATEN_CPU_CAPABILITY', '')!r}, "
            f"MKL_CBWR={os.environ.get('MKL_CBWR', '')!r}"
        ),
        "model FLOPs": (
            "training 6 x (N_body + d x V) per token (real tokens, or all tokens of the padded "
            "batch where the row says so); forward 2 x (N_body + d x V) per position fed; "
            "N_body = parameters other than the embedding and the LM head (tied in SmolLM2)"
        ),
        "executed FLOPs": (
            "(6 + 2 c / L) x N_body per padded position (c of L layers recompute under "
            "activation checkpointing) + 6 x d x V per LM-head position; forward: "
            "2 x N_body per position + 2 x d x V per LM-head position; attention scores and "
            "element-wise work not counted"
        ),
        "peak": "best GFLOP/s of torch.mm on the square sizes (median of the repeats)",
    }


def write_outputs(
    text: str, payload: dict[str, Any], device: str, out: Path = OUT
) -> tuple[Path, Path]:
    """Write the page and its data to ``out/throughput_<device>.md`` and ``.json``."""
    md = write_text_atomic(out / f"throughput_{device}.md", text)
    js = write_json(out / f"throughput_{device}.json", payload)
    return md, js


def main() -> None:
    """Parse the options, load the embedded model and the news benchmark, measure, write."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--threads", type=int, default=1, help="torch threads for everything")
    parser.add_argument("--repeats", type=int, help="timed runs of each (median); default 3")
    parser.add_argument("--steps", type=int, help="training steps timed; default one epoch")
    parser.add_argument(
        "--min-seconds", type=float, help="least time per matrix-product timing; default 0.2"
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes: check that it runs")
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--out", type=Path, default=OUT, help="folder of the .md and .json")
    args = parser.parse_args()
    settings = QUICK if args.quick else Settings()
    for name in ("repeats", "steps", "min_seconds"):
        if getattr(args, name) is not None:
            settings = replace(settings, **{name: getattr(args, name)})
    torch.set_num_threads(args.threads)

    profile = unpactlib.get_profile(PROFILE)
    model, tok = unpactlib.load_model(profile.model, device=args.device)
    bench = unpactlib.load_benchmark(BENCHMARK, source=profile.source).subset(profile.n_per_split)
    result = measure(model, tok, profile, bench, settings)
    env = environment()
    note = header(model, profile, torch.get_num_threads(), env)
    text = report(result, note)
    print(text)
    device = "cpu" if model.device.type == "cpu" else "cuda"
    write_outputs(
        text,
        {
            "rows": result.rows,
            "products": result.products,
            "summary": result.summary,
            "note": note,
            "settings": asdict(settings),
            "threads": torch.get_num_threads(),
            "environment": env,
        },
        device,
        args.out,
    )


if __name__ == "__main__":
    main()
