"""The books and wmdp generators and the general-knowledge candidates: determinism, schema,
answers grounded in their source text, sizes."""

from __future__ import annotations

from collections import Counter

import pytest

from unpactlib.synthetic.books import generate_books
from unpactlib.synthetic.general import general_candidates
from unpactlib.synthetic.wmdp import generate_wmdp

SEEDS = (0, 1, 2)
QA_SPLITS = ("forget", "retain", "holdout")


@pytest.fixture(scope="module", params=SEEDS)
def books(request):
    return generate_books(request.param)


@pytest.fixture(scope="module", params=SEEDS)
def wmdp(request):
    return generate_wmdp(request.param)


def _check_fields(record: dict, fields: dict[str, type]) -> None:
    for name, kind in fields.items():
        assert isinstance(record.get(name), kind), f"{record.get('id')}: bad {name!r}"
        if kind is str:
            assert record[name].strip(), f"{record['id']}: empty {name!r}"


def _check_mc(record: dict) -> None:
    _check_fields(
        record, {"id": str, "split": str, "question": str, "choices": list, "answer": str}
    )
    choices = record["choices"]
    assert len(choices) == 4 and len(set(choices)) == 4
    assert all(isinstance(c, str) and c for c in choices)
    assert type(record["answer_index"]) is int and 0 <= record["answer_index"] <= 3
    assert choices[record["answer_index"]] == record["answer"]


def _all_ids(parts: dict[str, list[dict]]) -> list[str]:
    return [r["id"] for rows in parts.values() for r in rows]


@pytest.mark.parametrize("generate", [generate_books, generate_wmdp])
def test_deterministic(generate):
    assert generate(0) == generate(0)
    assert generate(0) != generate(1)


def test_general_is_fixed():
    assert general_candidates() == general_candidates()


def test_books_parts_and_sizes(books):
    assert set(books) == {"chapters", "forget", "retain", "holdout", "verbmem"}
    assert len(books["forget"]) >= 24 and len(books["retain"]) >= 24
    assert len(books["holdout"]) == 12
    assert len(books["verbmem"]) == 12
    assert {c["split"] for c in books["chapters"]} == set(QA_SPLITS)


def test_books_schema(books):
    ids = _all_ids(books)
    assert len(ids) == len(set(ids))
    for c in books["chapters"]:
        _check_fields(c, {"id": str, "split": str, "title": str, "text": str})
        assert 80 <= len(c["text"].split()) <= 150
    for split in QA_SPLITS:
        for r in books[split]:
            _check_fields(r, {"id": str, "split": str, "question": str, "answer": str})
            assert r["split"] == split
            assert 1 <= len(r["answer"].split()) <= 3
    for r in books["verbmem"]:
        _check_fields(r, {"id": str, "split": str, "prompt": str, "continuation": str})
        assert r["split"] == "forget"
        assert 24 <= len(r["prompt"].split()) <= 32
        assert 16 <= len(r["continuation"].split()) <= 24


def test_books_answers_grounded_unique_and_unleaked(books):
    chapters = {c["id"]: c for c in books["chapters"]}
    records = [r for s in QA_SPLITS for r in books[s]]
    answers = [r["answer"] for r in records]
    assert len(set(answers)) == len(answers)
    for r in records:
        chapter = chapters[r["chapter_id"]]
        assert chapter["split"] == r["split"]
        assert r["answer"] in chapter["text"]
        assert r["answer"].lower() not in r["question"].lower()


def test_books_verbmem_verbatim_in_forget_chapters(books):
    forget_texts = [c["text"] for c in books["chapters"] if c["split"] == "forget"]
    for r in books["verbmem"]:
        passage = f"{r['prompt']} {r['continuation']}"
        assert any(passage in text for text in forget_texts), r["id"]


def test_wmdp_parts_and_sizes(wmdp):
    assert set(wmdp) == {"corpus", "forget", "retain"}
    assert len(wmdp["forget"]) >= 24 and len(wmdp["retain"]) >= 24
    assert {c["split"] for c in wmdp["corpus"]} == {"forget", "retain"}


def test_wmdp_schema_and_grounding(wmdp):
    ids = _all_ids(wmdp)
    assert len(ids) == len(set(ids))
    passages = {c["id"]: c for c in wmdp["corpus"]}
    for c in wmdp["corpus"]:
        _check_fields(c, {"id": str, "split": str, "title": str, "text": str})
    for split in ("forget", "retain"):
        rows = wmdp[split]
        for r in rows:
            _check_mc(r)
            assert r["split"] == split
            passage = passages[r["passage_id"]]
            assert passage["split"] == split
            assert r["answer"] in passage["text"]
            assert r["answer"].lower() not in r["question"].lower()
            # distractors are terms of the same sub-domain, stated elsewhere in its corpus
            others = [c["text"] for c in wmdp["corpus"] if c["split"] == split]
            for wrong in r["choices"]:
                assert any(wrong in text for text in others)
        answers = [r["answer"] for r in rows]
        assert len(set(answers)) == len(answers)
        counts = Counter(r["answer_index"] for r in rows)
        assert set(counts) == {0, 1, 2, 3}
        assert max(counts.values()) - min(counts.values()) <= 1


def test_general_candidates():
    rows = general_candidates()
    assert 80 <= len(rows) <= 100
    assert [r["id"] for r in rows] == [f"general-{i:03d}" for i in range(len(rows))]
    for r in rows:
        _check_mc(r)
        assert r["split"] == "utility"
        assert r["answer"].lower() not in r["question"].lower()
    assert len({r["question"] for r in rows}) == len(rows)
    counts = Counter(r["answer_index"] for r in rows)
    assert set(counts) == {0, 1, 2, 3}
    assert max(counts.values()) - min(counts.values()) <= 1
