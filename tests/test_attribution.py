"""The contribution C(x_i, y) and the KeyTokens rule, against hand computations."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from unpactlib.attribution import contribution, key_tokens, mean_logprob
from unpactlib.prompting import chat_format, encode_answer, encode_question, prompt_ids

# Batched, left-padded fp32 forwards agree with unpadded single forwards to ~1e-6 nats;
# we allow 1e-4.
TOL = 1e-4


def reference_mean_logprob(model, context: list[int], answer: list[int]) -> float:
    """LP(x, y) from one unpadded forward of one sequence, token by token."""
    ids = torch.tensor([context + answer])
    with torch.no_grad():
        logp = torch.log_softmax(model(input_ids=ids).logits[0].double(), -1)
    n = len(context)
    return float(np.mean([logp[n - 1 + k, a].item() for k, a in enumerate(answer)]))


@pytest.mark.parametrize("n_prompt,n_answer,batch", [(5, 1, 2), (9, 4, 3), (17, 6, 32)])
def test_batched_contribution_equals_one_at_a_time(tiny_model, n_prompt, n_answer, batch):
    g = torch.Generator().manual_seed(n_prompt)
    prompt = torch.randint(1, 97, (n_prompt,), generator=g).tolist()
    answer = torch.randint(1, 97, (n_answer,), generator=g).tolist()
    contexts = [prompt] + [prompt[:i] + prompt[i + 1 :] for i in range(n_prompt)]
    batched = mean_logprob(tiny_model, contexts, answer, batch_size=batch)
    reference = [reference_mean_logprob(tiny_model, c, answer) for c in contexts]
    np.testing.assert_allclose(batched.numpy(), reference, atol=TOL, rtol=0)
    contributions = batched[0] - batched[1:]
    expected = reference[0] - np.array(reference[1:])
    np.testing.assert_allclose(contributions.numpy(), expected, atol=TOL, rtol=0)


def test_contribution_deletes_only_question_tokens(tiny_smol, tok):
    question, answer = "Who leads the Amber Ferry Guild?", "Selwyn Thornmoor"
    attr = contribution(tiny_smol, tok, question, answer, batch_size=4)
    q = encode_question(tok, question)
    assert attr.token_ids == list(q.ids)
    assert len(attr.scores) == len(q.ids)
    fmt = chat_format(tok)
    a = list(encode_answer(tok, answer))
    full = reference_mean_logprob(tiny_smol, prompt_ids(fmt, q.ids), a)
    assert attr.lp_full == pytest.approx(full, abs=TOL)
    i = 3  # delete one token by hand; the chat template stays whole
    without = reference_mean_logprob(tiny_smol, prompt_ids(fmt, q.ids[:i] + q.ids[i + 1 :]), a)
    assert attr.scores[i] == pytest.approx(full - without, abs=TOL)


def test_key_tokens_few_positive_returns_all_positive():
    # P = {1, 3}: |P| = 2 < beta = 3, so K = P whatever their size.
    assert key_tokens([-0.2, 0.05, 0.0, 0.9, -1.0], alpha=0.5, beta=3) == [1, 3]


def test_key_tokens_threshold_branch():
    # P = {0, 1, 2, 4}, max 0.8; ratios 1.0, 0.5, 0.125, 0.625 -> strictly above 0.5: {0, 4}.
    scores = [0.8, 0.4, 0.1, -0.3, 0.5]
    assert key_tokens(scores, alpha=0.5, beta=3) == [0, 4]
    # alpha = 0.1 admits 0.125 too; beta = 5 > |P| = 4 returns all of P.
    assert key_tokens(scores, alpha=0.1, beta=3) == [0, 1, 2, 4]
    assert key_tokens(scores, alpha=0.5, beta=5) == [0, 1, 2, 4]


def test_key_tokens_none_positive():
    assert key_tokens([-0.1, 0.0, -2.0]) == []
