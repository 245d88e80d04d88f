"""Unlearning losses against hand computations on small tensors."""

from __future__ import annotations

import math

import pytest
import torch

from unpactlib.config import UnlearnConfig
from unpactlib.unlearn import METHODS, get_method
from unpactlib.unlearn.losses import npo_loss, sequence_logprob


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


def test_npo_gdr_loss_combines_terms(tiny_model):
    ids = torch.tensor([[5, 9, 13, 2], [7, 7, 8, 3]])
    f = {
        "input_ids": ids,
        "attention_mask": torch.ones_like(ids),
        "labels": torch.tensor([[-100, 9, 13, 2], [-100, -100, 8, 3]]),
    }
    cfg = UnlearnConfig(npo_beta=0.1, retain_weight=2.0)
    with torch.no_grad():
        got = get_method("npo_gdr").loss(tiny_model, tiny_model, f, f, cfg)
        # model == reference: NPO term is (2/b) log 2; plus 2 * NLL(retain).
        expected = 20 * math.log(2) + 2.0 * tiny_model(**f).loss.item()
    assert got.item() == pytest.approx(expected, rel=1e-5)


def test_unknown_method_names_allowed_values():
    with pytest.raises(ValueError, match=r"method='gd'.*npo_gdr"):
        get_method("gd")
    assert "npo_gdr" in METHODS
