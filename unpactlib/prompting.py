"""Turning a question into model input ids, with the attributable span marked.

Every sequence the study feeds a model (training, generation, attribution) is built here as
``prefix + question + suffix [+ answer]`` from separately tokenised pieces, so the question's
tokens (the attributable span) are known exactly and are the same in every use.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from transformers import PreTrainedTokenizerBase

_MARK = "\x00"


@dataclass(frozen=True)
class ChatFormat:
    """Token ids around the user's question, taken from the tokenizer's chat template."""

    prefix_ids: tuple[int, ...]  # system turn + "<|im_start|>user\n"
    suffix_ids: tuple[int, ...]  # "<|im_end|>\n<|im_start|>assistant\n"
    end_ids: tuple[int, ...]  # appended after an answer when training: "<|im_end|>"
    stop_ids: tuple[int, ...]  # generation stops at any of these (end of turn, newline)


def chat_format(tok: PreTrainedTokenizerBase, system: str = "") -> ChatFormat:
    """Build the :class:`ChatFormat` of ``tok``'s chat template with a given system message.

    Args:
        tok: a tokenizer with a chat template.
        system: the system message (empty by default, which keeps prompts short).
    """
    messages = [{"role": "system", "content": system}, {"role": "user", "content": _MARK}]
    text = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    before, after = text.split(_MARK)

    def ids(piece: str) -> tuple[int, ...]:
        return tuple(tok(piece, add_special_tokens=False)["input_ids"])

    newline = ids("\n")
    stops = (tok.eos_token_id, *newline[:1])  # the newline token ends a one-line answer
    return ChatFormat(ids(before), ids(after), (tok.eos_token_id,), stops)


@dataclass(frozen=True)
class EncodedQuestion:
    """A question's tokens with their character spans in the question text."""

    text: str
    ids: tuple[int, ...]
    offsets: tuple[tuple[int, int], ...]


def encode_question(tok: PreTrainedTokenizerBase, question: str) -> EncodedQuestion:
    """Tokenise a question alone, keeping character offsets of each token."""
    enc = tok(question, add_special_tokens=False, return_offsets_mapping=True)
    return EncodedQuestion(
        question, tuple(enc["input_ids"]), tuple(map(tuple, enc["offset_mapping"]))
    )


def end_of_text_id(tok: PreTrainedTokenizerBase) -> int:
    """Id of ``<|endoftext|>``, which ends raw corpus text (not a chat turn)."""
    return tok("<|endoftext|>", add_special_tokens=False)["input_ids"][-1]


def encode_answer(tok: PreTrainedTokenizerBase, answer: str) -> tuple[int, ...]:
    """Token ids of an answer as the assistant writes it (no end-of-turn token)."""
    return tuple(tok(answer, add_special_tokens=False)["input_ids"])


def prompt_ids(fmt: ChatFormat, question_ids: tuple[int, ...] | list[int]) -> list[int]:
    """The full prompt: chat prefix, the question's ids, chat suffix."""
    return [*fmt.prefix_ids, *question_ids, *fmt.suffix_ids]


_WORD = re.compile(r"\w+")


def token_words(q: EncodedQuestion, indices: list[int]) -> list[str]:
    """The words of the question that contain the given token indices, in question order.

    A word is a run of letters and digits; a token that touches no word (punctuation) stands
    for its own stripped text. Duplicates are dropped.
    """
    words: list[tuple[int, str]] = []
    spans = [(m.start(), m.end()) for m in _WORD.finditer(q.text)]
    for i in indices:
        start, end = q.offsets[i]
        hit = [(s, e) for s, e in spans if s < end and start < e]
        if hit:
            words.extend((s, q.text[s:e]) for s, e in hit)
        elif q.text[start:end].strip():
            words.append((start, q.text[start:end].strip()))
    seen: dict[str, int] = {}
    for pos, w in sorted(words):
        seen.setdefault(w, pos)
    return list(seen)


def left_pad(
    seqs: Sequence[Sequence[int]], pad_id: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Left-pad token sequences into one batch.

    Returns:
        ``input_ids``, ``attention_mask`` and ``position_ids = cumsum(mask) - 1`` (clamped at
        0), each ``[len(seqs), max_len]``: every sequence gets the positions it has alone.
    """
    width = max(map(len, seqs))
    ids = torch.full((len(seqs), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(seqs), width), dtype=torch.long)
    for row, seq in enumerate(seqs):
        if seq:
            ids[row, width - len(seq) :] = torch.tensor(list(seq))
            mask[row, width - len(seq) :] = 1
    pos = (mask.cumsum(-1) - 1).clamp(min=0)
    return ids, mask, pos
