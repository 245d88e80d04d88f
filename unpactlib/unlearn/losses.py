"""Loss terms shared by the unlearning methods (STUDY.md, "The six unlearning methods")."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from transformers import PreTrainedModel

from ..training import labelled_logits, nll

__all__ = ["kl_ref_model", "nll", "npo_loss", "retain_kl", "sequence_logprob"]


def sequence_logprob(model: PreTrainedModel, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """``log p(y | x)`` per sequence: the sum of log-probabilities of the labelled tokens.

    Returns:
        Tensor of shape ``[batch]``.
    """
    logits, targets, rows = labelled_logits(model, batch)
    logp = torch.log_softmax(logits.float(), dim=-1)
    picked = logp.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    total = torch.zeros(batch["input_ids"].shape[0], dtype=picked.dtype, device=picked.device)
    return total.index_add(0, rows, picked)


def npo_loss(logp: torch.Tensor, logp_ref: torch.Tensor, beta: float) -> torch.Tensor:
    """Negative preference optimisation on forget sequences.

    ``(2 / b) * E_f log(1 + (p_model / p_ref)^b)``, written stably as
    ``(2 / b) * mean(softplus(b * (log p_model - log p_ref)))``.

    Args:
        logp: ``log p_model(y | x)`` per forget sequence.
        logp_ref: the same under the frozen reference model.
        beta: ``b``.
    """
    return (2.0 / beta) * F.softplus(beta * (logp - logp_ref)).mean()


def kl_ref_model(logp_ref: torch.Tensor, logp_model: torch.Tensor) -> torch.Tensor:
    """``KL(p_ref || p_model)`` of each distribution over the last axis.

    ``KL(p_ref || p_model) = sum_v p_ref(v) * (log p_ref(v) - log p_model(v))``: the expectation
    is under the frozen reference, so the model is penalised wherever it drops probability from
    tokens the reference finds likely.

    Args:
        logp_ref: log-probabilities of the reference, ``[..., vocab]``.
        logp_model: log-probabilities of the model, same shape.

    Returns:
        Tensor of shape ``[...]``. A token the reference gives probability 0 adds 0.
    """
    p_ref = logp_ref.exp()
    terms = torch.where(p_ref > 0, p_ref * (logp_ref - logp_model), torch.zeros_like(p_ref))
    return terms.sum(-1)


def retain_kl(
    model: PreTrainedModel, reference: PreTrainedModel, batch: dict[str, torch.Tensor]
) -> torch.Tensor:
    """Mean ``KL(p_ref || p_model)`` of the next-token distributions at the labelled positions.

    A position counts where its next token is labelled (the answer and its end token, as in
    :func:`sequence_logprob`); the mean is over all such positions of the batch.
    """
    logits, _, _ = labelled_logits(model, batch)
    with torch.no_grad():
        ref_logits, _, _ = labelled_logits(reference, batch)
    return kl_ref_model(
        torch.log_softmax(ref_logits.float(), dim=-1), torch.log_softmax(logits.float(), dim=-1)
    ).mean()
