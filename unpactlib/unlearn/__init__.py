"""Unlearning methods, chosen by name from :data:`METHODS`, and the shared training loop.

Each method lives in its own module that defines ``loss(model, reference, forget, retain,
cfg)``; :func:`unlearn` runs any of them.
"""

from __future__ import annotations

import copy
import itertools
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from tqdm import tqdm
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from ..config import UnlearnConfig, check_choice
from ..prompting import ChatFormat
from ..training import batches, qa_batch, to_device
from . import npo_gdr

LossFn = Callable[..., torch.Tensor]


@dataclass(frozen=True)
class Method:
    """An unlearning method: its loss, and whether it needs a frozen reference copy."""

    name: str
    loss: LossFn
    needs_reference: bool


METHODS: dict[str, Method] = {
    "npo_gdr": Method("npo_gdr", npo_gdr.loss, needs_reference=True),
}


def get_method(name: str) -> Method:
    """The method registered as ``name``; a ParameterError lists the registered ones."""
    check_choice("method", name, METHODS)
    return METHODS[name]


def unlearn(
    model: PreTrainedModel,
    tok: PreTrainedTokenizerBase,
    fmt: ChatFormat,
    forget: Sequence[dict],
    retain: Sequence[dict],
    method: str,
    cfg: UnlearnConfig,
    seed: int = 0,
) -> list[float]:
    """Unlearn ``forget`` from ``model`` in place; return the loss of every step.

    One epoch walks the forget set in shuffled batches; each forget batch is paired with the
    next retain batch (the retain set is cycled).
    """
    m = get_method(method)
    torch.manual_seed(seed)
    rng = random.Random(seed)
    reference = None
    if m.needs_reference:
        reference = copy.deepcopy(model).eval()
        reference.requires_grad_(False)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr)
    retain_batches = itertools.cycle(list(batches(retain, cfg.batch_size, rng)))
    steps = cfg.epochs * -(-len(forget) // cfg.batch_size)
    losses: list[float] = []
    model.train()
    with tqdm(total=steps, desc=f"unlearning ({method})", unit="step") as bar:
        for _ in range(cfg.epochs):
            for chunk in batches(forget, cfg.batch_size, rng):
                f = to_device(qa_batch(tok, fmt, chunk), model.device)
                r = to_device(qa_batch(tok, fmt, next(retain_batches)), model.device)
                loss = m.loss(model, reference, f, r, cfg)
                loss.backward()
                opt.step()
                opt.zero_grad(set_to_none=True)
                losses.append(loss.item())
                bar.set_postfix(loss=f"{losses[-1]:.3f}")
                bar.update()
    model.eval()
    return losses
