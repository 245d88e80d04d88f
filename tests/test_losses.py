"""Unlearning losses against hand computations on small tensors."""

from __future__ import annotations

import math

import pytest
import torch

from unpactlib.config import UnlearnConfig
from unpactlib.models import tiny_llama
from unpactlib.training import adamw, labelled_logits, nll
from unpactlib.unlearn import METHODS, get_method
from unpactlib.unlearn.losses import (
    Reference,
    kl_ref_model,
    labelled_logprobs,
    npo_loss,
    retain_kl,
    sequence_logprob,
)


def test_npo_loss_by_hand():
    # Two forget sequences, b = 0.1.
    # log-ratios: -1.0 - (-3.0) = 2.0 and -4.0 - (-2.0) = -2.0.
    # (2/b) * mean(log(1 + exp(b * r))) = 20 * (log(1 + e^0.2) + log(1 + e^-0.2)) / 2
    logp = torch.tensor([-1.0, -4.0])
    logp_ref = torch.tensor([-3.0, -2.0])
    by_hand = 20 * (math.log(1 + math.exp(0.2)) + math.log(1 + math.exp(-0.2))) / 2
    assert npo_loss(logp, logp_ref, beta=0.1).item() == pytest.approx(by_hand, rel=1e-6)


def test_npo_loss_is_2log2_over_b_at_reference():
    # p_model = p_ref: (2/b) log 2.
    x = torch.tensor([-5.0, -0.5, -12.0])
    assert npo_loss(x, x, beta=0.5).item() == pytest.approx(4 * math.log(2), rel=1e-6)


def test_sequence_logprob_sums_labelled_tokens(tiny_model):
    ids = torch.tensor([[5, 9, 13, 2]])
    batch = {
        "input_ids": ids,
        "attention_mask": torch.ones_like(ids),
        "labels": torch.tensor([[-100, -100, 13, 2]]),
    }
    with torch.no_grad():
        logp = torch.log_softmax(tiny_model(input_ids=ids).logits[0], -1)
        expected = logp[1, 13] + logp[2, 2]
        assert sequence_logprob(tiny_model, batch).item() == pytest.approx(
            expected.item(), abs=1e-5
        )


def _ragged_batch() -> dict[str, torch.Tensor]:
    """Two right-padded rows whose labelled tokens sit at different positions."""
    ids = torch.tensor([[5, 9, 13, 2, 0, 0], [7, 7, 8, 3, 11, 4]])
    mask = torch.tensor([[1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1]])
    labels = torch.tensor([[-100, -100, 13, 2, -100, -100], [-100, -100, -100, -100, 11, 4]])
    return {"input_ids": ids, "attention_mask": mask, "labels": labels}


def test_labelled_logits_are_the_full_logits_at_labelled_positions(tiny_model):
    batch = _ragged_batch()
    with torch.no_grad():
        full = tiny_model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
        logits, targets, rows = labelled_logits(tiny_model, batch)
    # row 0 predicts 13 and 2 from positions 1 and 2; row 1 predicts 11 and 4 from 3 and 4
    expected = torch.stack(
        [full.logits[0, 1], full.logits[0, 2], full.logits[1, 3], full.logits[1, 4]]
    )
    assert torch.allclose(logits, expected, atol=1e-5)
    assert targets.tolist() == [13, 2, 11, 4]
    assert rows.tolist() == [0, 0, 1, 1]


def test_nll_is_the_model_loss(tiny_model):
    batch = _ragged_batch()
    with torch.no_grad():
        assert nll(tiny_model, batch).item() == pytest.approx(
            tiny_model(**batch).loss.item(), rel=1e-6
        )


def test_sequence_logprob_of_ragged_rows_by_hand(tiny_model):
    batch = _ragged_batch()
    with torch.no_grad():
        logp = torch.log_softmax(
            tiny_model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits,
            -1,
        )
        got = sequence_logprob(tiny_model, batch)
    assert got[0].item() == pytest.approx((logp[0, 1, 13] + logp[0, 2, 2]).item(), abs=1e-5)
    assert got[1].item() == pytest.approx((logp[1, 3, 11] + logp[1, 4, 4]).item(), abs=1e-5)


def test_retain_kl_by_hand(tiny_model):
    batch = _ragged_batch()
    other = tiny_llama(vocab_size=97, seed=5).eval()
    with torch.no_grad():
        inputs = {"input_ids": batch["input_ids"], "attention_mask": batch["attention_mask"]}
        p = torch.log_softmax(tiny_model(**inputs).logits, -1)
        q = torch.log_softmax(other(**inputs).logits, -1)
        at = [(0, 1), (0, 2), (1, 3), (1, 4)]
        expected = sum((q[r, t].exp() * (q[r, t] - p[r, t])).sum() for r, t in at) / 4
        got = retain_kl(tiny_model, labelled_logprobs(other, batch), batch)
    assert got.item() == pytest.approx(expected.item(), rel=1e-5)
    assert kl_ref_model(q[0, 1], q[0, 1]).item() == pytest.approx(0.0, abs=1e-6)


def test_fused_adamw_takes_adamws_step():
    torch.manual_seed(0)
    w = torch.randn(5, 3)
    grads = [torch.randn(5, 3) for _ in range(3)]
    out = []
    for make in (
        lambda p: torch.optim.AdamW(p, lr=0.1, weight_decay=0.01, foreach=False),
        lambda p: adamw(p, lr=0.1, weight_decay=0.01),
    ):
        p = torch.nn.Parameter(w.clone())
        opt = make([p])
        for g in grads:
            p.grad = g.clone()
            opt.step()
        out.append(p.detach())
    assert torch.allclose(out[0], out[1], atol=1e-6)


def test_npo_gdr_loss_combines_terms(tiny_model):
    ids = torch.tensor([[5, 9, 13, 2], [7, 7, 8, 3]])
    f = {
        "input_ids": ids,
        "attention_mask": torch.ones_like(ids),
        "labels": torch.tensor([[-100, 9, 13, 2], [-100, -100, 8, 3]]),
    }
    cfg = UnlearnConfig(npo_beta=0.1, retain_weight=2.0)
    with torch.no_grad():
        reference = Reference.needing(forget=True, retain=False)
        reference.record(tiny_model, f, f)
        got = get_method("npo_gdr").loss(tiny_model, reference, f, f, cfg)
        # model == reference: NPO term is (2/b) log 2; plus 2 * NLL(retain).
        expected = 20 * math.log(2) + 2.0 * tiny_model(**f).loss.item()
    assert got.item() == pytest.approx(expected, rel=1e-5)


def test_unknown_method_names_allowed_values():
    with pytest.raises(ValueError, match=r"method='gd'.*npo_gdr"):
        get_method("gd")
    assert "npo_gdr" in METHODS
