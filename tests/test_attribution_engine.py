"""The attribution engine against a one-at-a-time reference, a hand computation and captum;
span choice; the captum methods; contribution tracking on hand-made rows."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch

from unpactlib.attribution import (
    _job,
    _plan,
    contribution,
    contribution_plain,
    contribution_reference,
    contributions,
    engine_supported,
    span_positions,
    stem_span,
)
from unpactlib.attribution_captum import (
    captum_deletion,
    captum_feature_ablation,
    captum_integrated_gradients,
    text_deletion_exact,
)
from unpactlib.benchmarks import load_benchmark
from unpactlib.generation import greedy_answers
from unpactlib.models import tiny_llama
from unpactlib.prompting import ChatFormat, chat_format, encode_answer, encode_question
from unpactlib.tracking import (
    jaccard,
    key_contrast,
    lost_positive,
    prompt_tracking,
    score_change,
    token_changes,
    tracking_summary,
)

# fp32: the engine's packed rows and the reference's single sequences differ by float
# rounding only (about 1e-6 nats on these models).
TOL = 1e-5
LENGTHS = [1, 5, 17, 40]


@pytest.fixture(scope="module")
def words(tok) -> list[str]:
    """Words that are one token with their leading space, and stay one token in any sequence
    of such words, so that deleting one from the text leaves the others' ids unchanged."""
    pool = []
    for i in tok.get_vocab().values():
        word = tok.decode([i])
        letters = word[1:]
        if word.startswith(" ") and letters.isalpha() and letters.islower() and len(word) > 3:
            pool.append(word)
    pool = [w for w in pool if len(tok(w, add_special_tokens=False)["input_ids"]) == 1]
    return sorted(pool)


def random_prompt(tok, words: list[str], n: int, seed: int) -> str:
    """A prompt of exactly ``n`` tokens, drawn from ``words``."""
    text = "".join(random.Random(seed).choices(words, k=n))
    assert len(encode_question(tok, text).ids) == n
    return text


@pytest.mark.parametrize("n", LENGTHS)
def test_engine_equals_reference(tiny_smol, tok, words, n):
    prompt = random_prompt(tok, words, n, seed=n)
    answer = random_prompt(tok, words, 3, seed=100 + n)
    fast = contribution(tiny_smol, tok, prompt, answer)
    ref = contribution_reference(tiny_smol, tok, prompt, answer)
    assert fast.token_ids == ref.token_ids == list(encode_question(tok, prompt).ids)
    assert fast.positions == list(range(n))
    assert fast.lp_full == pytest.approx(ref.lp_full, abs=TOL)
    np.testing.assert_allclose(fast.scores, ref.scores, atol=TOL, rtol=0)
    plain = contribution_plain(tiny_smol, tok, prompt, answer, batch_size=7)
    np.testing.assert_allclose(plain.scores, ref.scores, atol=TOL, rtol=0)


@pytest.mark.parametrize("n", LENGTHS)
def test_engine_equals_captum_deletion(tiny_smol, tok, words, n):
    prompt = random_prompt(tok, words, n, seed=n)
    answer = random_prompt(tok, words, 3, seed=100 + n)
    fast = contribution(tiny_smol, tok, prompt, answer)
    exact = captum_deletion(tiny_smol, tok, prompt, answer, forward_in_tokens=False)
    np.testing.assert_allclose(exact.scores, fast.scores, atol=TOL, rtol=0)
    # These prompts tokenise back to the same ids after any deletion, so captum's plain
    # string template gives the same numbers too.
    assert text_deletion_exact(tok, prompt).all()
    text = captum_deletion(tiny_smol, tok, prompt, answer, ids="text", with_lp=False)
    np.testing.assert_allclose(text.scores, fast.scores, atol=TOL, rtol=0)
    assert np.isnan(text.lp_full)


def test_text_template_is_not_always_exact(tok):
    # Deleting " Thorn" from "Selwyn Thornmoor" leaves "Selwynmoor", which BPE merges anew.
    exact = text_deletion_exact(tok, "Who is Selwyn Thornmoor?")
    q = encode_question(tok, "Who is Selwyn Thornmoor?")
    assert not exact.all()
    assert exact.sum() >= len(q.ids) - 2


def logprob_step_by_step(model, context: list[int], answer: list[int]) -> float:
    """LP(x, y) by hand: one forward pass per answer token, no cache, no padding."""
    total = 0.0
    for k, y in enumerate(answer):
        ids = torch.tensor([context + answer[:k]])
        with torch.no_grad():
            logits = model(input_ids=ids).logits[0, -1].double()
        total += float(torch.log_softmax(logits, -1)[y])
    return total / len(answer)


@pytest.mark.parametrize("n", [2, 3])
def test_hand_computation(tiny_smol, tok, words, n):
    # No chat template: deleting one of two tokens leaves a one-token context.
    bare = ChatFormat((), (), (), ())
    prompt = random_prompt(tok, words, n, seed=7)
    answer = random_prompt(tok, words, 2, seed=8)
    x = list(encode_question(tok, prompt).ids)
    y = list(encode_answer(tok, answer))
    full = logprob_step_by_step(tiny_smol, x, y)
    expected = [full - logprob_step_by_step(tiny_smol, x[:i] + x[i + 1 :], y) for i in range(n)]
    for fmt in (bare, None):
        if fmt is None:  # with the chat template, by hand as well
            f = chat_format(tok)
            ctx = [*f.prefix_ids, *x, *f.suffix_ids]
            full = logprob_step_by_step(tiny_smol, ctx, y)
            expected = []
            for i in range(n):
                g = len(f.prefix_ids) + i
                expected.append(full - logprob_step_by_step(tiny_smol, ctx[:g] + ctx[g + 1 :], y))
        attr = contribution(tiny_smol, tok, prompt, answer, fmt=fmt)
        assert attr.lp_full == pytest.approx(full, abs=TOL)
        np.testing.assert_allclose(attr.scores, expected, atol=TOL, rtol=0)


def test_single_token_prompt_without_template_is_refused(tiny_smol, tok, words):
    with pytest.raises(ValueError, match="no context"):
        contribution(tiny_smol, tok, words[0], words[1], fmt=ChatFormat((), (), (), ()))


def records_of_lengths(tok, words) -> list[dict]:
    return [
        {
            "question": random_prompt(tok, words, n, seed=n),
            "answer": random_prompt(tok, words, t, seed=t),
        }
        for n, t in [(5, 1), (17, 4), (1, 2), (40, 3), (9, 6)]
    ]


def test_token_budget_small_and_large_agree(tiny_smol, tok, words):
    records = records_of_lengths(tok, words)
    kwargs = {"progress": False}
    small = contributions(tiny_smol, tok, records, token_budget=8, **kwargs)
    mid = contributions(tiny_smol, tok, records, token_budget=120, **kwargs)
    large = contributions(tiny_smol, tok, records, token_budget=100_000, **kwargs)
    # Rows of other shapes round differently: a few float32 ulps of LP (about 1e-6 at 10 nats).
    for s, m, big in zip(small, mid, large):
        np.testing.assert_allclose(s.scores, big.scores, atol=5e-6, rtol=0)
        np.testing.assert_allclose(m.scores, big.scores, atol=5e-6, rtol=0)
        assert s.lp_full == pytest.approx(big.lp_full, abs=5e-6)


def test_plan_respects_the_budget(tok, words):
    fmt = chat_format(tok)
    jobs = [
        _job(tok, r["question"], r["answer"], fmt, None) for r in records_of_lengths(tok, words)
    ]
    for budget in (8, 60, 120, 1000):
        rows = _plan(jobs, budget)
        slots = sorted((pc.job, pc.slot) for row in rows for pc in row.pieces)
        assert slots == sorted(
            (k, s) for k, j in enumerate(jobs) for s in range(len(j.positions) + 1)
        )
        for row in rows:
            size = sum(len(pc.ids) for pc in row.pieces)
            # a row exceeds the budget only when it holds a single piece beyond a full sequence
            assert size <= budget or len(row.pieces) <= 2


def test_many_prompts_equal_one_at_a_time(tiny_smol, tok, words):
    records = records_of_lengths(tok, words)
    attrs = contributions(tiny_smol, tok, records, progress=False)
    for r, a in zip(records, attrs):
        ref = contribution_reference(tiny_smol, tok, r["question"], r["answer"])
        np.testing.assert_allclose(a.scores, ref.scores, atol=TOL, rtol=0)
        assert a.question == r["question"] and a.answer == r["answer"]


def test_stem_span_of_multiple_choice_prompts(tiny_smol, tok):
    bench = load_benchmark("wmdp")
    raw = bench["forget"][0]
    record = bench.prompts("forget")[0]
    assert record["question"].startswith(raw["question"])
    assert stem_span(record) == (0, len(raw["question"]))
    assert stem_span(raw) == (0, len(raw["question"]))  # a raw record's question is the stem
    (attr,) = contributions(tiny_smol, tok, [record], span="stem", progress=False)
    q = encode_question(tok, record["question"])
    stem = encode_question(tok, raw["question"])
    assert attr.token_ids == list(stem.ids)  # the options and instruction are not ablated
    assert attr.positions == span_positions(q, stem_span(record)) == list(range(len(stem.ids)))
    ref = contribution_reference(
        tiny_smol, tok, record["question"], record["answer"], span=stem_span(record)
    )
    np.testing.assert_allclose(attr.scores, ref.scores, atol=TOL, rtol=0)
    (whole,) = contributions(tiny_smol, tok, [record], progress=False)
    assert len(whole.scores) == len(q.ids)
    np.testing.assert_allclose(whole.scores[: len(stem.ids)] - attr.scores, 0, atol=TOL)


def test_greedy_answer(tiny_smol, tok, words):
    records = records_of_lengths(tok, words)[:3]
    answers = greedy_answers(tiny_smol, tok, [r["question"] for r in records], progress=False)
    attrs = contributions(tiny_smol, tok, records, answer="greedy", progress=False)
    given = contributions(tiny_smol, tok, records, answer=answers, progress=False)
    assert [a.answer for a in attrs] == answers
    for a, g in zip(attrs, given):
        np.testing.assert_allclose(a.scores, g.scores, atol=TOL, rtol=0)


def test_empty_answer_gives_nan(tiny_smol, tok, words):
    (attr,) = contributions(
        tiny_smol, tok, [{"question": words[0] + words[1], "answer": ""}], progress=False
    )
    assert np.isnan(attr.lp_full) and np.isnan(attr.scores).all() and len(attr.scores) == 2


def test_models_outside_the_engine_fall_back(tok, words):
    model = tiny_llama(vocab_size=len(tok), seed=1).eval()
    model.config.sliding_window = 4  # the engine would be wrong with a short window
    assert not engine_supported(model, 20)
    prompt, answer = random_prompt(tok, words, 6, 1), random_prompt(tok, words, 2, 2)
    attr = contribution(model, tok, prompt, answer, batch_size=3)
    ref = contribution_reference(model, tok, prompt, answer)
    np.testing.assert_allclose(attr.scores, ref.scores, atol=TOL, rtol=0)


def test_captum_feature_ablation_replaces_tokens(tiny_smol, tok, words):
    prompt, answer = random_prompt(tok, words, 6, 3), random_prompt(tok, words, 2, 4)
    attr = captum_feature_ablation(tiny_smol, tok, prompt, answer, baseline=0)
    fmt = chat_format(tok)
    x, y = list(encode_question(tok, prompt).ids), list(encode_answer(tok, answer))
    ctx = [*fmt.prefix_ids, *x, *fmt.suffix_ids]
    full = logprob_step_by_step(tiny_smol, ctx, y)
    i = 2
    g = len(fmt.prefix_ids) + i
    replaced = logprob_step_by_step(tiny_smol, ctx[:g] + [0] + ctx[g + 1 :], y)
    assert attr.scores[i] == pytest.approx(full - replaced, abs=TOL)
    assert attr.lp_full == pytest.approx(full, abs=TOL)


def test_captum_integrated_gradients_completeness(tiny_smol, tok, words):
    prompt, answer = random_prompt(tok, words, 5, 5), random_prompt(tok, words, 2, 6)
    attr = captum_integrated_gradients(tiny_smol, tok, prompt, answer, n_steps=64)
    fmt = chat_format(tok)
    x, y = list(encode_question(tok, prompt).ids), list(encode_answer(tok, answer))
    ctx = [*fmt.prefix_ids, *x, *fmt.suffix_ids]
    base = [*fmt.prefix_ids, *[0] * len(x), *fmt.suffix_ids]
    gap = logprob_step_by_step(tiny_smol, ctx, y) - logprob_step_by_step(tiny_smol, base, y)
    assert len(attr.scores) == 5 and np.isfinite(attr.scores).all()
    assert attr.scores.sum() == pytest.approx(gap, abs=0.05 * abs(gap) + 1e-3)


# --- contribution tracking on hand-made rows --------------------------------------------------


def rows() -> list[dict]:
    return [
        # p1: keys {0, 2}; after: token 0 drops to -0.1 (loses C>0), token 2 stays positive.
        {"id": "p1", "split": "forget", "model": "original", "tokens": ["a", "b", "c"],
         "scores": [0.4, -0.2, 0.3], "keys": [0, 2]},
        {"id": "p1", "split": "forget", "model": "npo", "tokens": ["a", "b", "c"],
         "scores": [-0.1, -0.2, 0.1], "keys": [2]},
        # p2: no keys before; after, token 1 becomes key.
        {"id": "p2", "split": "forget", "model": "original", "tokens": ["x", "y"],
         "scores": [-0.5, 0.0], "keys": []},
        {"id": "p2", "split": "forget", "model": "npo", "tokens": ["x", "y"],
         "scores": [-0.5, 0.2], "keys": [1]},
        # p3 (retain): same key set, both stay positive.
        {"id": "p3", "split": "retain", "model": "original", "tokens": ["u"],
         "scores": [0.6], "keys": [0]},
        {"id": "p3", "split": "retain", "model": "npo", "tokens": ["u"],
         "scores": [0.2], "keys": [0]},
    ]  # fmt: skip


def test_random_change_is_the_mean_over_random_draws_of_the_key_count():
    change = np.array([-0.5, 0.0, -0.2, 0.4])
    got = key_contrast([0, 2], [0.0] * 4, change.tolist())["random change"]
    # every 2-token subset of the 4 tokens, equally likely
    pairs = [(i, j) for i in range(4) for j in range(i + 1, 4)]
    assert got == pytest.approx(np.mean([change[[i, j]].mean() for i, j in pairs]))


def test_tracking_pieces():
    np.testing.assert_allclose(score_change([0.4, -0.2], [-0.1, 0.0]), [-0.5, 0.2])
    assert jaccard([0, 2], [2]) == 0.5
    assert jaccard([], []) == 1.0
    assert jaccard([], [1]) == 0.0
    assert lost_positive([0, 2], [0.4, -0.2, 0.3], [-0.1, -0.2, 0.1]) == 1
    assert lost_positive([0], [0.4], [0.0]) == 1  # C = 0 counts as lost
    with pytest.raises(ValueError):
        score_change([1.0], [1.0, 2.0])


def test_token_changes_and_prompt_tracking():
    changes = token_changes(rows(), "npo")
    assert len(changes) == 6
    p1 = changes[changes["id"] == "p1"]
    np.testing.assert_allclose(p1["change"], [-0.5, 0.0, -0.2])
    assert p1["key"].tolist() == [True, False, True]

    per = prompt_tracking(rows(), "npo").set_index("id")
    assert per.loc["p1", "key mean, before"] == pytest.approx(0.35)
    assert per.loc["p1", "key mean, after"] == pytest.approx(0.0)
    assert per.loc["p1", "keys losing C>0"] == 1
    assert per.loc["p1", "jaccard"] == 0.5 and not per.loc["p1", "same set"]
    assert np.isnan(per.loc["p2", "key mean, before"])
    assert per.loc["p2", "jaccard"] == 0.0
    assert per.loc["p3", "same set"] and per.loc["p3", "keys losing C>0"] == 0
    assert per.loc["p2", "mean change"] == pytest.approx(0.1)
    # RQ1's contrast, by hand: p1 changes by [-0.5, 0.0, -0.2], keys {0, 2}
    assert per.loc["p1", "key change"] == pytest.approx(-0.35)
    assert per.loc["p1", "other change"] == pytest.approx(0.0)
    assert per.loc["p1", "random change"] == pytest.approx(-0.7 / 3)
    assert np.isnan(per.loc["p2", "key change"]) and np.isnan(per.loc["p2", "random change"])

    summary = tracking_summary(per.reset_index())
    assert summary.loc["forget", "prompts"] == 2
    assert summary.loc["forget", "key mean, before"] == pytest.approx(0.35)  # p2 has no keys
    assert summary.loc["forget", "share of keys losing C>0"] == pytest.approx(0.5)
    assert summary.loc["forget", "jaccard"] == pytest.approx(0.25)
    assert summary.loc["forget", "same set"] == 0.0
    assert summary.loc["retain", "same set"] == 1.0
    assert summary.loc["retain", "key mean, after"] == pytest.approx(0.2)
