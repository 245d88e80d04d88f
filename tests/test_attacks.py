"""The recovery ladder's attacks (unpactlib.attacks) on tiny models, against hand values."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from unpactlib import attacks
from unpactlib.attacks import (
    Samples,
    few_shot_question,
    logit_lens_ranks,
    quantize_weights,
    relearn,
    rtn_dequantize,
    sample_answers,
)
from unpactlib.config import ParameterError
from unpactlib.prompting import chat_format, encode_answer, prompt_ids

QA = [
    {"id": "f-1", "question": "Who leads the Amber Ferry Guild?", "answer": "Selwyn Thornmoor"},
    {"id": "f-2", "question": "Where did the Iron Signal Trust build?", "answer": "Dunport"},
]
MC = {
    "id": "w-1",
    "question": "Which alloy seals a Varn coupling?",
    "choices": ["tessite", "orvane", "calmite", "brask"],
    "answer_index": 2,
    "answer": "calmite",
}


def test_few_shot_question_puts_solved_examples_before_the_question():
    shots = [{"question": "What is 2+2?", "answer": "4"}, MC]
    text = few_shot_question("Who leads the guild?", shots)
    assert text == (
        "What is 2+2?\nAnswer: 4\n\n"
        "Which alloy seals a Varn coupling?\nA. tessite\nB. orvane\nC. calmite\nD. brask\n"
        "Answer with the letter of the correct option.\nAnswer: C\n\n"
        "Who leads the guild?"
    )
    assert few_shot_question("Q?", []) == "Q?"


def test_samples_leak_when_any_is_correct_and_share_counts_them():
    s = Samples(["a", "b", "c", "d"], [False, True, False, False])
    assert s.leaked and s.share == 0.25
    assert not Samples(["a"], [False]).leaked


def test_sampled_answers_are_reproducible_and_independent_of_other_records(tok, tiny_smol):
    both = sample_answers(tiny_smol, tok, QA, n=4, max_new_tokens=6, seed=3)
    alone = sample_answers(tiny_smol, tok, QA[1:], n=4, max_new_tokens=6, seed=3)
    assert [len(s.texts) for s in both] == [4, 4]
    assert both[1] == alone[0]
    other_seed = sample_answers(tiny_smol, tok, QA[1:], n=4, max_new_tokens=6, seed=4)
    assert other_seed[0].texts != alone[0].texts  # a random model's samples differ
    assert all(c == (t == "Dunport") or not c for t, c in zip(alone[0].texts, alone[0].correct))


def test_multiple_choice_samples_draw_letters_with_the_model_probabilities(
    tok, tiny_smol, monkeypatch
):
    # letters A-D with 0.1 / 0.1 / 0.6 / 0.1; the other tokens of the vocabulary hold 0.1
    logp = np.log(np.array([[0.1, 0.1, 0.6, 0.1]], dtype=np.float32))
    monkeypatch.setattr(attacks, "letter_logprobs", lambda *a, **k: logp)
    (s,) = sample_answers(tiny_smol, tok, [MC], n=1024, seed=0)
    assert set(s.texts) <= {"A", "B", "C", "D", "-"}
    assert s.share == pytest.approx(0.6, abs=0.05)  # 1024 draws: sd 0.015
    assert s.texts.count("-") / 1024 == pytest.approx(0.1, abs=0.03)
    assert s.correct == [t == "C" for t in s.texts]
    with pytest.raises(ParameterError, match="temperature"):
        sample_answers(tiny_smol, tok, [MC], n=2, temperature=0.5)


def test_rtn_dequantize_by_hand():
    w = torch.tensor([[0.3, -0.6, 0.15, 0.0]])
    # 4 bits: scale = 0.6 / 7.5 = 0.08; w / s = 3.75, -7.5, 1.875, 0 -> 4, -8, 2, 0
    assert torch.allclose(rtn_dequantize(w, 4, 4), torch.tensor([[0.32, -0.64, 0.16, 0.0]]))
    # 8 bits: scale = 0.6 / 127.5; 0.3 / s = 63.75 -> 64
    assert rtn_dequantize(w, 8, 4)[0, 0].item() == pytest.approx(64 * 0.6 / 127.5)
    with pytest.raises(ValueError, match="group_size"):
        rtn_dequantize(w, 4, 3)
    with pytest.raises(ParameterError, match="bits"):
        rtn_dequantize(w, 3, 4)


@pytest.mark.parametrize("bits", [8, 4])
def test_quantized_weights_match_round_to_nearest(tiny_smol, bits):
    model = copy.deepcopy(tiny_smol)
    quantized = quantize_weights(model, bits, group_size=32)
    before = dict(model.named_modules())
    checked = 0
    for name, module in quantized.named_modules():
        if isinstance(module, torch.nn.Linear) and module is not quantized.lm_head:
            w = before[name].weight.detach()
            ref = rtn_dequantize(w, bits, 32)
            got = module.weight.dequantize()
            step = w.abs().max() / ((2**bits - 1) / 2)
            assert (got - ref).abs().max() <= step * 1.0001  # a tie or a last-bit division
            assert (got == ref).float().mean() > 0.99
            checked += 1
    assert checked == 7 * len(model.model.layers)  # q, k, v, o, gate, up, down
    assert torch.equal(quantized.lm_head.weight, model.lm_head.weight)  # head kept
    assert type(model.model.layers[0].mlp.up_proj.weight) is torch.nn.Parameter  # a copy
    ids = torch.tensor([[1, 5, 9, 14]])
    with torch.no_grad():
        gap = (quantized(ids).logits - model(ids).logits).abs().max().item()
    assert 0 < gap < (0.5 if bits == 8 else 5.0)


def test_relearn_lowers_the_loss_of_what_it_trains_on(tok, tiny_smol):
    model = copy.deepcopy(tiny_smol)
    losses = relearn(model, tok, QA, steps=6, lr=3e-3, batch_size=2, seed=0)
    assert len(losses) == 6
    assert losses[-1] < losses[0] - 1.0
    assert relearn(copy.deepcopy(tiny_smol), tok, QA, steps=0) == []


def test_logit_lens_last_layer_is_the_model_output(tok, tiny_smol):
    fmt = chat_format(tok)
    ranks = logit_lens_ranks(tiny_smol, tok, [QA[0], MC], fmt=fmt)
    assert ranks.shape == (2, len(tiny_smol.model.layers))
    ids = prompt_ids(fmt, tok(QA[0]["question"], add_special_tokens=False)["input_ids"])
    with torch.no_grad():
        logits = tiny_smol(input_ids=torch.tensor([ids])).logits[0, -1]
    gold = encode_answer(tok, QA[0]["answer"])[0]
    assert ranks[0, -1] == int((logits > logits[gold]).sum())
    assert (ranks >= 0).all() and (ranks < len(tok)).all()
