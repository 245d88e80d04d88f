"""``npo_gdr`` (NPOGD): NPO on the forget set plus ``lambda`` times the retain NLL."""

from __future__ import annotations

import torch
from transformers import PreTrainedModel

from ..config import UnlearnConfig
from .losses import Reference, nll, npo_loss, sequence_logprob


def loss(
    model: PreTrainedModel,
    reference: Reference,
    forget: dict[str, torch.Tensor],
    retain: dict[str, torch.Tensor],
    cfg: UnlearnConfig,
) -> torch.Tensor:
    """``(2/b) E_f log(1 + (p_model/p_ref)^b) + lambda * NLL(retain)``."""
    assert reference.forget is not None, "npo_gdr needs the reference's forget outputs"
    npo = npo_loss(sequence_logprob(model, forget), reference.forget(forget), cfg.npo_beta)
    return npo + cfg.retain_weight * nll(model, retain)
