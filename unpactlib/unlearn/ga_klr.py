"""``ga_klr`` (GAKL): gradient ascent on the forget set plus ``lambda`` times a retain KL."""

from __future__ import annotations

import torch
from transformers import PreTrainedModel

from ..config import UnlearnConfig
from .losses import nll, retain_kl


def loss(
    model: PreTrainedModel,
    reference: PreTrainedModel | None,
    forget: dict[str, torch.Tensor],
    retain: dict[str, torch.Tensor],
    cfg: UnlearnConfig,
) -> torch.Tensor:
    """``-NLL(forget) + lambda * KL(ref || model)`` on the retain batch.

    The KL is ``KL(p_ref || p_model) = sum_v p_ref (log p_ref - log p_model)`` per labelled
    retain position, over the vocabulary, averaged over positions (:func:`.losses.retain_kl`);
    ``p_ref`` is the frozen copy of the model taken before unlearning.
    """
    assert reference is not None, "ga_klr needs the frozen reference model"
    return -nll(model, forget) + cfg.retain_weight * retain_kl(model, reference, retain)
