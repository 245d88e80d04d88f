"""Loss terms shared by the unlearning methods (book/methods.md, "Unlearning methods"), and
the frozen reference's outputs they compare against (:class:`Reference`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from transformers import PreTrainedModel

from ..training import labelled_logits, nll

__all__ = [
    "BatchMemo",
    "Reference",
    "kl_ref_model",
    "labelled_logprobs",
    "nll",
    "npo_loss",
    "retain_kl",
    "sequence_logprob",
]

Batch = dict[str, torch.Tensor]


def sequence_logprob(model: PreTrainedModel, batch: Batch) -> torch.Tensor:
    """``log p(y | x)`` per sequence: the sum of log-probabilities of the labelled tokens.

    Returns:
        Tensor of shape ``[batch]``.
    """
    logits, targets, rows = labelled_logits(model, batch)
    logp = torch.log_softmax(logits.float(), dim=-1)
    picked = logp.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    total = torch.zeros(batch["input_ids"].shape[0], dtype=picked.dtype, device=picked.device)
    return total.index_add(0, rows, picked)


def labelled_logprobs(model: PreTrainedModel, batch: Batch) -> torch.Tensor:
    """Next-token log-probabilities at the labelled positions, ``[N, vocab]`` (float32).

    The positions and their order are those of :func:`unpactlib.training.labelled_logits`.
    """
    return torch.log_softmax(labelled_logits(model, batch)[0].float(), dim=-1)


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


def retain_kl(model: PreTrainedModel, logp_ref: torch.Tensor, batch: Batch) -> torch.Tensor:
    """Mean ``KL(p_ref || p_model)`` of the next-token distributions at the labelled positions.

    A position counts where its next token is labelled (the answer and its end token, as in
    :func:`sequence_logprob`); the mean is over all such positions of the batch.

    Args:
        logp_ref: the reference's :func:`labelled_logprobs` on ``batch``.
    """
    return kl_ref_model(logp_ref, labelled_logprobs(model, batch)).mean()


def batch_key(batch: Batch) -> tuple:
    """A hashable fingerprint of a batch's contents (names, shapes and values)."""
    return tuple(
        (name, tuple(t.shape), t.detach().cpu().numpy().tobytes())
        for name, t in sorted(batch.items())
    )


class BatchMemo:
    """``fn(model, batch)`` recorded once per distinct batch while the model is still the
    original, and looked up by the batch's contents while the model trains.

    The frozen reference of NPO and of the KL terms, and RMU's frozen activations, are the
    model as it was before unlearning. Instead of a copy of the model kept through training
    (a second set of weights in memory, in every unlearning process), the training loop
    (:func:`.loop.train`) runs the model on every batch it will use, before the first step,
    and keeps only these outputs: the same weights, batches and arithmetic as a copy, so the
    same numbers up to float rounding (``tests/test_methods.py`` checks that both routes
    train the tiny test models to the same weights bit for bit).
    """

    def __init__(self, fn: Callable[[torch.nn.Module, Batch], torch.Tensor]) -> None:
        self.fn = fn
        self._values: dict[tuple, torch.Tensor] = {}

    def record(self, model: torch.nn.Module, batch: Batch) -> None:
        """Compute (without gradients) and keep ``fn(model, batch)`` unless already kept."""
        key = batch_key(batch)
        if key not in self._values:
            with torch.no_grad():
                self._values[key] = self.fn(model, batch).detach()

    def __call__(self, batch: Batch) -> torch.Tensor:
        """The value recorded for ``batch``; a LookupError if it was not recorded."""
        try:
            return self._values[batch_key(batch)]
        except KeyError:
            raise LookupError(
                "no reference output for this batch: record every batch before training"
            ) from None

    def __len__(self) -> int:
        return len(self._values)


@dataclass(frozen=True)
class Reference:
    """What the frozen reference model contributes to a method's loss.

    Attributes:
        forget: ``log p_ref(y | x)`` per forget sequence (:func:`sequence_logprob`; NPO), or
            None when the method does not use it.
        retain: the reference's :func:`labelled_logprobs` on retain batches (the KL terms), or
            None.
    """

    forget: BatchMemo | None = None
    retain: BatchMemo | None = None

    @classmethod
    def needing(cls, *, forget: bool, retain: bool) -> Reference:
        """Empty memos for the outputs a method uses."""
        return cls(
            BatchMemo(sequence_logprob) if forget else None,
            BatchMemo(labelled_logprobs) if retain else None,
        )

    def record(self, model: torch.nn.Module, forget: Batch, retain: Batch | None) -> None:
        """Record the outputs this reference holds for one training step's batches."""
        if self.forget is not None:
            self.forget.record(model, forget)
        if self.retain is not None and retain is not None:
            self.retain.record(model, retain)
