"""``npo_klr`` (NPOKL): NPO on the forget set plus ``lambda`` times a retain KL."""

from __future__ import annotations

import torch
from transformers import PreTrainedModel

from ..config import UnlearnConfig
from .losses import Reference, npo_loss, retain_kl, sequence_logprob


def loss(
    model: PreTrainedModel,
    reference: Reference,
    forget: dict[str, torch.Tensor],
    retain: dict[str, torch.Tensor],
    cfg: UnlearnConfig,
) -> torch.Tensor:
    """``(2/b) E_f log(1 + (p_model/p_ref)^b) + lambda * KL(ref || model)`` on retain.

    The KL is ``KL(p_ref || p_model) = sum_v p_ref (log p_ref - log p_model)`` per labelled
    retain position, averaged (:func:`.losses.retain_kl`); both terms compare with the model
    before unlearning (``reference``, recorded before the first step).
    """
    assert reference.forget is not None and reference.retain is not None, "npo_klr: no reference"
    npo = npo_loss(sequence_logprob(model, forget), reference.forget(forget), cfg.npo_beta)
    return npo + cfg.retain_weight * retain_kl(model, reference.retain(retain), retain)
