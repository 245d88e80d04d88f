"""The committed synthetic benchmark files are exactly what the seeded generator makes; the
news generator: splits and sizes, schema, answers grounded in their article, paraphrases,
VerbMem, determinism."""

from __future__ import annotations

import pytest

from unpactlib.paths import DATA_DIR
from unpactlib.synthetic import generated_benchmarks, render
from unpactlib.synthetic.news import _PARAPHRASES, _QUESTIONS, SPLIT_DOCS, generate_news

SEEDS = (0, 1, 2)
SPLITS = ("forget", "retain", "retain_train", "tune_forget", "tune_retain", "holdout")
QA_FIELDS = {"id", "doc_id", "split", "fact", "question", "paraphrase", "answer"}


@pytest.fixture(scope="module", params=SEEDS)
def news(request):
    return generate_news(request.param)


def _qa(parts: dict[str, list[dict]]) -> list[dict]:
    return [r for s in SPLITS for r in parts[s]]


def test_generator_reproduces_committed_files():
    for name in generated_benchmarks():
        for fname, text in render(name).items():
            committed = (DATA_DIR / name / fname).read_text(encoding="utf-8")
            assert committed == text, f"data/{name}/{fname} differs from the generator's output"


def test_news_folder_holds_only_generated_files():
    written = {p.name for p in (DATA_DIR / "news").iterdir()}
    assert written == set(render("news"))


def test_news_deterministic():
    assert generate_news(0) == generate_news(0)
    assert generate_news(0) != generate_news(1)


def test_news_parts_and_sizes(news):
    assert list(SPLIT_DOCS.items()) == [
        ("forget", 16),
        ("retain", 16),
        ("retain_train", 16),
        ("tune_forget", 8),
        ("tune_retain", 8),
        ("holdout", 8),
    ]
    assert list(news) == ["articles", *SPLITS, "verbmem"]
    for split, n_docs in SPLIT_DOCS.items():
        docs = [a for a in news["articles"] if a["split"] == split]
        assert len(docs) == n_docs
        assert len(news[split]) == 3 * n_docs
        assert {r["doc_id"] for r in news[split]} == {a["id"] for a in docs}
    assert len(news["articles"]) == sum(SPLIT_DOCS.values())
    assert len(news["verbmem"]) == 2 * SPLIT_DOCS["forget"]


def test_news_schema(news):
    ids = [r["id"] for rows in news.values() for r in rows]
    assert len(ids) == len(set(ids))
    for a in news["articles"]:
        assert set(a) == {"id", "split", "title", "text"}
        assert a["id"].startswith(f"news-{a['split']}-")
        assert 45 <= len(a["text"].split()) <= 75
    for split in SPLITS:
        for r in news[split]:
            assert set(r) == QA_FIELDS
            assert all(isinstance(r[f], str) and r[f].strip() for f in QA_FIELDS)
            assert r["split"] == split
            assert r["id"] == f"{r['doc_id']}-{r['fact']}"
            assert r["id"].startswith(f"news-{split}-")
    for v in news["verbmem"]:
        assert set(v) == {"id", "doc_id", "split", "prompt", "continuation"}
        assert v["split"] == "forget"


def test_news_answers_grounded_unique_and_unleaked(news):
    articles = {a["id"]: a for a in news["articles"]}
    records = _qa(news)
    answers = [r["answer"] for r in records]
    assert len(set(answers)) == len(answers)
    for r in records:
        article = articles[r["doc_id"]]
        assert article["split"] == r["split"]
        assert r["answer"] in article["text"]
        assert r["answer"].lower() not in r["question"].lower()
        assert r["answer"].lower() not in r["paraphrase"].lower()


def test_news_paraphrase_pools_are_disjoint_from_questions():
    assert set(_PARAPHRASES) == set(_QUESTIONS)
    questions = {t for pool in _QUESTIONS.values() for t in pool}
    paraphrases = {t for pool in _PARAPHRASES.values() for t in pool}
    assert not questions & paraphrases


def test_news_paraphrases_differ_from_every_question(news):
    records = _qa(news)
    questions = {r["question"] for r in records}
    for r in records:
        assert r["paraphrase"] not in questions
    assert len({r["paraphrase"] for r in records}) == len(records)


def test_news_questions_identify_their_article(news):
    """Question and paraphrase both name the organisation, which is in one article only."""
    articles = {a["id"]: a for a in news["articles"]}
    for r in _qa(news):
        org = articles[r["doc_id"]]["title"].removeprefix("The ").split(" in ")[0]
        assert org in r["question"] and org in r["paraphrase"]
        assert [a["id"] for a in news["articles"] if org in a["text"]] == [r["doc_id"]]


def test_news_verbmem_is_cut_verbatim_from_forget_articles(news):
    articles = {a["id"]: a for a in news["articles"]}
    for v in news["verbmem"]:
        article = articles[v["doc_id"]]
        assert article["split"] == "forget"
        assert article["text"].startswith(f"{v['prompt']} {v['continuation']}")
        assert len(v["continuation"].split()) == 16
    per_article = [v["doc_id"] for v in news["verbmem"]]
    assert sorted(set(per_article)) == sorted(a for a in articles if a.startswith("news-forget-"))
    assert all(per_article.count(d) == 2 for d in set(per_article))
