"""The books generator: splits made of whole storylines, schema, answers grounded in their
chapter, distinct names, paraphrases, each question pointing at one chapter, VerbMem,
determinism."""

from __future__ import annotations

import random
import re
from collections import Counter, defaultdict
from itertools import permutations

import pytest

from unpactlib.paths import DATA_DIR
from unpactlib.synthetic import render
from unpactlib.synthetic.books import (
    _ARTS,
    _CREATURE_KINDS,
    _OBJECT_KINDS,
    _PARAPHRASES,
    _QUESTIONS,
    CHAPTERS_PER_STORYLINE,
    SPLIT_DOCS,
    STORYLINES,
    VERBMEM_ITEMS,
    DistinctNames,
    generate_books,
)

SEEDS = (0, 1, 2)
SPLITS = ("forget", "retain", "retain_train", "tune_forget", "tune_retain", "holdout")
QA_FIELDS = {"id", "doc_id", "split", "fact", "question", "paraphrase", "answer"}
THEMES = {"art": _ARTS, "kind": _OBJECT_KINDS, "creature": _CREATURE_KINDS}
_TITLE = re.compile(r"The Tale of (.+), chapter (\d+)")
_PERSON = re.compile(r"\b[A-Z][a-z]+ [A-Z][a-z]+\b")  # characters have a first and last name


@pytest.fixture(scope="module", params=SEEDS)
def books(request):
    return generate_books(request.param)


def _qa(parts: dict[str, list[dict]]) -> list[dict]:
    return [r for s in SPLITS for r in parts[s]]


def _hero(chapter: dict) -> str:
    return _TITLE.fullmatch(chapter["title"]).group(1)


def _themes(text: str) -> dict[str, list[str]]:
    """The entries of each theme list that occur in ``text``."""
    return {theme: [e for e in entries if e in text] for theme, entries in THEMES.items()}


def test_books_folder_holds_only_generated_files():
    written = {p.name for p in (DATA_DIR / "books").iterdir()}
    assert written == set(render("books"))


def test_books_deterministic():
    assert generate_books(0) == generate_books(0)
    assert generate_books(0) != generate_books(1)


def test_distinct_names_never_contain_each_other():
    names = DistinctNames(random.Random(0))

    def make(r: random.Random) -> str:
        word = "".join(r.choice("abcdef") for _ in range(r.randint(2, 4)))
        return word.upper() if r.random() < 0.5 else word

    drawn = [names.draw(make) for _ in range(8)]
    for a, b in permutations(drawn, 2):
        assert a.lower() not in b.lower()
    once = DistinctNames(random.Random(0), max_tries=50)
    once.draw(lambda r: "Same")
    with pytest.raises(RuntimeError):
        once.draw(lambda r: "same")


def test_books_parts_and_sizes(books):
    assert list(SPLIT_DOCS.items()) == [
        ("forget", 16),
        ("retain", 16),
        ("retain_train", 16),
        ("tune_forget", 8),
        ("tune_retain", 8),
        ("holdout", 8),
    ]
    assert list(books) == ["chapters", *SPLITS, "verbmem"]
    for split, n_docs in SPLIT_DOCS.items():
        docs = [c for c in books["chapters"] if c["split"] == split]
        assert len(docs) == n_docs
        assert len(books[split]) == 3 * n_docs
        assert {r["doc_id"] for r in books[split]} == {c["id"] for c in docs}
    assert len(books["chapters"]) == sum(SPLIT_DOCS.values())
    assert len(books["verbmem"]) == VERBMEM_ITEMS == 24


def test_books_splits_are_whole_storylines(books):
    assert all(n <= min(len(e) for e in THEMES.values()) for _, n in STORYLINES)
    by_hero: dict[str, list[dict]] = defaultdict(list)
    for c in books["chapters"]:
        by_hero[_hero(c)].append(c)
    assert len(by_hero) == len(STORYLINES)
    heroes_per_split = Counter()
    for hero, chapters in by_hero.items():
        assert len({c["split"] for c in chapters}) == 1, hero
        heroes_per_split[chapters[0]["split"]] += 1
        assert len(chapters) == CHAPTERS_PER_STORYLINE
        assert [int(_TITLE.fullmatch(c["title"]).group(2)) for c in chapters] == list(
            range(1, CHAPTERS_PER_STORYLINE + 1)
        )
        # within a storyline every chapter has its own art, object kind and creature kind
        for theme in THEMES:
            found = [_themes(c["text"])[theme] for c in chapters]
            assert all(len(f) == 1 for f in found), (hero, theme, found)
            assert len({f[0] for f in found}) == len(chapters), (hero, theme)
    assert dict(heroes_per_split) == {s: n // CHAPTERS_PER_STORYLINE for s, n in SPLIT_DOCS.items()}


def test_books_schema(books):
    ids = [r["id"] for rows in books.values() for r in rows]
    assert len(ids) == len(set(ids))
    for c in books["chapters"]:
        assert set(c) == {"id", "split", "title", "text"}
        assert re.fullmatch(rf"books-{c['split']}-s\d+-\d\d", c["id"])
        assert 80 <= len(c["text"].split()) <= 150
    for split in SPLITS:
        for r in books[split]:
            assert set(r) == QA_FIELDS
            assert all(isinstance(r[f], str) and r[f].strip() for f in QA_FIELDS)
            assert r["split"] == split
            assert r["id"] == f"{r['doc_id']}-{r['fact']}"
            assert r["id"].startswith(f"books-{split}-s")
            assert 1 <= len(r["answer"].split()) <= 3
    for r in books["verbmem"]:
        assert set(r) == {"id", "doc_id", "split", "prompt", "continuation"}
        assert r["split"] == "forget"
        assert 24 <= len(r["prompt"].split()) <= 32
        assert 16 <= len(r["continuation"].split()) <= 24


def test_books_answers_grounded_distinct_and_unleaked(books):
    chapters = {c["id"]: c for c in books["chapters"]}
    records = _qa(books)
    answers = [r["answer"] for r in records]
    assert len(set(answers)) == len(answers)
    names = [a.lower() for a in answers] + [_hero(c).lower() for c in books["chapters"]]
    names = sorted(set(names))
    for a in names:  # no name is even a substring of another
        assert not [b for b in names if a != b and a in b], a
    for r in records:
        chapter = chapters[r["doc_id"]]
        assert chapter["split"] == r["split"]
        assert r["answer"] in chapter["text"]
        assert r["answer"].lower() not in r["question"].lower()
        assert r["answer"].lower() not in r["paraphrase"].lower()


def test_books_paraphrase_pools_are_disjoint_from_questions():
    assert set(_PARAPHRASES) == set(_QUESTIONS)
    questions = {t for pool in _QUESTIONS.values() for t in pool}
    paraphrases = {t for pool in _PARAPHRASES.values() for t in pool}
    assert not questions & paraphrases


def test_books_paraphrases_differ_from_every_question(books):
    records = _qa(books)
    questions = {r["question"] for r in records}
    for r in records:
        assert r["paraphrase"] not in questions
    assert len({r["paraphrase"] for r in records}) == len(records)


def test_books_questions_point_at_one_chapter(books):
    """The characters and theme entries that a question or paraphrase names occur together in
    its own chapter only, and both name the chapter's hero or, for a sibling, the same
    character."""
    chapters = {c["id"]: c for c in books["chapters"]}
    for r in _qa(books):
        keys = {}
        for field in ("question", "paraphrase"):
            text = r[field]
            keys[field] = set(_PERSON.findall(text)) | {
                e for found in _themes(text).values() for e in found
            }
            assert keys[field], text
            pointed = [c for c in chapters if all(k in chapters[c]["text"] for k in keys[field])]
            assert pointed == [r["doc_id"]], (text, pointed)
        hero = _hero(chapters[r["doc_id"]])
        assert hero in r["paraphrase"]
        if r["fact"] == "sibling":  # named by the companion's sibling, who is in both
            assert keys["question"] <= keys["paraphrase"]
        else:
            assert hero in r["question"]


def test_books_verbmem_verbatim_in_forget_chapters(books):
    chapters = {c["id"]: c for c in books["chapters"]}
    spans = defaultdict(list)
    for r in books["verbmem"]:
        chapter = chapters[r["doc_id"]]
        assert chapter["split"] == "forget"
        passage = f"{r['prompt']} {r['continuation']}"
        start = chapter["text"].find(passage)
        assert start >= 0, r["id"]
        assert start == 0 or chapter["text"][start - 2] in ".!?"  # begins a sentence
        spans[r["doc_id"]].append((start, start + len(passage)))
    # round robin: every forget chapter gives one excerpt before any gives a second
    forget = [c for c in chapters if chapters[c]["split"] == "forget"]
    assert set(spans) == set(forget)
    counts = Counter(len(s) for s in spans.values())
    assert set(counts) <= {1, 2}
    for s in spans.values():  # excerpts of a chapter never overlap
        s = sorted(s)
        assert all(a[1] <= b[0] for a, b in zip(s, s[1:]))
