"""``npo_gdr`` (NPOGD): NPO on the forget set plus ``lambda`` times the retain NLL."""

from __future__ import annotations

import torch
from transformers import PreTrainedModel

from ..config import UnlearnConfig
from .losses import nll, npo_loss, sequence_logprob


def loss(
    model: PreTrainedModel,
    reference: PreTrainedModel | None,
    forget: dict[str, torch.Tensor],
    retain: dict[str, torch.Tensor],
    cfg: UnlearnConfig,
) -> torch.Tensor:
    """``(2/b) E_f log(1 + (p_model/p_ref)^b) + lambda * NLL(retain)``."""
    assert reference is not None, "npo_gdr needs the frozen reference model"
    logp = sequence_logprob(model, forget)
    with torch.no_grad():
        logp_ref = sequence_logprob(reference, forget)
    return npo_loss(logp, logp_ref, cfg.npo_beta) + cfg.retain_weight * nll(model, retain)
