"""unPact's prompt attribution: token contributions by deletion, and KeyTokens.

Definitions (book/methods.md), for a prompt ``x = x_1..x_n`` and an answer ``y = y_1..y_T``:

* ``LP(x, y) = (1/T) sum_k log p(y_k | x, y_<k)``: :func:`mean_logprob`.
* ``C(x_i, y) = LP(x, y) - LP(x without x_i, y)``, the token deleted and positions closed up:
  :func:`contribution` (one prompt) and :func:`contributions` (many).
* KeyTokens ``K``: :func:`key_tokens`.

How the contributions are computed (all three give the same numbers, up to float rounding):

* the engine (:func:`contribution`, :func:`contributions`): deleting question token ``i``
  leaves every position before it unchanged, so the tokens that follow the deletion (its
  *tail*) are the only ones to compute again; they see the full sequence's unchanged prefix.
  The full sequence and the tails of all its deletions are packed into one row of at most
  ``token_budget`` tokens, and one forward pass scores them all: a custom 4D attention mask
  lets each tail see its prefix and itself (causally), position ids restart at each tail's
  first position, and only the logits that predict answer tokens are computed. Several short
  prompts share a row. A prompt whose work exceeds the budget is split: its first row keeps
  its key/value cache (a ``DynamicCache``), and later rows feed only tails after the cached
  prefix. No token is computed twice and nothing is padded;
* :func:`contribution_plain`: all ``n + 1`` prompts in full, in left-padded batches;
* :func:`contribution_reference`: one unpadded sequence at a time, the simplest check.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from tqdm import tqdm
from transformers import DynamicCache, PreTrainedModel, PreTrainedTokenizerBase

from .generation import greedy_answers
from .multiple_choice import mc_prompt
from .prompting import (
    ChatFormat,
    EncodedQuestion,
    chat_format,
    encode_answer,
    encode_question,
    left_pad,
    prompt_ids,
)

Span = tuple[int, int]

# Default bound on the tokens of one forward pass of the engine (its packed row). On a CPU
# the cost is about linear in tokens, so the budget mostly bounds memory (the attention mask
# grows with its square); on a GPU a larger budget runs faster.
TOKEN_BUDGET = 1024


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
        out.append(_answer_logprob(logits, ans))
    return torch.cat(out)


def _answer_logprob(logits: torch.Tensor, answer: torch.Tensor) -> torch.Tensor:
    """Mean log-probability of ``answer`` [T] from the logits that predict it [B, T, V]."""
    logp = torch.log_softmax(logits.float(), dim=-1)
    picked = logp.gather(-1, answer.expand(len(logits), -1).unsqueeze(-1)).squeeze(-1)
    return picked.mean(-1).double().cpu()


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
    # Indices of the attributable tokens among all the question's tokens (equal to
    # ``range(len(scores))`` when the whole question is attributable).
    positions: list[int] = field(default_factory=list)


# --- what is attributed --------------------------------------------------------------------


def span_positions(q: EncodedQuestion, span: Span | None = None) -> list[int]:
    """Indices of the question's tokens that are attributable: those overlapping the
    character ``span`` (start, end) of ``q.text``; all of them when ``span`` is None."""
    if span is None:
        return list(range(len(q.ids)))
    lo, hi = span
    return [i for i, (s, e) in enumerate(q.offsets) if s < hi and lo < e]


def stem_span(record: dict) -> Span:
    """The question stem of a multiple-choice record's prompt (the lettered options and the
    instruction excluded); the whole question of any other record.

    Works on raw MC records (``question`` is the stem) and on the prompt/answer form of
    :meth:`Benchmark.prompts` (``question`` is the full :func:`mc_prompt`).
    """
    text = record["question"]
    if "choices" in record:
        tail = mc_prompt({"question": "", "choices": record["choices"]})
        if text.endswith(tail):
            return (0, len(text) - len(tail))
    return (0, len(text))


SpanChoice = str | Span | Callable[[dict], Span] | None


def record_span(record: dict, span: SpanChoice) -> Span | None:
    """Resolve a span choice for one record: ``None`` or ``"question"`` (the whole question),
    ``"stem"`` (:func:`stem_span`), a fixed ``(start, end)``, or a function of the record."""
    if span is None or span == "question":
        return None
    if span == "stem":
        return stem_span(record)
    if callable(span):
        return span(record)
    if isinstance(span, tuple):
        return span
    raise ValueError(f"span={span!r}: expected 'question', 'stem', (start, end) or a function")


@dataclass(frozen=True)
class _Job:
    """One attribution problem as token ids: ``prefix + question + suffix`` then answer."""

    q: EncodedQuestion
    answer: str
    positions: list[int]  # attributable question-token indices
    prompt: list[int]
    answer_ids: list[int]
    offset: int  # index of the question's first token in ``prompt``

    def ablated(self, i: int) -> list[int]:
        """The prompt with question token ``i`` deleted."""
        g = self.offset + i
        return self.prompt[:g] + self.prompt[g + 1 :]


def _job(
    tok: PreTrainedTokenizerBase, question: str, answer: str, fmt: ChatFormat, span: Span | None
) -> _Job:
    q = encode_question(tok, question)
    return _Job(
        q=q,
        answer=answer,
        positions=span_positions(q, span),
        prompt=prompt_ids(fmt, q.ids),
        answer_ids=list(encode_answer(tok, answer)),
        offset=len(fmt.prefix_ids),
    )


def _result(tok: PreTrainedTokenizerBase, job: _Job, lp_full: float, scores) -> Attribution:
    """Build the :class:`Attribution` of ``job`` from ``LP(x, y)`` and the contributions."""
    ids = [job.q.ids[i] for i in job.positions]
    return Attribution(
        question=job.q.text,
        answer=job.answer,
        tokens=[tok.decode([i]) for i in ids],
        token_ids=ids,
        offsets=[tuple(job.q.offsets[i]) for i in job.positions],
        scores=np.asarray(scores, dtype=float),
        lp_full=float(lp_full),
        positions=list(job.positions),
    )


def _empty_answer(tok: PreTrainedTokenizerBase, job: _Job) -> Attribution:
    """An answer without tokens has no ``LP``: every score is NaN."""
    return _result(tok, job, float("nan"), np.full(len(job.positions), np.nan))


# --- reference paths -------------------------------------------------------------------------


@torch.no_grad()
def _lp_alone(model: PreTrainedModel, context: list[int], answer: list[int]) -> float:
    """``LP(context, answer)`` from one unpadded forward pass of one sequence."""
    ids = torch.tensor([context + answer], device=model.device)
    logits = model(input_ids=ids, logits_to_keep=len(answer) + 1).logits[:, :-1]
    return float(_answer_logprob(logits, torch.tensor(answer, device=model.device))[0])


def contribution_reference(
    model: PreTrainedModel,
    tok: PreTrainedTokenizerBase,
    prompt: str,
    answer: str,
    *,
    fmt: ChatFormat | None = None,
    span: Span | None = None,
) -> Attribution:
    """``C(x_i, y)`` the simplest way: every prompt scored alone, unpadded (for tests)."""
    job = _job(tok, prompt, answer, fmt or chat_format(tok), span)
    if not job.answer_ids:
        return _empty_answer(tok, job)
    full = _lp_alone(model, job.prompt, job.answer_ids)
    without = [_lp_alone(model, job.ablated(i), job.answer_ids) for i in job.positions]
    return _result(tok, job, full, full - np.asarray(without))


def contribution_plain(
    model: PreTrainedModel,
    tok: PreTrainedTokenizerBase,
    prompt: str,
    answer: str,
    *,
    fmt: ChatFormat | None = None,
    span: Span | None = None,
    batch_size: int = 16,
) -> Attribution:
    """``C(x_i, y)`` from all ``n + 1`` full prompts in left-padded batches
    (:func:`mean_logprob`): the plain batched baseline the engine is measured against."""
    job = _job(tok, prompt, answer, fmt or chat_format(tok), span)
    if not job.answer_ids:
        return _empty_answer(tok, job)
    contexts = [job.prompt] + [job.ablated(i) for i in job.positions]
    lp = mean_logprob(model, contexts, job.answer_ids, batch_size=batch_size).numpy()
    return _result(tok, job, lp[0], lp[0] - lp[1:])


# --- the engine --------------------------------------------------------------------------------


def _cache_kwarg(model: PreTrainedModel) -> str:
    """Name of the cache argument of ``model.forward``: ``cache`` from transformers 5.2x,
    ``past_key_values`` before."""
    return "cache" if "cache" in inspect.signature(model.forward).parameters else "past_key_values"


def engine_supported(model: PreTrainedModel, length: int) -> bool:
    """Whether the engine is exact for ``model`` on sequences of ``length`` tokens: it needs
    custom 4D attention masks (``sdpa`` or ``eager`` attention) and layers that attend to
    the whole sequence (no sliding window shorter than it)."""
    window = getattr(model.config, "sliding_window", None)
    impl = getattr(model.config, "_attn_implementation", None) or "eager"
    return impl in ("sdpa", "eager") and (window is None or window >= length)


@dataclass
class _Piece:
    """A run of tokens in a packed row: the full sequence of a job, or one deletion's tail.

    The piece sees itself causally and the key/value columns ``[lo, hi)`` of what came
    before (the full sequence's unchanged prefix), and ends with the answer.
    """

    job: int  # index of its job
    slot: int  # 0: the full sequence; k >= 1: the k-th deletion
    ids: list[int]
    start_pos: int  # position id of its first token
    prefix: int  # how many tokens of the full sequence it sees before itself
    lo: int = 0  # key/value columns of that prefix, set when packed
    hi: int = 0


def _pieces(k: int, job: _Job) -> list[_Piece]:
    """The full sequence of ``job`` and, for each deletion at global position ``g``, the tail
    that follows the unchanged prefix ``[0, p)``, ``p = min(g, L - T - 2)`` (a tail must
    hold the token that predicts ``y_1``)."""
    seq = job.prompt + job.answer_ids
    L, T = len(seq), len(job.answer_ids)
    out = [_Piece(k, 0, seq, 0, 0)]
    for slot, i in enumerate(job.positions, start=1):
        g = job.offset + i
        p = min(g, L - T - 2)
        out.append(_Piece(k, slot, seq[p:g] + seq[g + 1 :], p, p))
    return out


@torch.no_grad()
def _run_row(
    model: PreTrainedModel,
    pieces: list[_Piece],
    answers: list[torch.Tensor],
    past: list[tuple[torch.Tensor, torch.Tensor]] | None = None,
    keep_cache: bool = False,
) -> tuple[list[float], list[tuple[torch.Tensor, torch.Tensor]] | None]:
    """One forward pass of packed ``pieces`` (one row), after an optional cached prefix.

    Each piece attends to its prefix columns ``[lo, hi)`` and causally to itself, through a
    custom additive 4D mask; position ids restart at each piece's ``start_pos``. Only the
    logits that predict answer tokens are computed.

    Returns:
        ``LP`` of each piece's answer, and (``keep_cache``) the row's keys and values per layer.
    """
    device, dtype = model.device, model.dtype
    P = past[0][0].shape[2] if past else 0
    N = sum(len(pc.ids) for pc in pieces)
    allowed = torch.zeros((N, P + N), dtype=torch.bool)
    ids, pos, keep = [], [], []
    start = 0
    for pc in pieces:
        n, T = len(pc.ids), len(answers[pc.job])
        allowed[start : start + n, pc.lo : pc.hi] = True
        own = torch.ones((n, n), dtype=torch.bool).tril()
        allowed[start : start + n, P + start : P + start + n] = own
        ids += pc.ids
        pos += range(pc.start_pos, pc.start_pos + n)
        keep += range(start + n - T - 1, start + n - 1)
        start += n
    mask = torch.zeros((1, 1, N, P + N), dtype=dtype)
    mask[0, 0].masked_fill_(~allowed, torch.finfo(dtype).min)
    args: dict = {}
    cache = None
    if past or keep_cache:
        cache = DynamicCache(ddp_cache_data=past) if past else DynamicCache()
        args = {_cache_kwarg(model): cache, "use_cache": True}
    else:
        args = {"use_cache": False}
    logits = model(
        input_ids=torch.tensor([ids], device=device),
        attention_mask=mask.to(device),
        position_ids=torch.tensor([pos], device=device),
        logits_to_keep=torch.tensor(keep, device=device),
        **args,
    ).logits[0]
    lps, at = [], 0
    for pc in pieces:
        T = len(answers[pc.job])
        lps.append(float(_answer_logprob(logits[None, at : at + T], answers[pc.job])[0]))
        at += T
    kv = [(layer.keys, layer.values) for layer in cache.layers] if keep_cache else None
    return lps, kv


@dataclass
class _Row:
    """The pieces of one forward pass, after ``past`` cached tokens of job ``cached``."""

    pieces: list[_Piece]
    cached: int | None = None  # job whose full sequence's first ``past`` tokens are cached
    past: int = 0
    keep_cache: bool = False  # keep this row's keys/values for the rows that follow


def _plan(jobs: list[_Job], token_budget: int) -> list[_Row]:
    """Pack the pieces of ``jobs`` into rows of at most ``token_budget`` tokens (a row holds
    at least one piece beyond a full sequence, so a budget smaller than a prompt still works).

    A job whose pieces fit is packed whole, next to other such jobs: its deletions see its full
    sequence in the same row. A larger job gets rows of its own: the first holds its full
    sequence and the first deletions, and keeps its cache; the next rows hold the remaining
    deletions, which see the cached prefix of the full sequence.
    """
    rows: list[_Row] = []
    row: list[_Piece] = []
    used = 0

    def flush() -> None:
        nonlocal row, used
        if row:
            rows.append(_Row(row))
        row, used = [], 0

    for k, job in enumerate(jobs):
        full, *tails = _pieces(k, job)
        work = len(full.ids) + sum(len(pc.ids) for pc in tails)
        if work <= token_budget:
            if used + work > token_budget:
                flush()
            for pc in [full, *tails]:
                pc.lo, pc.hi = used, used + pc.prefix
            row += [full, *tails]
            used += work
            continue
        flush()
        first, used = [full], len(full.ids)
        while tails and (len(first) == 1 or used + len(tails[0].ids) <= token_budget):
            pc = tails.pop(0)
            pc.lo, pc.hi = 0, pc.prefix
            first.append(pc)
            used += len(pc.ids)
        rows.append(_Row(first, keep_cache=bool(tails)))
        while tails:
            group = [tails.pop(0)]
            used = len(group[0].ids)
            while tails and used + len(tails[0].ids) <= token_budget:
                used += len(tails[0].ids)
                group.append(tails.pop(0))
            for pc in group:
                pc.lo, pc.hi = 0, pc.prefix
            rows.append(_Row(group, cached=k, past=max(pc.prefix for pc in group)))
        used = 0
    flush()
    return rows


def _engine(
    model: PreTrainedModel, jobs: list[_Job], token_budget: int, progress: tqdm | None = None
) -> list[tuple[float, np.ndarray]]:
    """``LP`` of the full prompt and of every deletion of each job (with at least one answer
    token), by packed prefix reuse (module docstring)."""
    answers = [torch.tensor(j.answer_ids, device=model.device) for j in jobs]
    lps: list[list[float]] = [[0.0] * (len(j.positions) + 1) for j in jobs]
    left = [len(j.positions) + 1 for j in jobs]
    kv: list[tuple[torch.Tensor, torch.Tensor]] | None = None
    for row in _plan(jobs, token_budget):
        past = None
        if row.cached is not None and kv is not None:
            past = [(k[:, :, : row.past], v[:, :, : row.past]) for k, v in kv]
        out, new_kv = _run_row(model, row.pieces, answers, past, row.keep_cache)
        if row.keep_cache:
            kv = new_kv
        for pc, lp in zip(row.pieces, out):
            lps[pc.job][pc.slot] = lp
            left[pc.job] -= 1
            if left[pc.job] == 0 and progress is not None:
                progress.update(1)
    return [(lp[0], np.array(lp[1:])) for lp in lps]


def _attribute_jobs(
    model: PreTrainedModel,
    tok: PreTrainedTokenizerBase,
    jobs: list[_Job],
    token_budget: int,
    batch_size: int,
    progress: tqdm | None = None,
) -> list[Attribution]:
    """Attributions of ``jobs``: by the engine where it is exact for ``model``, otherwise
    (sliding-window or flash attention) by :func:`mean_logprob` in batches of ``batch_size``."""
    scored = [k for k, j in enumerate(jobs) if j.answer_ids]
    for k in scored:
        if len(jobs[k].prompt) < 2 and jobs[k].positions:
            raise ValueError("deleting the only prompt token leaves no context to score y")
    longest = max((len(jobs[k].prompt) + len(jobs[k].answer_ids) for k in scored), default=0)
    lps: dict[int, tuple[float, np.ndarray]] = {}
    if engine_supported(model, longest):
        lps = dict(zip(scored, _engine(model, [jobs[k] for k in scored], token_budget, progress)))
    else:
        for k in scored:
            job = jobs[k]
            contexts = [job.prompt] + [job.ablated(i) for i in job.positions]
            lp = mean_logprob(model, contexts, job.answer_ids, batch_size=batch_size).numpy()
            lps[k] = (float(lp[0]), lp[1:])
            if progress is not None:
                progress.update(1)
    if progress is not None:
        progress.update(len(jobs) - len(scored))
    return [
        _result(tok, job, lps[k][0], lps[k][0] - lps[k][1]) if k in lps else _empty_answer(tok, job)
        for k, job in enumerate(jobs)
    ]


def contribution(
    model: PreTrainedModel,
    tok: PreTrainedTokenizerBase,
    prompt: str,
    answer: str,
    *,
    fmt: ChatFormat | None = None,
    batch_size: int = 16,
    span: Span | None = None,
    token_budget: int = TOKEN_BUDGET,
) -> Attribution:
    """Signed leave-one-out contribution ``C(x_i, y)`` of every attributable token of ``prompt``.

    ``prompt`` is the user's question; it is wrapped in the chat template (``fmt``), whose
    tokens are never ablated. Computed by the prefix-reuse engine (module docstring).

    Args:
        model: a causal LM in eval mode.
        tok: its tokenizer.
        prompt: the question text.
        answer: the answer ``y`` scored under teacher forcing (the gold answer by default
            in the study, so the same ``y`` is scored before and after unlearning).
        fmt: chat format; default ``chat_format(tok)``.
        batch_size: at most this many ablations per forward pass.
        span: the attributable character span ``(start, end)`` of ``prompt``; default all.
        token_budget: at most this many tokens (rows x length) per forward pass.
    """
    job = _job(tok, prompt, answer, fmt or chat_format(tok), span)
    return _attribute_jobs(model, tok, [job], token_budget, batch_size)[0]


def contributions(
    model: PreTrainedModel,
    tok: PreTrainedTokenizerBase,
    records: Sequence[dict],
    *,
    answer: str | Sequence[str] = "gold",
    span: SpanChoice = "question",
    fmt: ChatFormat | None = None,
    token_budget: int = TOKEN_BUDGET,
    batch_size: int = 64,
    progress: bool = True,
    desc: str = "attributing",
) -> list[Attribution]:
    """``C(x_i, y)`` for many records (``question`` and ``answer`` fields), with a progress bar.

    Args:
        model, tok: the model and its tokenizer.
        records: prompt/answer records, e.g. :meth:`Benchmark.prompts` (multiple-choice
            records there carry the lettered prompt as ``question`` and the letter as answer).
        answer: ``"gold"`` (each record's ``answer``), ``"greedy"`` (the model's own greedy
            answer, :func:`greedy_answers`), or one answer string per record. A greedy answer
            without tokens gives NaN scores.
        span: which part of each question is attributable (:func:`record_span`): the whole
            question (default), ``"stem"`` for a multiple-choice prompt's stem, a fixed
            ``(start, end)``, or a function of the record. Chat-template tokens never are.
        fmt: chat format; default ``chat_format(tok)``.
        token_budget: at most this many tokens (rows x length) per forward pass.
        batch_size: at most this many ablations per forward pass.
        progress: show a tqdm bar.
        desc: the bar's label.
    """
    fmt = fmt or chat_format(tok)
    questions = [r["question"] for r in records]
    if answer == "gold":
        answers = [r["answer"] for r in records]
    elif answer == "greedy":
        answers = greedy_answers(model, tok, questions, fmt=fmt, progress=progress)
    elif isinstance(answer, str) or len(answer) != len(records):
        raise ValueError("answer: expected 'gold', 'greedy' or one answer per record")
    else:
        answers = list(answer)
    jobs = [
        _job(tok, q, a, fmt, record_span(r, span)) for r, q, a in zip(records, questions, answers)
    ]
    with tqdm(total=len(jobs), desc=desc, unit="prompt", disable=not progress) as bar:
        return _attribute_jobs(model, tok, jobs, token_budget, batch_size, bar)


def key_tokens(
    scores: Sequence[float] | np.ndarray, alpha: float = 0.5, beta: int = 3
) -> list[int]:
    """KeyTokens ``K(x, y)`` from contributions (book/methods.md; the defaults are ours).

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
