"""Batches for training, and fine-tuning of the target model.

The target model learns QA pairs on the answer tokens only (the loss is masked on the prompt,
the choice that teaches SmolLM2 the invented facts fastest), and the benchmark's raw
corpus with the ordinary language-model loss, so that verbatim memorisation (VerbMem) exists
to be unlearned.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from tqdm import tqdm
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from .config import TargetConfig
from .prompting import ChatFormat, encode_answer, end_of_text_id, prompt_ids

log = logging.getLogger(__name__)
IGNORE = -100


def qa_batch(
    tok: PreTrainedTokenizerBase, fmt: ChatFormat, records: Sequence[dict]
) -> dict[str, torch.Tensor]:
    """Right-padded ``input_ids``, ``attention_mask`` and ``labels`` for QA records.

    Each sequence is ``prompt + answer + end-of-turn``; labels are ``-100`` on the prompt and
    padding, so losses cover the answer and its end token only.
    """
    seqs, labels = [], []
    for r in records:
        p = prompt_ids(fmt, tok(r["question"], add_special_tokens=False)["input_ids"])
        a = [*encode_answer(tok, r["answer"]), *fmt.end_ids]
        seqs.append(p + a)
        labels.append([IGNORE] * len(p) + a)
    return _right_pad(seqs, labels, tok.pad_token_id)


def text_batch(
    tok: PreTrainedTokenizerBase, texts: Sequence[str], max_len: int = 256
) -> dict[str, torch.Tensor]:
    """Right-padded raw texts (no chat template) ending in end-of-text, loss on every token.

    Texts longer than ``max_len`` tokens are cut.
    """
    end = [end_of_text_id(tok)]
    seqs = [(tok(t, add_special_tokens=False)["input_ids"] + end)[:max_len] for t in texts]
    return _right_pad(seqs, seqs, tok.pad_token_id)


def _right_pad(
    seqs: Sequence[Sequence[int]], labels: Sequence[Sequence[int]], pad_id: int
) -> dict[str, torch.Tensor]:
    """Right-padded ``input_ids``, ``attention_mask`` and ``labels`` (``-100`` on padding)."""
    width = max(map(len, seqs))
    ids = torch.full((len(seqs), width), pad_id, dtype=torch.long)
    lab = torch.full((len(seqs), width), IGNORE, dtype=torch.long)
    mask = torch.zeros((len(seqs), width), dtype=torch.long)
    for row, (s, lb) in enumerate(zip(seqs, labels)):
        ids[row, : len(s)] = torch.tensor(s)
        lab[row, : len(s)] = torch.tensor(lb)
        mask[row, : len(s)] = 1
    return {"input_ids": ids, "attention_mask": mask, "labels": lab}


def batches(records: Sequence[dict], batch_size: int, rng: random.Random) -> Iterator[list[dict]]:
    """One epoch of shuffled mini-batches (the order is fixed by ``rng``)."""
    order = list(range(len(records)))
    rng.shuffle(order)
    for start in range(0, len(order), batch_size):
        yield [records[i] for i in order[start : start + batch_size]]


def to_device(batch: dict[str, torch.Tensor], device: torch.device) -> dict[str, torch.Tensor]:
    """Move every tensor of a batch to ``device``."""
    return {k: v.to(device) for k, v in batch.items()}


def labelled_logits(
    model: PreTrainedModel, batch: dict[str, torch.Tensor]
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The logits that predict labelled tokens, without computing the others.

    Position ``t`` predicts token ``t + 1``; only the positions whose next token is labelled
    (not ``-100``) in some row go through the language-model head (``logits_to_keep`` given
    as their indices). On QA batches this skips the head and its softmax on every prompt
    position: the answer is a few tokens of a prompt of 30 to 70.

    Returns:
        ``logits`` ``[N, vocab]`` at the N labelled positions of the batch (row by row), their
        ``targets`` ``[N]`` and the batch ``rows`` ``[N]`` they belong to.
    """
    following = batch["labels"][:, 1:]
    labelled = following != IGNORE
    keep = labelled.any(0).nonzero().squeeze(-1)
    logits = model(
        input_ids=batch["input_ids"],
        attention_mask=batch["attention_mask"],
        logits_to_keep=keep,
        use_cache=False,
    ).logits
    mask = labelled[:, keep]
    rows = mask.nonzero()[:, 0]
    return logits[mask], following[:, keep][mask], rows


def nll(model: PreTrainedModel, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """Mean negative log-likelihood per labelled token (the usual language-model loss).

    The same number as ``model(**batch).loss``, from :func:`labelled_logits` (checked in
    ``tests/test_losses.py``).
    """
    logits, targets, _ = labelled_logits(model, batch)
    return F.cross_entropy(logits.float(), targets)


def adamw(params: Iterable[torch.nn.Parameter], **kwargs: float) -> torch.optim.AdamW:
    """``torch.optim.AdamW`` in its fused form: one kernel over all parameters instead of a
    loop over tensors, several times faster per step on a CPU (``measure/bench_training.py``
    times both). The arithmetic is AdamW's either way."""
    return torch.optim.AdamW(params, fused=True, **kwargs)


@torch.no_grad()
def interpolate_weights(
    model: PreTrainedModel, start: dict[str, torch.Tensor], weight: float
) -> None:
    """Set every parameter named in ``start`` to ``start + weight * (current - start)``.

    With ``start`` the weights before fine-tuning this is WiSE-FT's weight-space ensemble
    (Wortsman et al., 2022): ``weight=0`` gives the starting model back, ``weight=1`` leaves
    the fine-tuned one as it is.
    """
    params = dict(model.named_parameters())
    for name, theta0 in start.items():
        p = params[name]
        p.copy_(theta0.to(p.device, p.dtype).lerp(p.detach(), weight))


@dataclass
class TrainHistory:
    """What happened during fine-tuning: losses per epoch and the checks of the stop rule."""

    epoch_loss: list[float] = field(default_factory=list)
    checks: list[dict] = field(default_factory=list)
    epochs: int = 0


def finetune_target(
    model: PreTrainedModel,
    tok: PreTrainedTokenizerBase,
    fmt: ChatFormat,
    records: Sequence[dict],
    cfg: TargetConfig,
    evaluate: Callable[[PreTrainedModel], dict[str, float]],
    seed: int = 0,
    texts: Sequence[str] = (),
    stop_on: Sequence[str] = ("forget", "retain"),
) -> TrainHistory:
    """Fine-tune on QA records (and raw ``texts``) until the scores ``stop_on`` from
    ``evaluate`` all reach ``cfg.min_accuracy`` (its other scores are only recorded).

    An epoch is every QA batch and every text batch, in an order shuffled by ``seed``.
    ``evaluate`` runs every ``cfg.eval_every`` epochs (and after the last); training stops at
    the first check where those values reach the threshold, or after ``cfg.max_epochs``.
    With ``cfg.freeze_embeddings`` the token embeddings (and a tied output head) keep their
    weights; they are left with ``requires_grad`` off. With ``cfg.interpolate < 1`` the
    trained weights are then interpolated towards the starting ones
    (:func:`interpolate_weights`) and ``evaluate`` runs once more; that check, marked with
    its ``interpolate`` weight, is the last of the history.
    """
    torch.manual_seed(seed)
    rng = random.Random(seed)
    if cfg.freeze_embeddings:  # tied weights: the output head is frozen with them
        model.get_input_embeddings().weight.requires_grad_(False)
    trained = [p for p in model.parameters() if p.requires_grad]
    start = {}
    if cfg.interpolate < 1:
        start = {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}
    opt = adamw(trained, lr=cfg.lr, weight_decay=cfg.weight_decay)
    history = TrainHistory()
    bar = tqdm(range(1, cfg.max_epochs + 1), desc="fine-tuning target", unit="epoch")
    for epoch in bar:
        model.train()
        losses = []
        work = [qa_batch(tok, fmt, c) for c in batches(records, cfg.batch_size, rng)]
        work += [text_batch(tok, c) for c in batches(list(texts), cfg.batch_size, rng)]
        rng.shuffle(work)
        for batch in work:
            loss = nll(model, to_device(batch, model.device))
            loss.backward()
            opt.step()
            opt.zero_grad(set_to_none=True)
            losses.append(loss.item())
        history.epoch_loss.append(sum(losses) / len(losses))
        history.epochs = epoch
        bar.set_postfix(loss=f"{history.epoch_loss[-1]:.3f}")
        if epoch % cfg.eval_every == 0 or epoch == cfg.max_epochs:
            model.eval()
            scores = evaluate(model)
            history.checks.append({"epoch": epoch, **scores})
            log.info("epoch %d: %s", epoch, scores)
            if all(scores[k] >= cfg.min_accuracy for k in stop_on if k in scores):
                break
    model.eval()
    if start:
        del opt  # the optimiser's state, before the evaluation's memory
        interpolate_weights(model, start, cfg.interpolate)
        scores = evaluate(model)
        history.checks.append({"epoch": history.epochs, "interpolate": cfg.interpolate, **scores})
        log.info("interpolated %.2f: %s", cfg.interpolate, scores)
    return history
