"""``ga_gdr`` (GAGD): gradient ascent on the forget set plus ``lambda`` times the retain NLL."""

from __future__ import annotations

import torch
from transformers import PreTrainedModel

from ..config import UnlearnConfig
from .losses import Reference, nll


def loss(
    model: PreTrainedModel,
    reference: Reference,
    forget: dict[str, torch.Tensor],
    retain: dict[str, torch.Tensor],
    cfg: UnlearnConfig,
) -> torch.Tensor:
    """``-NLL(forget) + lambda * NLL(retain)``; NLL is the mean over labelled tokens.

    ``reference`` is not used.
    """
    return -nll(model, forget) + cfg.retain_weight * nll(model, retain)
