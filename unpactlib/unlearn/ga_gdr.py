"""``ga_gdr`` (GAGD): gradient ascent on the forget set plus ``lambda`` times the retain NLL."""

from __future__ import annotations

import torch
from transformers import PreTrainedModel

from ..config import UnlearnConfig
from .losses import nll


def loss(
    model: PreTrainedModel,
    reference: PreTrainedModel | None,
    forget: dict[str, torch.Tensor],
    retain: dict[str, torch.Tensor],
    cfg: UnlearnConfig,
) -> torch.Tensor:
    """``-NLL(forget) + lambda * NLL(retain)``; NLL is the mean over labelled tokens."""
    return -nll(model, forget) + cfg.retain_weight * nll(model, retain)
