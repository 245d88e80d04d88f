"""Loss terms shared by the unlearning methods (STUDY.md, "The six unlearning methods")."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from transformers import PreTrainedModel

IGNORE = -100


def sequence_logprob(model: PreTrainedModel, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """``log p(y | x)`` per sequence: the sum of log-probabilities of the labelled tokens.

    Returns:
        Tensor of shape ``[batch]``.
    """
    logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    labels = batch["labels"][:, 1:]
    logp = torch.log_softmax(logits[:, :-1].float(), dim=-1)
    mask = labels != IGNORE
    picked = logp.gather(-1, labels.clamp(min=0).unsqueeze(-1)).squeeze(-1)
    return (picked * mask).sum(-1)


def nll(model: PreTrainedModel, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """Mean negative log-likelihood per labelled token (the usual language-model loss)."""
    return model(**batch).loss


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
    inputs = {"input_ids": batch["input_ids"], "attention_mask": batch["attention_mask"]}
    mask = batch["labels"][:, 1:] != IGNORE
    logits = model(**inputs).logits[:, :-1][mask].float()
    with torch.no_grad():
        ref_logits = reference(**inputs).logits[:, :-1][mask].float()
    return kl_ref_model(
        torch.log_softmax(ref_logits, dim=-1), torch.log_softmax(logits, dim=-1)
    ).mean()
