"""Greedy answers to questions, in left-padded batches."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from tqdm import tqdm
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from .prompting import ChatFormat, chat_format, prompt_ids


@torch.no_grad()
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
    """Greedy decoding of each question's answer; stops at end of turn or a newline.

    Args:
        questions: user messages (wrapped in the chat template).
        fmt: chat format; default ``chat_format(tok)``.
        batch_size: questions per ``generate`` call.
        max_new_tokens: the answer's length limit (STUDY.md: 32).
        progress: show a progress bar.

    Returns:
        The decoded answers, cut at the first newline and stripped.
    """
    fmt = fmt or chat_format(tok)
    answers: list[str] = []
    starts = range(0, len(questions), batch_size)
    for start in tqdm(starts, desc="generating", disable=not progress, leave=False):
        prompts = [
            prompt_ids(fmt, tok(q, add_special_tokens=False)["input_ids"])
            for q in questions[start : start + batch_size]
        ]
        width = max(map(len, prompts))
        ids = torch.full((len(prompts), width), tok.pad_token_id, dtype=torch.long)
        mask = torch.zeros_like(ids)
        for row, p in enumerate(prompts):
            ids[row, width - len(p) :] = torch.tensor(p)
            mask[row, width - len(p) :] = 1
        out = model.generate(
            input_ids=ids.to(model.device),
            attention_mask=mask.to(model.device),
            max_new_tokens=max_new_tokens,
            do_sample=False,
            eos_token_id=list(fmt.stop_ids),
            pad_token_id=tok.pad_token_id,
        )
        for row in out[:, width:].tolist():
            text = tok.decode(row, skip_special_tokens=True)
            answers.append(text.split("\n")[0].strip())
    return answers
