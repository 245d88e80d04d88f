"""The wmdp generator and the general-knowledge candidates: determinism, schema, split sizes,
answers grounded in their passage, paraphrases, balanced answer positions."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from unpactlib.synthetic.general import general_candidates
from unpactlib.synthetic.wmdp import (
    _PARAPHRASES,
    _QUESTIONS,
    QA_PER_PASSAGE,
    SPLIT_DOCS,
    SUBDOMAIN,
    generate_wmdp,
)

SEEDS = (0, 1, 2)
WMDP_SPLITS = ("forget", "retain", "retain_train", "tune_forget", "tune_retain", "holdout")
WMDP_DOCS = {
    "forget": 16,
    "retain": 16,
    "retain_train": 16,
    "tune_forget": 8,
    "tune_retain": 8,
    "holdout": 8,
}
WMDP_FIELDS = {
    "id",
    "doc_id",
    "split",
    "fact",
    "question",
    "paraphrase",
    "choices",
    "answer_index",
    "answer",
}
CRYSTAL_FACTS = {"reagent", "device", "temperature", "crystal", "region"}
TIDE_FACTS = {"fluid", "part", "inventor", "output", "harbour"}


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


def _check_balanced(rows: list[dict]) -> None:
    counts = Counter(r["answer_index"] for r in rows)
    assert set(counts) == {0, 1, 2, 3}
    assert max(counts.values()) - min(counts.values()) <= 1


def _key(doc: dict) -> str:
    """The ore or engine a passage is about, from its title."""
    return re.sub(r"^(Refining|The) ", "", doc["title"])


def test_wmdp_deterministic():
    assert generate_wmdp(0) == generate_wmdp(0)
    assert generate_wmdp(0) != generate_wmdp(1)


def test_general_is_fixed():
    assert general_candidates() == general_candidates()


def test_wmdp_split_sizes(wmdp):
    assert SPLIT_DOCS == WMDP_DOCS and tuple(SPLIT_DOCS) == WMDP_SPLITS
    assert list(wmdp) == ["corpus", *WMDP_SPLITS]
    docs = Counter(c["split"] for c in wmdp["corpus"])
    assert docs == WMDP_DOCS
    assert {s: len(wmdp[s]) for s in WMDP_SPLITS} == {
        "forget": 48,
        "retain": 48,
        "retain_train": 48,
        "tune_forget": 24,
        "tune_retain": 24,
        "holdout": 24,
    }
    for split in WMDP_SPLITS:
        per_doc = Counter(r["doc_id"] for r in wmdp[split])
        assert len(per_doc) == WMDP_DOCS[split]
        assert set(per_doc.values()) == {QA_PER_PASSAGE}


def test_wmdp_subdomains(wmdp):
    docs = {c["id"]: c for c in wmdp["corpus"]}
    for split in WMDP_SPLITS:
        crystal = SUBDOMAIN[split] == "crystal"
        assert crystal == (split in ("forget", "tune_forget", "holdout"))
        for r in wmdp[split]:
            assert r["fact"] in (CRYSTAL_FACTS if crystal else TIDE_FACTS)
            title = docs[r["doc_id"]]["title"]
            assert title.startswith("Refining ") if crystal else title.endswith(" engine")


def test_wmdp_corpus(wmdp):
    ids = [c["id"] for c in wmdp["corpus"]]
    assert len(ids) == len(set(ids))
    keys = [_key(c).lower() for c in wmdp["corpus"]]
    for i, a in enumerate(keys):  # distinct names: none contains another
        assert not any(a in b or b in a for b in keys[:i] + keys[i + 1 :]), a
    for c in wmdp["corpus"]:
        assert set(c) == {"id", "split", "title", "text"}
        _check_fields(c, {"id": str, "split": str, "title": str, "text": str})
        assert c["id"] == f"wmdp-{c['split']}-{c['id'][-2:]}"
        assert _key(c).lower() in c["text"].lower()
        assert 30 <= len(c["text"].split()) <= 55  # short: training time grows with tokens


def test_wmdp_schema_and_grounding(wmdp):
    ids = [r["id"] for s in WMDP_SPLITS for r in wmdp[s]]
    assert len(ids) == len(set(ids))
    docs = {c["id"]: c for c in wmdp["corpus"]}
    for split in WMDP_SPLITS:
        rows = wmdp[split]
        split_docs = [c for c in wmdp["corpus"] if c["split"] == split]
        for r in rows:
            assert set(r) == WMDP_FIELDS
            _check_mc(r)
            _check_fields(r, {"doc_id": str, "fact": str, "paraphrase": str})
            assert r["split"] == split
            assert r["id"] == f"{r['doc_id']}-{r['fact']}"
            doc = docs[r["doc_id"]]
            assert doc["split"] == split
            assert r["answer"] in doc["text"]
            for asked in (r["question"], r["paraphrase"]):
                assert r["answer"].lower() not in asked.lower()
                assert _key(doc) in asked  # names the passage's ore or engine
            for wrong in r["choices"]:
                if wrong == r["answer"]:
                    continue
                # a fact of another passage of the same split, not stated in this one
                assert wrong not in doc["text"]
                assert sum(wrong in c["text"] for c in split_docs) == 1
        answers = [r["answer"] for r in rows]
        assert len(set(answers)) == len(answers)


def test_wmdp_paraphrases_differ_from_every_question(wmdp):
    for fact, phrasings in _PARAPHRASES.items():
        assert len(phrasings) >= 2
        assert not set(phrasings) & {q for qs in _QUESTIONS.values() for q in qs}, fact
    assert set(_PARAPHRASES) == set(_QUESTIONS)
    records = [r for s in WMDP_SPLITS for r in wmdp[s]]
    questions = {r["question"] for r in records}
    for r in records:
        assert r["paraphrase"] not in questions, r["id"]
        assert r["paraphrase"].endswith("?")


@pytest.mark.parametrize("split", WMDP_SPLITS)
def test_wmdp_answer_positions_balanced(wmdp, split):
    _check_balanced(wmdp[split])


def test_general_candidates():
    rows = general_candidates()
    assert 200 <= len(rows) <= 260
    assert [r["id"] for r in rows] == [f"general-{i:03d}" for i in range(len(rows))]
    for i, r in enumerate(rows):
        _check_mc(r)
        assert r["split"] == "utility"
        assert r["answer_index"] == i % 4
        assert r["answer"].lower() not in r["question"].lower()
    assert len({r["question"] for r in rows}) == len(rows)
    _check_balanced(rows)
