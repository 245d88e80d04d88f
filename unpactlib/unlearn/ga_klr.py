"""``ga_klr`` (GAKL): gradient ascent on the forget set plus ``lambda`` times a retain KL."""

from __future__ import annotations

import torch
from transformers import PreTrainedModel

from ..config import UnlearnConfig
from .losses import Reference, nll, retain_kl


def loss(
    model: PreTrainedModel,
    reference: Reference,
    forget: dict[str, torch.Tensor],
    retain: dict[str, torch.Tensor],
    cfg: UnlearnConfig,
) -> torch.Tensor:
    """``-NLL(forget) + lambda * KL(ref || model)`` on the retain batch.

    The KL is ``KL(p_ref || p_model) = sum_v p_ref (log p_ref - log p_model)`` per labelled
    retain position, over the vocabulary, averaged over positions (:func:`.losses.retain_kl`);
    ``p_ref`` is the model before unlearning (``reference.retain``, recorded before the first
    step).
    """
    assert reference.retain is not None, "ga_klr needs the reference's retain outputs"
    kl = retain_kl(model, reference.retain(retain), retain)
    return -nll(model, forget) + cfg.retain_weight * kl
