"""Replay records: the base model's own answers to everyday requests, never a utility item."""

from __future__ import annotations

import pytest

from unpactlib.benchmarks import UTILITY_FILE
from unpactlib.metrics import normalise_answer
from unpactlib.replay import REPLAY_PROMPTS, REPLAY_QUESTIONS, replay_records
from unpactlib.results import read_jsonl
from unpactlib.synthetic.general import general_candidates


def test_replay_prompts_ask_no_utility_question():
    utility = read_jsonl(UTILITY_FILE)
    prompts = [normalise_answer(p) for p in REPLAY_PROMPTS]
    assert len(set(prompts)) == len(prompts) == 64
    for item in utility:
        question = normalise_answer(item["question"])
        for p in prompts:
            assert question not in p, (item["question"], p)


def test_replay_questions_ask_other_facts_than_every_utility_candidate():
    questions = [normalise_answer(q) for q in REPLAY_QUESTIONS]
    assert len(set(questions)) == len(questions) == 64
    for item in general_candidates():  # the whole table, not only the items utility keeps
        candidate = normalise_answer(item["question"])
        for q in questions:
            assert candidate not in q and q not in candidate, (item["question"], q)


def test_replay_records_are_the_models_greedy_answers(tiny_smol, tok):
    from unpactlib.generation import greedy_answers

    records = replay_records(tiny_smol, tok, 3, max_new_tokens=4)
    expected = greedy_answers(tiny_smol, tok, REPLAY_PROMPTS[:3], max_new_tokens=4)
    assert [r["answer"] for r in records] == [a for a in expected if a]
    assert all(r["split"] == "replay" and r["id"].startswith("replay-") for r in records)
    assert replay_records(tiny_smol, tok, 0) == []


def test_replay_records_take_their_prompts_and_name(monkeypatch):
    import unpactlib.replay as replay

    monkeypatch.setattr(replay, "greedy_answers", lambda m, t, asked, **kw: ["Bern.", " ", "Four"])
    named = replay_records(None, None, 3, prompts=REPLAY_QUESTIONS, name="question")
    assert named == [  # the empty answer is left out, the ids keep their positions
        {
            "id": "question-00",
            "split": "replay",
            "question": REPLAY_QUESTIONS[0],
            "answer": "Bern.",
        },
        {"id": "question-02", "split": "replay", "question": REPLAY_QUESTIONS[2], "answer": "Four"},
    ]
    with pytest.raises(ValueError, match="n=65"):
        replay_records(None, None, 65)
