"""unPact's prompt attribution: token contributions by deletion, and KeyTokens.

Definitions (STUDY.md), for a prompt ``x = x_1..x_n`` and an answer ``y = y_1..y_T``:

* ``LP(x, y) = (1/T) sum_k log p(y_k | x, y_<k)``: :func:`mean_logprob`.
* ``C(x_i, y) = LP(x, y) - LP(x without x_i, y)``, the token deleted and positions closed up:
  :func:`contribution`.
* KeyTokens ``K``: :func:`key_tokens`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from .prompting import (
    ChatFormat,
    chat_format,
    encode_answer,
    encode_question,
    left_pad,
    prompt_ids,
)


@torch.no_grad()
def mean_logprob(
    model: PreTrainedModel,
    contexts: Sequence[Sequence[int]],
    answer: Sequence[int],
    batch_size: int = 16,
) -> torch.Tensor:
    """``LP(context, answer)`` for many contexts and one answer, in left-padded batches.

    Each sequence is ``context + answer``; left padding with an attention mask and
    ``position_ids = cumsum(mask) - 1`` gives every sequence the positions it has alone.
    Only the last ``T + 1`` logits are computed (``logits_to_keep``).

    Returns:
        float64 tensor of shape ``[len(contexts)]`` on the CPU.
    """
    T = len(answer)
    if T == 0:
        raise ValueError("the answer has no tokens")
    device = model.device
    ans = torch.tensor(list(answer), device=device)
    out: list[torch.Tensor] = []
    for start in range(0, len(contexts), batch_size):
        chunk = [list(c) + list(answer) for c in contexts[start : start + batch_size]]
        ids, mask, pos = left_pad(chunk, pad_id=0)
        logits = model(
            input_ids=ids.to(device),
            attention_mask=mask.to(device),
            position_ids=pos.to(device),
            logits_to_keep=T + 1,
        ).logits[:, :-1]  # [B, T, V]: predictions of the T answer tokens
        logp = torch.log_softmax(logits.float(), dim=-1)
        picked = logp.gather(-1, ans.expand(len(chunk), T).unsqueeze(-1)).squeeze(-1)
        out.append(picked.mean(-1).double().cpu())
    return torch.cat(out)


@dataclass
class Attribution:
    """Contributions of a question's tokens to an answer."""

    question: str
    answer: str
    tokens: list[str]  # the attributable tokens, as text
    token_ids: list[int]
    offsets: list[tuple[int, int]]  # character spans of the tokens in ``question``
    scores: np.ndarray  # C(x_i, y), one per attributable token
    lp_full: float  # LP(x, y) of the unablated prompt


def contribution(
    model: PreTrainedModel,
    tok: PreTrainedTokenizerBase,
    prompt: str,
    answer: str,
    *,
    fmt: ChatFormat | None = None,
    batch_size: int = 16,
) -> Attribution:
    """Signed leave-one-out contribution ``C(x_i, y)`` of every token of ``prompt``.

    ``prompt`` is the user's question; it is wrapped in the chat template (``fmt``), whose
    tokens are never ablated. All ``n + 1`` prompts (the full one and each deletion) are
    scored together in batches of ``batch_size``.

    Args:
        model: a causal LM in eval mode.
        tok: its tokenizer.
        prompt: the question text (the attributable span).
        answer: the answer ``y`` scored under teacher forcing (the gold answer by default
            in the study, so the same ``y`` is scored before and after unlearning).
        fmt: chat format; default ``chat_format(tok)``.
        batch_size: sequences per forward pass.
    """
    fmt = fmt or chat_format(tok)
    q = encode_question(tok, prompt)
    ids = list(q.ids)
    contexts = [prompt_ids(fmt, ids)]
    contexts += [prompt_ids(fmt, ids[:i] + ids[i + 1 :]) for i in range(len(ids))]
    lp = mean_logprob(model, contexts, encode_answer(tok, answer), batch_size=batch_size)
    return Attribution(
        question=prompt,
        answer=answer,
        tokens=[tok.decode([i]) for i in ids],
        token_ids=ids,
        offsets=list(q.offsets),
        scores=(lp[0] - lp[1:]).numpy(),
        lp_full=float(lp[0]),
    )


def key_tokens(
    scores: Sequence[float] | np.ndarray, alpha: float = 0.5, beta: int = 3
) -> list[int]:
    """KeyTokens ``K(x, y)`` from contributions (STUDY.md).

    Let ``P = {i : C_i > 0}``. If ``|P| < beta``, ``K = P``; otherwise
    ``K = {i in P : C_i / max_{j in P} C_j > alpha}``.

    Args:
        scores: contributions ``C_i``.
        alpha: relative threshold to the largest positive contribution.
        beta: below this many positive tokens, all of them are KeyTokens.

    Returns:
        Indices into ``scores``, ascending.
    """
    c = np.asarray(scores, dtype=float)
    positive = [i for i in range(len(c)) if c[i] > 0]
    if len(positive) < beta:
        return positive
    top = max(c[i] for i in positive)
    return [i for i in positive if c[i] / top > alpha]
