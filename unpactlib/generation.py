"""Greedy decoding in left-padded batches: answers to questions, continuations of passages."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from tqdm import tqdm
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from .prompting import ChatFormat, chat_format, end_of_text_id, left_pad, prompt_ids


@torch.no_grad()
def greedy_decode(
    model: PreTrainedModel,
    tok: PreTrainedTokenizerBase,
    prompts: Sequence[Sequence[int]],
    *,
    stop_ids: Sequence[int],
    batch_size: int = 16,
    max_new_tokens: int = 32,
    desc: str = "generating",
    progress: bool = True,
) -> list[str]:
    """Greedy continuation of token-id prompts; each stops at any of ``stop_ids``.

    Returns:
        The decoded new text of each prompt (special tokens dropped), unstripped.
    """
    texts: list[str] = []
    starts = range(0, len(prompts), batch_size)
    for start in tqdm(starts, desc=desc, disable=not progress, leave=False):
        ids, mask, _ = left_pad(prompts[start : start + batch_size], tok.pad_token_id)
        out = model.generate(
            input_ids=ids.to(model.device),
            attention_mask=mask.to(model.device),
            max_new_tokens=max_new_tokens,
            do_sample=False,
            eos_token_id=list(stop_ids),
            pad_token_id=tok.pad_token_id,
        )
        texts += [tok.decode(row, skip_special_tokens=True) for row in out[:, ids.shape[1] :]]
    return texts


def greedy_answers(
    model: PreTrainedModel,
    tok: PreTrainedTokenizerBase,
    questions: Sequence[str],
    *,
    fmt: ChatFormat | None = None,
    batch_size: int = 16,
    max_new_tokens: int = 32,
    progress: bool = True,
) -> list[str]:
    """Greedy answer to each question (a user message in the chat template).

    Decoding stops at the end of the turn or a newline, at most ``max_new_tokens``
    (32 in the study, book/methods.md). Returns the answers cut at the first newline and
    stripped.
    """
    fmt = fmt or chat_format(tok)
    prompts = [prompt_ids(fmt, tok(q, add_special_tokens=False)["input_ids"]) for q in questions]
    texts = greedy_decode(
        model,
        tok,
        prompts,
        stop_ids=fmt.stop_ids,
        batch_size=batch_size,
        max_new_tokens=max_new_tokens,
        desc="answering",
        progress=progress,
    )
    return [t.split("\n")[0].strip() for t in texts]


def greedy_continuations(
    model: PreTrainedModel,
    tok: PreTrainedTokenizerBase,
    prompts: Sequence[str],
    *,
    batch_size: int = 16,
    max_new_tokens: int = 48,
    progress: bool = True,
) -> list[str]:
    """Greedy continuation of raw text (no chat template), as MUSE's VerbMem feeds it.

    Decoding stops at an end-of-text or end-of-turn token, or after ``max_new_tokens``.
    """
    ids = [tok(p, add_special_tokens=False)["input_ids"] for p in prompts]
    stops = sorted({tok.eos_token_id, end_of_text_id(tok)})
    texts = greedy_decode(
        model,
        tok,
        ids,
        stop_ids=stops,
        batch_size=batch_size,
        max_new_tokens=max_new_tokens,
        desc="continuing",
        progress=progress,
    )
    return [t.strip() for t in texts]
