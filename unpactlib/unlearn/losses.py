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
