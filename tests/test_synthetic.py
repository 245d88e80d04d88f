"""The committed synthetic benchmark files are exactly what the seeded generator makes."""

from __future__ import annotations

from unpactlib.benchmarks import load_benchmark
from unpactlib.paths import DATA_DIR
from unpactlib.synthetic import generated_benchmarks, render


def test_generator_reproduces_committed_files():
    for name in generated_benchmarks():
        for fname, text in render(name).items():
            committed = (DATA_DIR / name / fname).read_text(encoding="utf-8")
            assert committed == text, f"data/{name}/{fname} differs from the generator's output"


def test_news_answers_are_unique_and_not_in_questions():
    bench = load_benchmark("news")
    records = [r for s in ("forget", "retain", "holdout") for r in bench[s]]
    answers = [r["answer"] for r in records]
    assert len(set(answers)) == len(answers)
    for r in records:
        assert r["answer"].lower() not in r["question"].lower()


def test_news_answers_come_from_their_article():
    bench = load_benchmark("news")
    text = {a["id"]: a["text"] for a in bench.corpus}
    for split in ("forget", "retain", "holdout"):
        for r in bench[split]:
            assert r["answer"] in text[r["article_id"]]


def test_news_split_sizes():
    bench = load_benchmark("news")
    assert {s: len(bench[s]) for s in ("forget", "retain", "holdout")} == {
        "forget": 24,
        "retain": 24,
        "holdout": 12,
    }


def test_news_verbmem_is_cut_verbatim_from_forget_articles():
    bench = load_benchmark("news")
    text = {a["id"]: a["text"] for a in bench.corpus if a["split"] == "forget"}
    assert len(bench.verbmem) == 16
    for v in bench.verbmem:
        assert f"{v['prompt']} {v['continuation']}" in text[v["article_id"]]
        assert len(v["continuation"].split()) == 16
