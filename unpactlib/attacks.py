"""Recovery attacks beyond emphasis and deletion: the rungs of the recovery ladder that ask
differently (a few-shot prompt), decode differently (sampling), change the weights
(quantisation, relearning) or read the model's inside (the logit lens).

Each function works on any model and records, so the same attack runs on the base model
(which never saw the facts: its success is the attack's false-positive rate), on the target
and on every unlearned model.
"""

from __future__ import annotations

import copy
import random
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from .config import ParameterError, check_choice, check_range
from .metrics import is_correct
from .multiple_choice import LETTERS, letter_logprobs, mc_prompt, user_message
from .prompting import ChatFormat, chat_format, encode_answer, prompt_ids

QUANT_BITS = (4, 8)


def few_shot_question(question: str, shots: Sequence[Mapping]) -> str:
    """``question`` preceded by solved examples, each ``<question>`` then ``Answer: <answer>``
    on its own line, separated by blank lines.

    A multiple-choice shot is shown with its lettered options (:func:`mc_prompt`) and its
    gold letter; the asked question itself gets its options from the caller
    (:func:`unpactlib.multiple_choice.user_message`), as every multiple-choice question does.
    """
    blocks = []
    for s in shots:
        if "choices" in s:
            blocks.append(f"{mc_prompt(s)}\nAnswer: {LETTERS[s['answer_index']]}")
        else:
            blocks.append(f"{s['question']}\nAnswer: {s['answer']}")
    return "\n\n".join([*blocks, question])


@dataclass(frozen=True)
class Samples:
    """Sampled answers to one item: ``texts`` (QA: the answers; multiple choice: the letters
    drawn, ``"-"`` for any other token) and which of them are correct."""

    texts: list[str]
    correct: list[bool]

    @property
    def leaked(self) -> bool:
        """At least one sample is correct."""
        return any(self.correct)

    @property
    def share(self) -> float:
        """The share of correct samples: the expected accuracy of one sample."""
        return sum(self.correct) / len(self.correct)


@torch.no_grad()
def sample_answers(
    model: PreTrainedModel,
    tok: PreTrainedTokenizerBase,
    records: Sequence[dict],
    texts: Sequence[str] | None = None,
    *,
    n: int = 16,
    temperature: float = 1.0,
    tau: float = 0.5,
    seed: int = 0,
    max_new_tokens: int = 32,
    fmt: ChatFormat | None = None,
) -> list[Samples]:
    """``n`` answers per record sampled at ``temperature`` from the full distribution (no
    top-k or top-p cut), each record seeded by ``seed``, its id and the asked text, so a
    record's samples do not depend on the other records.

    QA: answers generated until the end of the turn or a newline, correct at ROUGE-L recall
    ``tau``. Multiple choice (temperature 1 only): the first answer token drawn after the
    lettered prompt; correct when it is the gold letter.
    """
    check_range("n", n, 1, 1024)
    check_range("temperature", temperature, 1e-3, 10.0)
    fmt = fmt or chat_format(tok)
    texts = [r["question"] for r in records] if texts is None else list(texts)
    out = []
    for r, text in zip(records, texts):
        gen = torch.Generator().manual_seed(zlib.crc32(f"{seed}|{r.get('id', '')}|{text}".encode()))
        if "choices" in r:
            n_opt = len(r["choices"])
            logp = letter_logprobs(model, tok, [user_message(r, text)], n_opt, fmt=fmt)[0]
            if temperature != 1.0:
                raise ParameterError(
                    f"temperature={temperature!r}: multiple-choice items are sampled at 1.0 only"
                )
            p = np.exp(logp.astype(np.float64))  # the letters; the rest of the vocabulary last
            probs = torch.tensor([*p, max(0.0, 1.0 - p.sum())])
            draws = torch.multinomial(probs, n, replacement=True, generator=gen).tolist()
            drawn = [LETTERS[d] if d < n_opt else "-" for d in draws]
            out.append(Samples(drawn, [d == r["answer_index"] for d in draws]))
            continue
        ids = torch.tensor([prompt_ids(fmt, tok(text, add_special_tokens=False)["input_ids"])])
        torch.manual_seed(int(torch.randint(0, 2**31 - 1, (1,), generator=gen)))
        seqs = model.generate(
            input_ids=ids.to(model.device),
            attention_mask=torch.ones_like(ids).to(model.device),
            do_sample=True,
            temperature=temperature,
            top_k=0,
            top_p=1.0,
            num_return_sequences=n,
            max_new_tokens=max_new_tokens,
            eos_token_id=list(fmt.stop_ids),
            pad_token_id=tok.pad_token_id,
        )
        answers = [
            tok.decode(s, skip_special_tokens=True).split("\n")[0].strip()
            for s in seqs[:, ids.shape[1] :]
        ]
        out.append(Samples(answers, [is_correct(a, r["answer"], tau) for a in answers]))
    return out


def rtn_dequantize(weight: torch.Tensor, bits: int, group_size: int) -> torch.Tensor:
    """Plain symmetric round-to-nearest quantisation of a ``[out, in]`` weight, returned
    dequantised: per group of ``group_size`` input columns, scale
    ``s = max|w| / ((2**bits - 1) / 2)``, integer ``q = clamp(round(w / s), -2**(bits-1),
    2**(bits-1) - 1)`` and weight ``q * s``. The reference :func:`quantize_weights` is
    checked against."""
    check_choice("bits", bits, QUANT_BITS)
    out_f, in_f = weight.shape
    if in_f % group_size:
        raise ValueError(f"group_size={group_size} does not divide {in_f} input columns")
    g = weight.float().reshape(out_f, in_f // group_size, group_size)
    scale = g.abs().amax(-1, keepdim=True) / ((2**bits - 1) / 2)
    scale = torch.where(scale == 0, torch.ones_like(scale), scale)
    q = torch.clamp(torch.round(g / scale), -(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
    return (q * scale).reshape(out_f, in_f).to(weight.dtype)


def quantize_weights(model: PreTrainedModel, bits: int, group_size: int = 32) -> PreTrainedModel:
    """A copy of ``model`` whose decoder linear weights are stored as ``bits``-bit integers,
    symmetric, one scale per group of ``group_size`` input columns, and dequantised in every
    product (torchao's ``IntxWeightOnlyConfig``, weight-only, on any device). The embeddings
    and the output head keep their weights."""
    from torchao.quantization import IntxWeightOnlyConfig, quantize_
    from torchao.quantization.granularity import PerGroup
    from torchao.quantization.quant_primitives import MappingType

    check_choice("bits", bits, QUANT_BITS)
    dtype = {4: torch.int4, 8: torch.int8}[bits]
    quantized = copy.deepcopy(model)
    config = IntxWeightOnlyConfig(
        weight_dtype=dtype, granularity=PerGroup(group_size), mapping_type=MappingType.SYMMETRIC
    )
    head = quantized.get_output_embeddings()

    def in_decoder(module: torch.nn.Module, name: str) -> bool:
        return isinstance(module, torch.nn.Linear) and module is not head

    quantize_(quantized, config, filter_fn=in_decoder)
    return quantized


def relearn(
    model: PreTrainedModel,
    tok: PreTrainedTokenizerBase,
    records: Sequence[dict],
    *,
    steps: int,
    lr: float = 1e-4,
    batch_size: int = 8,
    seed: int = 0,
    fmt: ChatFormat | None = None,
) -> list[float]:
    """Fine-tune ``model`` in place for ``steps`` AdamW steps on QA ``records`` with the
    target's loss (the answer tokens), cycling through batches shuffled by ``seed``.

    Returns:
        The loss of each step.
    """
    from .training import adamw, batches, nll, qa_batch, to_device

    check_range("steps", steps, 0, 10_000)
    fmt = fmt or chat_format(tok)
    rng = random.Random(seed)
    torch.manual_seed(seed)
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        model.requires_grad_(True)
        params = list(model.parameters())
    opt = adamw(params, lr=lr, weight_decay=0.0)
    losses: list[float] = []
    model.train()
    while len(losses) < steps:
        for chunk in batches(records, batch_size, rng):
            if len(losses) == steps:
                break
            loss = nll(model, to_device(qa_batch(tok, fmt, chunk), model.device))
            loss.backward()
            opt.step()
            opt.zero_grad(set_to_none=True)
            losses.append(loss.item())
    model.eval()
    return losses


@torch.no_grad()
def logit_lens_ranks(
    model: PreTrainedModel,
    tok: PreTrainedTokenizerBase,
    records: Sequence[dict],
    *,
    fmt: ChatFormat | None = None,
) -> np.ndarray:
    """Rank (0: the most likely) of each record's first gold answer token at every decoder
    layer, read at the last prompt position from that layer's output through the model's
    final norm and output head (the logit lens). Multiple choice: the gold letter after the
    lettered prompt.

    Returns:
        Integer array ``[len(records), n_layers]``; its last column is the rank in the
        model's own output.
    """
    fmt = fmt or chat_format(tok)
    layers = model.model.layers
    captured: list[torch.Tensor] = []

    def keep(_module, _inputs, output):
        captured.append((output[0] if isinstance(output, tuple) else output)[:, -1])

    hooks = [layer.register_forward_hook(keep) for layer in layers]
    ranks = np.zeros((len(records), len(layers)), dtype=np.int64)
    try:
        for i, r in enumerate(records):
            if "choices" in r:
                text, gold = user_message(r, r["question"]), LETTERS[r["answer_index"]]
            else:
                text, gold = r["question"], r["answer"]
            ids = prompt_ids(fmt, tok(text, add_special_tokens=False)["input_ids"])
            target = encode_answer(tok, gold)[0]
            captured.clear()
            model(input_ids=torch.tensor([ids], device=model.device))
            states = torch.stack(captured)  # [n_layers, 1, hidden]
            logits = model.get_output_embeddings()(model.model.norm(states)).float()[:, 0]
            ranks[i] = (logits > logits[:, target : target + 1]).sum(-1).cpu().numpy()
    finally:
        for h in hooks:
            h.remove()
    return ranks
