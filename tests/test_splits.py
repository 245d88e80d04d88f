"""The benchmarks' splits as the stages use them: what the target learns, what unlearning
sees, the paraphrased pseudo-splits, and prompts spread over documents."""

from __future__ import annotations

from unpactlib.benchmarks import PARAPHRASED, SPLITS, TRAINED_SPLITS, load_benchmark
from unpactlib.stages.attribution import spread


def test_every_synthetic_benchmark_has_every_split_from_its_own_documents():
    for name in ("news", "books", "wmdp"):
        bench = load_benchmark(name)
        assert set(bench.splits) == set(SPLITS)
        docs = {s: {r["doc_id"] for r in bench[s]} for s in SPLITS if s != "utility"}
        for s in ("forget", "retain", "retain_train"):
            assert len(bench[s]) >= 48 and len(docs[s]) >= 16, (name, s)
        assert len(bench["utility"]) >= 60
        named = [d for ds in docs.values() for d in ds]
        assert len(named) == len(set(named)), f"{name}: a document feeds two splits"


def test_target_learns_every_trained_split_and_never_the_holdout_or_paraphrases():
    bench = load_benchmark("news")
    learned = {r["id"] for r in bench.train_records()}
    assert learned == {r["id"] for s in TRAINED_SPLITS for r in bench[s]}
    assert not learned & {r["id"] for r in bench["holdout"]}
    asked = {r["question"] for r in bench.train_records()}
    for s in PARAPHRASED:
        assert not asked & {r["question"] for r in bench[f"{s}_paraphrase"]}
    texts = set(bench.corpus_texts())
    assert not texts & {d["text"] for d in bench.corpus if d["split"] == "holdout"}


def test_paraphrased_split_asks_the_same_items_in_other_words():
    bench = load_benchmark("wmdp")
    assert bench.split_names()[-2:] == ["forget_paraphrase", "retain_paraphrase"]
    para = bench["forget_paraphrase"]
    assert [r["id"] for r in para] == [r["id"] for r in bench["forget"]]
    for p, r in zip(para, bench["forget"]):
        assert p["question"] == r["paraphrase"] != r["question"]
        assert p["choices"] == r["choices"] and p["answer_index"] == r["answer_index"]
    prompts = bench.prompts("forget_paraphrase")
    assert prompts[0]["answer"] in "ABCD" and r["paraphrase"] in prompts[-1]["question"]


def test_unlearning_trains_on_retain_train_and_the_search_on_tune_forget():
    bench = load_benchmark("books")
    forget, retain = bench.unlearning_sets()
    assert [r["id"] for r in forget] == [r["id"] for r in bench["forget"]]
    assert [r["id"] for r in retain] == [r["id"] for r in bench["retain_train"]]
    tune, retain_t = bench.unlearning_sets(tuning=True)
    assert [r["id"] for r in tune] == [r["id"] for r in bench["tune_forget"]]
    assert retain_t == retain


def test_spread_takes_one_item_per_document_first():
    items = [{"id": f"{d}-{k}", "doc_id": d} for d in "abc" for k in range(3)]
    assert [r["id"] for r in spread(items, 4)] == ["a-0", "b-0", "c-0", "a-1"]
    assert spread(items, 0) == items and spread(items, 99) == items
    loose = [{"id": "x"}, {"id": "y"}]
    assert spread(loose, 1) == [{"id": "x"}]
