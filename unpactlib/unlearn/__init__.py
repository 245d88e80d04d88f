"""Unlearning methods, chosen by name from :data:`METHODS`, and the entry point :func:`unlearn`.

A method lives in its own module. Most define a per-step ``loss(model, reference, forget,
retain, cfg)`` that the shared loop (:func:`.loop.train`) minimises, ``reference`` being the
outputs of the model before unlearning that the loss compares with
(:class:`.losses.Reference`); a method whose procedure is not a per-step loss (``tv``,
``rmu``) defines ``run(model, tok, fmt, forget, retain, cfg, seed)`` instead, which
:func:`unlearn` calls in place of the shared loop.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from ..config import UnlearnConfig, check_choice, parse_choices
from ..prompting import ChatFormat
from . import ga_gdr, ga_klr, npo_gdr, npo_klr, rmu, tv
from .loop import train
from .losses import Reference

LossFn = Callable[..., torch.Tensor]
RunFn = Callable[..., list[float]]


@dataclass(frozen=True)
class Method:
    """An unlearning method.

    Attributes:
        name: its key in :data:`METHODS`.
        loss: per-step loss ``loss(model, reference, forget_batch, retain_batch, cfg)`` for
            the shared loop (None when ``run`` is given).
        reference: which outputs of the model before unlearning the loss reads from its
            :class:`.losses.Reference`: ``"forget"`` (log-likelihood of each forget sequence,
            for NPO) and / or ``"retain"`` (next-token distributions on retain answers, for
            the KL). They are recorded before the first step.
        run: the method's own procedure ``run(model, tok, fmt, forget, retain, cfg, seed)``,
            which unlearns in place and returns its step losses (None when ``loss`` is given).
        config_fields: the :class:`UnlearnConfig` fields only this method reads (its own
            hyper-parameters); see :func:`unpactlib.keys.method_settings`.
    """

    name: str
    loss: LossFn | None = None
    reference: tuple[str, ...] = ()
    run: RunFn | None = None
    config_fields: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if (self.loss is None) == (self.run is None):
            raise ValueError(f"method {self.name!r}: give exactly one of loss and run")
        if not set(self.reference) <= {"forget", "retain"}:
            raise ValueError(f"method {self.name!r}: reference outputs are 'forget', 'retain'")


METHODS: dict[str, Method] = {
    "ga_gdr": Method("ga_gdr", ga_gdr.loss),
    "ga_klr": Method("ga_klr", ga_klr.loss, reference=("retain",)),
    "npo_gdr": Method("npo_gdr", npo_gdr.loss, reference=("forget",)),
    "npo_klr": Method("npo_klr", npo_klr.loss, reference=("forget", "retain")),
    "tv": Method("tv", run=tv.run, config_fields=("tv_alpha", "tv_epochs", "tv_lr")),
    "rmu": Method("rmu", run=rmu.run, config_fields=("rmu_layer", "rmu_c", "rmu_alpha", "rmu_lr")),
}


def get_method(name: str) -> Method:
    """The method registered as ``name``; a ParameterError lists the registered ones."""
    check_choice("method", name, METHODS)
    return METHODS[name]


def parse_methods(text: str) -> list[str]:
    """``"all"`` or comma-separated method keys -> the list of keys (each checked)."""
    return parse_choices("methods", text, METHODS)


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
    """Unlearn ``forget`` from ``model`` in place with ``method``; return the loss of every step.

    A method with its own ``run`` is handed everything. Otherwise the shared loop runs
    ``cfg.epochs`` epochs over the forget set in shuffled batches at ``cfg.lr``; each forget
    batch is paired with the next retain batch (the retain set is cycled). The reference
    outputs the method's loss reads are recorded from ``model`` before the first step.
    """
    m = get_method(method)
    if m.run is not None:
        return m.run(model, tok, fmt, forget, retain, cfg, seed)
    assert m.loss is not None
    loss_fn = m.loss
    reference = Reference.needing(forget="forget" in m.reference, retain="retain" in m.reference)
    return train(
        model,
        tok,
        fmt,
        forget,
        retain,
        lambda m, f, r: loss_fn(m, reference, f, r, cfg),
        epochs=cfg.epochs,
        batch_size=cfg.batch_size,
        lr=cfg.lr,
        seed=seed,
        grad_accum_steps=cfg.grad_accum_steps,
        desc=f"unlearning ({method})",
        before=reference.record if m.reference else None,
    )
