"""Other attribution methods, through captum 0.9, returning the same :class:`Attribution`.

Every method scores the same sequence as :mod:`unpactlib.attribution`: the chat prefix, the
question, the chat suffix, then the answer ids of :func:`encode_answer` (passed to captum as
a tensor target, so captum never re-tokenises the answer). Only the attributable span of the
question is perturbed; chat-template tokens never are. captum's ``seq_attr`` is a *sum* over
the answer's ``T`` tokens; it is divided by ``T`` here to match the study's mean ``LP``.

* :func:`captum_deletion`: ``LLMAttribution(FeatureAblation)`` over a ``TextTemplateInput``
  whose features are the span's tokens, with empty-string baselines: an ablated token is
  *deleted*, which is the study's ``C(x_i, y)``. Two ways to turn the template into ids:

  - ``ids="exact"`` (default): the template is a function that returns the token ids of the
    kept tokens, so every perturbed prompt is exactly ``prompt_ids`` minus one token;
  - ``ids="text"``: the usual string template, re-tokenised by captum. Deleting a token from
    the text and tokenising again does not always give the other tokens back: BPE may merge
    across the gap (``"Sel" + "wyn" + " Thorn" + "moor"`` without ``" Thorn"`` is the new word
    ``"Selwynmoor"``). :func:`text_deletion_exact` says, per token, whether it does; where it
    does, both ways give the same numbers.

  ``forward_in_tokens=False`` scores the answer in one forward pass (exact); captum's default
  ``True`` decodes the answer token by token through the generation cache, which with
  transformers 5.x returns wrong log-probabilities after the first answer token, and is
  slower; it is exposed for timing.
* :func:`captum_feature_ablation`: the same with a ``TextTokenInput``: an ablated token is
  *replaced* by a baseline id (captum's default 0), positions unchanged.
* :func:`captum_integrated_gradients`: ``LLMGradientAttribution(LayerIntegratedGradients)``
  on the input embeddings, the baseline being the baseline id's embedding at the span's tokens.
"""

from __future__ import annotations

import numpy as np
import torch
from captum.attr import (
    FeatureAblation,
    LayerIntegratedGradients,
    LLMAttribution,
    LLMGradientAttribution,
    TextTemplateInput,
    TextTokenInput,
)
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from .attribution import Attribution, Span, _Job, _job, _lp_alone, _result
from .prompting import ChatFormat, chat_format


class _ChatTokenInput(TextTokenInput):
    """A ``TextTokenInput`` over given ids whose interpretable tokens are chosen by *position*.

    captum's own constructor tokenises text and can skip tokens only by identity, which cannot
    tell the chat template's newline from one inside the question; this sets the same fields
    from our ids and a positional mask.
    """

    def __init__(
        self, tok: PreTrainedTokenizerBase, ids: list[int], positions: list[int], baseline: int
    ) -> None:
        self.inp_tensor = torch.tensor([ids])
        mask = torch.zeros_like(self.inp_tensor, dtype=torch.bool)
        mask[0, positions] = True
        self.itp_mask = mask
        self.itp_tensor = self.inp_tensor[mask].unsqueeze(0)
        self.skip_tokens = None
        self.values = tok.convert_ids_to_tokens(self.itp_tensor[0].tolist())
        self.tokenizer = tok
        self.n_itp_features = len(positions)
        self.baselines = baseline


def _prepare(
    tok: PreTrainedTokenizerBase,
    prompt: str,
    answer: str,
    fmt: ChatFormat | None,
    span: Span | None,
) -> _Job:
    job = _job(tok, prompt, answer, fmt or chat_format(tok), span)
    if not job.answer_ids:
        raise ValueError("the answer has no tokens")
    if not job.positions:
        raise ValueError("nothing to attribute: the span holds no token")
    return job


def _finish(
    model: PreTrainedModel,
    tok: PreTrainedTokenizerBase,
    job: _Job,
    seq_attr: torch.Tensor,
    with_lp: bool,
) -> Attribution:
    """An :class:`Attribution` from captum's summed ``seq_attr``: divided by ``T``."""
    scores = seq_attr.detach().double().cpu().numpy() / len(job.answer_ids)
    lp = _lp_alone(model, job.prompt, job.answer_ids) if with_lp else float("nan")
    return _result(tok, job, lp, scores)


def _template_exact(job: _Job):
    """A ``TextTemplateInput`` template that returns ids: the prompt without the features
    whose value is the empty baseline (values are BPE token strings, never empty)."""
    span = [job.offset + i for i in job.positions]

    def build(*values: str) -> torch.Tensor:
        gone = {g for g, v in zip(span, values) if v == ""}
        return torch.tensor([[t for g, t in enumerate(job.prompt) if g not in gone]])

    return build


def _template_text(tok: PreTrainedTokenizerBase, job: _Job) -> tuple[str, list[str]]:
    """A string template (chat prefix, question with ``{}`` at each span token, chat suffix)
    and the span tokens' texts."""

    def text(ids) -> str:
        return (
            tok.decode(list(ids), clean_up_tokenization_spaces=False)
            .replace("{", "{{")
            .replace("}", "}}")
        )

    ids = job.prompt
    span = set(job.offset + i for i in job.positions)
    parts, run, values = [], [], []
    for g, t in enumerate(ids):
        if g in span:
            parts.append(text(run) + "{}")
            run = []
            values.append(tok.decode([t], clean_up_tokenization_spaces=False))
        else:
            run.append(t)
    parts.append(text(run))
    return "".join(parts), values


def text_deletion_exact(
    tok: PreTrainedTokenizerBase,
    prompt: str,
    *,
    fmt: ChatFormat | None = None,
    span: Span | None = None,
) -> np.ndarray:
    """Per attributable token: whether captum's string template with that token deleted
    tokenises back to exactly our ids (``prompt_ids`` minus the token)."""
    job = _job(tok, prompt, "", fmt or chat_format(tok), span)
    template, values = _template_text(tok, job)
    out = []
    for k, i in enumerate(job.positions):
        text = template.format(*(v if j != k else "" for j, v in enumerate(values)))
        out.append(tok(text, add_special_tokens=True)["input_ids"] == job.ablated(i))
    return np.array(out, dtype=bool)


def captum_deletion(
    model: PreTrainedModel,
    tok: PreTrainedTokenizerBase,
    prompt: str,
    answer: str,
    *,
    fmt: ChatFormat | None = None,
    span: Span | None = None,
    ids: str = "exact",
    forward_in_tokens: bool = False,
    with_lp: bool = True,
) -> Attribution:
    """``C(x_i, y)`` by captum: ``FeatureAblation`` with deletion (empty-string baselines).

    Args:
        ids: ``"exact"`` (the template returns our ids) or ``"text"`` (captum re-tokenises the
            template's text; exact only where :func:`text_deletion_exact` holds).
        forward_in_tokens: captum's default ``True`` (token-by-token decoding, wrong with
            transformers 5.x) or ``False`` (one forward pass, exact).
        with_lp: also compute ``lp_full`` (one extra forward pass); NaN otherwise.
    """
    job = _prepare(tok, prompt, answer, fmt, span)
    values = tok.convert_ids_to_tokens([job.q.ids[i] for i in job.positions])
    if ids == "exact":
        inp = TextTemplateInput(_template_exact(job), values=values, baselines=[""] * len(values))
    elif ids == "text":
        template, texts = _template_text(tok, job)
        inp = TextTemplateInput(template, values=texts, baselines=[""] * len(texts))
    else:
        raise ValueError(f"ids={ids!r}: expected 'exact' or 'text'")
    llm = LLMAttribution(FeatureAblation(model), tok)
    target = torch.tensor(job.answer_ids, device=model.device)
    with torch.no_grad():
        res = llm.attribute(inp, target=target, forward_in_tokens=forward_in_tokens)
    return _finish(model, tok, job, res.seq_attr, with_lp)


def captum_feature_ablation(
    model: PreTrainedModel,
    tok: PreTrainedTokenizerBase,
    prompt: str,
    answer: str,
    *,
    fmt: ChatFormat | None = None,
    span: Span | None = None,
    baseline: int = 0,
    forward_in_tokens: bool = False,
    with_lp: bool = True,
) -> Attribution:
    """Baseline replacement by captum: ``FeatureAblation`` over the span's tokens, each
    replaced by token id ``baseline`` (captum's default 0, ``<|endoftext|>`` for SmolLM2);
    the score is ``LP(x, y) - LP(x with x_i replaced, y)``."""
    job = _prepare(tok, prompt, answer, fmt, span)
    inp = _ChatTokenInput(tok, job.prompt, [job.offset + i for i in job.positions], baseline)
    llm = LLMAttribution(FeatureAblation(model), tok)
    with torch.no_grad():
        res = llm.attribute(
            inp,
            target=torch.tensor(job.answer_ids, device=model.device),
            forward_in_tokens=forward_in_tokens,
        )
    return _finish(model, tok, job, res.seq_attr, with_lp)


def captum_integrated_gradients(
    model: PreTrainedModel,
    tok: PreTrainedTokenizerBase,
    prompt: str,
    answer: str,
    *,
    fmt: ChatFormat | None = None,
    span: Span | None = None,
    baseline: int = 0,
    n_steps: int = 32,
    internal_batch_size: int | None = 8,
    with_lp: bool = True,
) -> Attribution:
    """Integrated gradients by captum: ``LayerIntegratedGradients`` on the input embeddings,
    from the embedding of token ``baseline`` at the span's tokens to the real ones, summed over
    the embedding dimension; by completeness the scores add up to about
    ``LP(x, y) - LP(baseline prompt, y)``.

    captum evaluates the ``n_steps`` points of the path ``internal_batch_size`` at a time
    (None: all at once); the scores are the same up to rounding, while the peak memory grows
    with ``internal_batch_size``."""
    job = _prepare(tok, prompt, answer, fmt, span)
    inp = _ChatTokenInput(tok, job.prompt, [job.offset + i for i in job.positions], baseline)
    lig = LayerIntegratedGradients(model, model.get_input_embeddings())
    llm = LLMGradientAttribution(lig, tok)
    res = llm.attribute(
        inp,
        target=torch.tensor(job.answer_ids, device=model.device),
        n_steps=n_steps,
        internal_batch_size=internal_batch_size,
    )
    return _finish(model, tok, job, res.seq_attr, with_lp)
