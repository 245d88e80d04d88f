"""Multiple-choice prompts and scoring by option letters, against hand computations."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from unpactlib.multiple_choice import (
    as_prompt_answer,
    letter_ids,
    letter_logprobs,
    mc_correct,
    mc_prompt,
    option_logprobs,
    pair_mean_logprob,
)
from unpactlib.prompting import chat_format, prompt_ids

ITEM = {
    "id": "q1",
    "split": "forget",
    "question": "Which mineral glows under the twin moons?",
    "choices": ["Veltrite", "Oskarine", "Pellum", "Drathite"],
    "answer_index": 2,
    "answer": "Pellum",
}


def test_mc_prompt_and_letter_answer():
    assert mc_prompt(ITEM) == (
        "Which mineral glows under the twin moons?\nA. Veltrite\nB. Oskarine\nC. Pellum\n"
        "D. Drathite\nAnswer with the letter of the correct option."
    )
    pair = as_prompt_answer(ITEM)
    assert pair["answer"] == "C" and pair["question"] == mc_prompt(ITEM)


def test_mc_correct_by_hand():
    logp = np.array([[-1.0, -0.5, -3.0, -2.0], [-0.1, -4.0, -4.0, -4.0]])
    assert mc_correct(logp, [1, 2]) == [True, False]


def test_option_logprobs_match_unbatched_forward(tiny_smol, tok):
    other = dict(ITEM, question="Which engine turns with the tide?", answer_index=0)
    got = option_logprobs(tiny_smol, tok, [ITEM, other], batch_size=2)
    fmt = chat_format(tok)
    letters = letter_ids(tok, 4)
    for row, record in enumerate([ITEM, other]):
        ids = prompt_ids(fmt, tok(mc_prompt(record), add_special_tokens=False)["input_ids"])
        with torch.no_grad():
            logits = tiny_smol(input_ids=torch.tensor([ids])).logits[0, -1]
        expected = torch.log_softmax(logits, -1)[letters].numpy()
        np.testing.assert_allclose(got[row], expected, atol=1e-4)


def test_letter_logprobs_one_pass_equal_scoring_each_letter_as_an_answer(tiny_smol, tok):
    # one forward pass per prompt gives what scoring "prompt + letter" once per option gives
    messages = [mc_prompt(ITEM), mc_prompt(dict(ITEM, question="Which engine turns?"))]
    got = letter_logprobs(tiny_smol, tok, messages, 4, batch_size=2)
    fmt = chat_format(tok)
    pairs = [
        (prompt_ids(fmt, tok(m, add_special_tokens=False)["input_ids"]), [letter])
        for m in messages
        for letter in letter_ids(tok, 4)
    ]
    each = pair_mean_logprob(tiny_smol, pairs, pad_id=tok.pad_token_id, batch_size=3)
    np.testing.assert_allclose(got, each.reshape(2, 4), atol=1e-4)
    assert letter_logprobs(tiny_smol, tok, [], 4).shape == (0, 4)


def test_option_logprobs_need_one_option_count(tiny_smol, tok):
    with pytest.raises(ValueError, match="same number of options"):
        option_logprobs(tiny_smol, tok, [ITEM, dict(ITEM, choices=ITEM["choices"][:3])])


def test_letters_are_single_tokens(tok):
    assert len(set(letter_ids(tok, 4))) == 4


def test_rouge_l_f1_by_hand():
    from unpactlib.metrics import mean_rouge_l_f1, rouge_l_f1

    # LCS of "the red fox jumps" and "the quick red fox" is "the red fox": 3 tokens;
    # precision 3/4, recall 3/4 -> F1 0.75.
    assert rouge_l_f1("the red fox jumps", "the quick red fox") == pytest.approx(0.75)
    assert mean_rouge_l_f1(["a b", "c"], ["a b", "d"]) == pytest.approx(0.5)


def test_cloze_logprobs_match_unbatched_forward(tiny_smol, tok):
    from unpactlib.attribution import mean_logprob
    from unpactlib.multiple_choice import cloze_logprobs

    got = cloze_logprobs(tiny_smol, tok, [ITEM], batch_size=3)
    fmt = chat_format(tok)
    context = prompt_ids(fmt, tok(ITEM["question"], add_special_tokens=False)["input_ids"])
    for j, choice in enumerate(ITEM["choices"]):
        answer = tok(choice, add_special_tokens=False)["input_ids"]
        expected = float(mean_logprob(tiny_smol, [context], answer)[0])
        assert got[0, j] == pytest.approx(expected, abs=1e-4)
