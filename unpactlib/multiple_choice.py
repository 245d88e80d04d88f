"""Multiple-choice items (WMDP and MMLU analogs): prompt text and two ways of scoring them.

``letter`` (the study's definition, book/methods.md): the item is shown as the question,
its options labelled ``A.``-``D.`` and an instruction to answer with the letter; it is
*correct* when the gold letter has the highest next-token log-probability among the option
letters. The same text and letter serve fine-tuning, attribution and recovery, so MC items
flow through the QA machinery as ``{"question": mc_prompt(r), "answer": letter}``.

``cloze`` (our addition, for the utility split): the bare question is asked and each option's
text is scored as the answer by its mean per-token log-probability; correct when the gold
option scores highest. A 135M model answers letter-format questions near chance (25 %) even
when it knows the fact, which is why SmolLM2's authors evaluate MMLU in cloze form at this
scale; the book reports both.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from .config import check_choice
from .prompting import ChatFormat, chat_format, left_pad, prompt_ids

LETTERS = "ABCDEFGH"


def mc_prompt(record: dict) -> str:
    """The user message of a multiple-choice record: question, lettered options, instruction."""
    options = "\n".join(f"{LETTERS[i]}. {c}" for i, c in enumerate(record["choices"]))
    return f"{record['question']}\n{options}\nAnswer with the letter of the correct option."


def as_prompt_answer(record: dict) -> dict:
    """A multiple-choice record as a prompt/answer pair (answer = the gold letter)."""
    return dict(record, question=mc_prompt(record), answer=LETTERS[record["answer_index"]])


def letter_ids(tok: PreTrainedTokenizerBase, n: int) -> list[int]:
    """Token ids of the first ``n`` option letters, as the first token of an answer."""
    ids = [tok(LETTERS[i], add_special_tokens=False)["input_ids"] for i in range(n)]
    if any(len(t) != 1 for t in ids):
        raise ValueError("an option letter is not a single token for this tokenizer")
    return [t[0] for t in ids]


def _last_logits(
    model: PreTrainedModel, seqs: Sequence[Sequence[int]], pad_id: int, keep: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Left-pad ``seqs`` (each keeps its own positions) and run them in one forward pass.

    Returns:
        The padded ids ``[B, L]`` and the logits of the last ``keep`` positions ``[B, keep, V]``.
    """
    ids, mask, pos = left_pad(seqs, pad_id)
    logits = model(
        input_ids=ids.to(model.device),
        attention_mask=mask.to(model.device),
        position_ids=pos.to(model.device),
        logits_to_keep=keep,
    ).logits
    return ids, logits


@torch.no_grad()
def letter_logprobs(
    model: PreTrainedModel,
    tok: PreTrainedTokenizerBase,
    messages: Sequence[str],
    n_options: int,
    *,
    fmt: ChatFormat | None = None,
    batch_size: int = 16,
) -> np.ndarray:
    """Next-token log-probabilities of the first ``n_options`` option letters after each user
    message (in the chat template): one forward pass per message, whatever the option count.

    Returns:
        Array ``[len(messages), n_options]``.
    """
    fmt = fmt or chat_format(tok)
    letters = torch.tensor(letter_ids(tok, n_options), device=model.device)
    out = [np.zeros((0, n_options), dtype=np.float32)]
    for start in range(0, len(messages), batch_size):
        prompts = [
            prompt_ids(fmt, tok(m, add_special_tokens=False)["input_ids"])
            for m in messages[start : start + batch_size]
        ]
        _, logits = _last_logits(model, prompts, tok.pad_token_id, 1)
        out.append(torch.log_softmax(logits[:, -1].float(), -1)[:, letters].cpu().numpy())
    return np.concatenate(out)


def option_logprobs(
    model: PreTrainedModel,
    tok: PreTrainedTokenizerBase,
    records: Sequence[dict],
    *,
    fmt: ChatFormat | None = None,
    batch_size: int = 16,
) -> np.ndarray:
    """Next-token log-probabilities of each option letter after each record's prompt
    (:func:`mc_prompt`).

    Returns:
        Array ``[len(records), n_options]`` (all records must have the same number of options).
    """
    n = len(records[0]["choices"])
    if any(len(r["choices"]) != n for r in records):
        raise ValueError("the records do not all have the same number of options")
    messages = [mc_prompt(r) for r in records]
    return letter_logprobs(model, tok, messages, n, fmt=fmt, batch_size=batch_size)


@torch.no_grad()
def pair_mean_logprob(
    model: PreTrainedModel,
    pairs: Sequence[tuple[Sequence[int], Sequence[int]]],
    *,
    pad_id: int,
    batch_size: int = 16,
) -> np.ndarray:
    """``LP(context, answer)`` for (context, answer) pairs whose answers differ in length."""
    out = []
    for start in range(0, len(pairs), batch_size):
        chunk = pairs[start : start + batch_size]
        keep = max(len(a) for _, a in chunk) + 1  # answers end at the last position
        ids, logits = _last_logits(model, [[*c, *a] for c, a in chunk], pad_id, keep)
        logits = logits[:, :-1]  # [B, keep-1, V]: predictions of the last keep-1 tokens
        targets = ids[:, -(keep - 1) :].to(model.device)
        logp = torch.log_softmax(logits.float(), -1).gather(-1, targets.unsqueeze(-1)).squeeze(-1)
        for row, (_, a) in enumerate(chunk):
            out.append(float(logp[row, -len(a) :].mean()))
    return np.array(out)


def cloze_logprobs(
    model: PreTrainedModel,
    tok: PreTrainedTokenizerBase,
    records: Sequence[dict],
    *,
    fmt: ChatFormat | None = None,
    batch_size: int = 16,
) -> np.ndarray:
    """Mean log-probability of each option's text as the answer to the bare question.

    Returns:
        Array ``[len(records), n_options]``.
    """
    fmt = fmt or chat_format(tok)
    pairs = []
    for r in records:
        context = prompt_ids(fmt, tok(r["question"], add_special_tokens=False)["input_ids"])
        pairs += [(context, tok(c, add_special_tokens=False)["input_ids"]) for c in r["choices"]]
    flat = pair_mean_logprob(model, pairs, pad_id=tok.pad_token_id, batch_size=batch_size)
    return flat.reshape(len(records), -1)


MC_SCORING = ("letter", "cloze")


def mc_scores(
    model: PreTrainedModel,
    tok: PreTrainedTokenizerBase,
    records: Sequence[dict],
    scoring: str = "letter",
    *,
    batch_size: int = 16,
) -> np.ndarray:
    """Option scores ``[len(records), n_options]`` by ``letter`` or ``cloze`` scoring."""
    check_choice("mc_scoring", scoring, MC_SCORING)
    score = option_logprobs if scoring == "letter" else cloze_logprobs
    return score(model, tok, records, batch_size=batch_size)


def mc_correct(logprobs: np.ndarray, answer_index: Sequence[int]) -> list[bool]:
    """Correct when the gold option has the highest log-probability among the options."""
    return [bool(np.argmax(row) == gold) for row, gold in zip(logprobs, answer_index)]


def is_mc_pair(record: dict) -> bool:
    """Whether ``record`` is a multiple-choice prompt/answer pair (``as_prompt_answer``: the
    question is the whole lettered prompt and the answer the gold letter)."""
    return "choices" in record and record["answer"] == LETTERS[record["answer_index"]]


def user_message(record: dict, text: str) -> str:
    """The user message that asks ``text`` (a possibly rewritten ``record["question"]``).

    QA records and multiple-choice prompt/answer pairs: ``text`` itself. A raw
    multiple-choice record: ``text`` followed by the lettered options and the instruction.
    """
    if "choices" in record and not is_mc_pair(record):
        return mc_prompt(dict(record, question=text))
    return text
