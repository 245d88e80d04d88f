"""``tv`` (task vector): fine-tune on the forget set, then move the weights the other way.

With ``theta0`` the target's weights and ``theta_ft`` those of a copy fine-tuned on the forget
data (plain NLL on the answers), the task vector is ``theta_ft - theta0`` and the unlearned
model is ``theta = theta0 - a * (theta_ft - theta0)``. There is no per-step unlearning loss;
the losses reported are those of the fine-tuning.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from ..config import UnlearnConfig
from ..prompting import ChatFormat
from .loop import train
from .losses import nll


@torch.no_grad()
def negate_task_vector(
    model: torch.nn.Module, finetuned: Mapping[str, torch.Tensor], alpha: float
) -> None:
    """Set every parameter ``theta0`` of ``model`` to ``theta0 - alpha * (theta_ft - theta0)``.

    The arithmetic is done in float32 and cast back to each parameter's dtype.

    Args:
        model: holds ``theta0``; changed in place.
        finetuned: ``theta_ft`` by parameter name (as in ``model.named_parameters()``).
        alpha: ``a``.
    """
    for name, p in model.named_parameters():
        theta0 = p.float()
        theta_ft = finetuned[name].to(p.device, torch.float32)
        p.copy_((theta0 - alpha * (theta_ft - theta0)).to(p.dtype))


def finetune(
    model: PreTrainedModel,
    tok: PreTrainedTokenizerBase,
    fmt: ChatFormat,
    forget: Sequence[dict],
    cfg: UnlearnConfig,
    seed: int = 0,
) -> list[float]:
    """Fine-tune ``model`` in place on ``forget`` (NLL; ``tv_epochs`` epochs at ``tv_lr``)."""
    return train(
        model,
        tok,
        fmt,
        forget,
        None,
        lambda m, f, _r: nll(m, f),
        epochs=cfg.tv_epochs,
        batch_size=cfg.batch_size,
        lr=cfg.tv_lr,
        seed=seed,
        grad_accum_steps=cfg.grad_accum_steps,
        desc="unlearning (tv): fine-tuning on forget",
    )


def run(
    model: PreTrainedModel,
    tok: PreTrainedTokenizerBase,
    fmt: ChatFormat,
    forget: Sequence[dict],
    retain: Sequence[dict],
    cfg: UnlearnConfig,
    seed: int = 0,
) -> list[float]:
    """Fine-tune a copy of ``model`` on ``forget``, then negate the task vector in ``model``.

    ``retain`` is not used. Returns the fine-tuning losses.
    """
    tuned = copy.deepcopy(model)
    tuned.requires_grad_(True)
    losses = finetune(tuned, tok, fmt, forget, cfg, seed)
    negate_task_vector(model, dict(tuned.named_parameters()), cfg.tv_alpha)
    model.eval()
    return losses
