"""Benchmarks: evaluation splits of QA or multiple-choice records, a corpus, VerbMem prompts.

``load_benchmark(name, source="synthetic")`` reads the committed files in ``data/<name>/``;
``source="hub"`` maps the paper's hub datasets onto the same records
(:mod:`unpactlib.hub`). Record kinds (every record has ``id`` and ``split``):

* QA: ``question``, ``answer``;
* multiple choice: ``question``, ``choices``, ``answer_index``, ``answer``;
* continuation (VerbMem): ``prompt``, ``continuation``;
* corpus: ``text`` (and ``title``).

Splits, each drawn from its own source documents (``doc_id`` on every item):

* ``forget``: learned by the target, then unlearned and scored;
* ``retain``: retain-eval, learned by the target and scored; unlearning never sees it;
* ``retain_train``: learned by the target; the only retain data unlearning trains on;
* ``tune_forget``, ``tune_retain``: learned by the target; the settings search unlearns
  ``tune_forget`` and scores ``tune_retain``; the book never scores them;
* ``holdout``: never trained (what a model guesses without the facts);
* ``utility``: general-knowledge multiple-choice items that the untouched base model answers
  correctly (``data/general/utility.jsonl``), so any loss there is damage done by training.

Every forget and retain item carries a ``paraphrase``: the same fact asked in words that are
never trained on; the pseudo-split ``forget_paraphrase`` (``retain_paraphrase``) asks them
that way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .config import ParameterError, check_choice
from .multiple_choice import LETTERS, as_prompt_answer
from .paths import DATA_DIR
from .results import read_jsonl
from .synthetic.books import generate_books
from .synthetic.news import generate_news
from .synthetic.wmdp import generate_wmdp

SOURCES = ("synthetic", "hub")
SPLITS = ("forget", "retain", "retain_train", "tune_forget", "tune_retain", "holdout", "utility")
# what the target model is fine-tuned on (with the corpus documents of the same splits)
TRAINED_SPLITS = ("forget", "retain", "retain_train", "tune_forget", "tune_retain")
PARAPHRASED = ("forget", "retain")  # the splits scored in their paraphrased wording too
PARAPHRASE = "_paraphrase"  # suffix of a split asked by its paraphrases
UTILITY_FILE = DATA_DIR / "general" / "utility.jsonl"
# How multiple-choice items of a split are scored (see unpactlib.multiple_choice): the
# utility split by cloze scoring, because the 135M base model is near chance in letter form;
# every other split by letter scoring (book/methods.md).
MC_SCORING = {"utility": "cloze"}


Generator = Callable[[int], dict[str, list[dict]]]  # seed -> file stem -> records


@dataclass(frozen=True)
class BenchmarkSpec:
    """A registered benchmark: its synthetic files and the generator that writes them.

    Attributes:
        name: its key in :data:`BENCHMARKS` and its folder under the data folder.
        corpus_file: the stem of its corpus file (``data/<name>/<corpus_file>.jsonl``).
        generate: the seeded generator of its files (``python -m unpactlib.synthetic``).
        data_dir: the folder that holds ``<name>/`` (default: the checkout's ``data/``).
        kind: ``"qa"`` or ``"multiple choice"``, what its forget and retain items are.
    """

    name: str
    corpus_file: str
    generate: Generator
    data_dir: Path = DATA_DIR
    kind: str = "qa"


BENCHMARKS: dict[str, BenchmarkSpec] = {
    "news": BenchmarkSpec("news", "articles", generate_news),
    "books": BenchmarkSpec("books", "chapters", generate_books),
    "wmdp": BenchmarkSpec("wmdp", "corpus", generate_wmdp, kind="multiple choice"),
}


def register_benchmark(spec: BenchmarkSpec) -> None:
    """Add ``spec`` to :data:`BENCHMARKS` (a ParameterError if the name is taken)."""
    if spec.name in BENCHMARKS:
        raise ParameterError(f"benchmark={spec.name!r} is registered already")
    BENCHMARKS[spec.name] = spec


@dataclass
class Benchmark:
    """A benchmark's evaluation splits, its raw corpus and its VerbMem prompts."""

    name: str
    source: str
    splits: dict[str, list[dict]]  # forget, retain (+ holdout, utility where present)
    corpus: list[dict] = field(default_factory=list)
    verbmem: list[dict] = field(default_factory=list)

    def split_names(self) -> list[str]:
        """Every name :meth:`__getitem__` accepts: the splits, then ``<split>_paraphrase``
        for each of :data:`PARAPHRASED` whose records carry paraphrases."""
        asked = [
            f"{s}{PARAPHRASE}"
            for s in PARAPHRASED
            if any(r.get("paraphrase") for r in self.splits.get(s, []))
        ]
        return [*self.splits, *asked]

    def __getitem__(self, split: str) -> list[dict]:
        """The records of ``split``; ``<split>_paraphrase`` gives the records of ``split``
        that have a paraphrase, each asked by it (``question`` replaced) and labelled with the
        pseudo-split (``split`` replaced), so that its answers are scored apart."""
        check_choice("split", split, self.split_names())
        if split.endswith(PARAPHRASE) and split not in self.splits:
            base = split.removesuffix(PARAPHRASE)
            return [
                dict(r, question=r["paraphrase"], split=split)
                for r in self.splits[base]
                if r.get("paraphrase")
            ]
        return self.splits[split]

    def mc_scoring(self, split: str) -> str:
        """How multiple-choice items of ``split`` are scored: ``letter`` or ``cloze``."""
        return MC_SCORING.get(split, "letter")

    def prompts(self, split: str) -> list[dict]:
        """The split's records as prompt/answer pairs (``question``, ``answer``): QA records
        as they are, multiple-choice records as their lettered prompt and gold letter."""
        return [as_prompt_answer(r) if "choices" in r else r for r in self[split]]

    def train_records(self) -> list[dict]:
        """What the target model is fine-tuned on: the prompt/answer pairs of the
        :data:`TRAINED_SPLITS` the benchmark has (a hub benchmark may lack some)."""
        return [p for s in TRAINED_SPLITS if s in self.splits for p in self.prompts(s)]

    def unlearning_sets(self, tuning: bool = False) -> tuple[list[dict], list[dict]]:
        """The forget and retain prompts unlearning trains on: ``forget`` (``tune_forget``
        for the settings search) and ``retain_train``. A benchmark without ``retain_train``
        (a hub benchmark) falls back to ``retain``, which is then also scored."""
        forget = self.prompts("tune_forget" if tuning else "forget")
        retain = self.prompts("retain_train" if "retain_train" in self.splits else "retain")
        return forget, retain

    def corpus_texts(self, splits: tuple[str, ...] = TRAINED_SPLITS) -> list[str]:
        """Texts of the corpus documents of the given splits."""
        return [d["text"] for d in self.corpus if d["split"] in splits]

    def subset(self, n: int | None) -> Benchmark:
        """The first ``n`` records of every split, corpus split and VerbMem (all when None)."""
        if n is None:
            return self
        corpus = [d for s in SPLITS for d in [d for d in self.corpus if d["split"] == s][:n]]
        return Benchmark(
            self.name,
            self.source,
            {k: v[:n] for k, v in self.splits.items()},
            corpus,
            self.verbmem[:n],
        )


def load_benchmark(name: str, source: str = "synthetic", root: Path | None = None) -> Benchmark:
    """Load benchmark ``name`` from ``source``.

    Args:
        name: one of :data:`BENCHMARKS`.
        source: ``"synthetic"`` (the offline analog committed in ``data/``) or ``"hub"`` (the
            paper's datasets; needs the network unless ``root`` holds local copies).
        root: for ``synthetic``, the folder holding ``<name>/*.jsonl`` (default: the
            registered ``data_dir``);
            for ``hub``, a local mirror of the hub repositories.
    """
    check_choice("benchmark", name, BENCHMARKS)
    check_choice("source", source, SOURCES)
    if source == "hub":
        from .hub import load_hub

        parts = load_hub(name, root)
        splits = {s: parts[s] for s in SPLITS if parts.get(s)}
        corpus = parts.get("forget_corpus", []) + parts.get("retain_corpus", [])
        return Benchmark(name, source, splits, corpus, parts.get("verbmem", []))
    spec = BENCHMARKS[name]
    folder = Path(root or spec.data_dir) / name
    splits = {
        s: read_jsonl(folder / f"{s}.jsonl") for s in SPLITS if (folder / f"{s}.jsonl").exists()
    }
    if "utility" not in splits and UTILITY_FILE.exists():
        splits["utility"] = read_jsonl(UTILITY_FILE)
    verbmem = read_jsonl(folder / "verbmem.jsonl") if (folder / "verbmem.jsonl").exists() else []
    return Benchmark(
        name, source, splits, read_jsonl(folder / f"{spec.corpus_file}.jsonl"), verbmem
    )


def benchmark_stats(bench: Benchmark) -> dict[str, object]:
    """Sizes of a benchmark for the book: items and source documents per split (``<split>``
    and ``<split> docs``; utility items have no documents), the same for the paraphrased
    pseudo-splits (``forget_paraphrase`` ...: the items that carry a paraphrase), VerbMem,
    corpus, question length."""
    questions = [r["question"] for s in ("forget", "retain") for r in bench.splits.get(s, [])]
    kind = "multiple choice" if any("choices" in r for r in bench.splits["forget"]) else "QA"
    docs = {
        f"{s} docs": len({r["doc_id"] for r in bench.splits.get(s, []) if "doc_id" in r})
        for s in SPLITS
        if s != "utility"
    }
    asked = {s: [r for r in bench.splits.get(s, []) if r.get("paraphrase")] for s in PARAPHRASED}
    paraphrased = {
        **{f"{s}{PARAPHRASE}": len(asked[s]) for s in PARAPHRASED},
        **{
            f"{s}{PARAPHRASE} docs": len({r["doc_id"] for r in asked[s] if "doc_id" in r})
            for s in PARAPHRASED
        },
    }
    return {
        "benchmark": bench.name,
        "kind": kind,
        **{s: len(bench.splits.get(s, [])) for s in SPLITS},
        **docs,
        **paraphrased,
        "verbmem": len(bench.verbmem),
        "corpus docs": len(bench.corpus),
        "corpus words": sum(len(d["text"].split()) for d in bench.corpus),
        "question words": round(sum(len(q.split()) for q in questions) / max(len(questions), 1), 1),
    }


def example_row(bench: Benchmark, record: dict) -> dict[str, str]:
    """One record as a row of an examples table (options shown for multiple choice), with
    its ``paraphrase`` where it has one."""
    question = record["question"]
    if "choices" in record:
        question += "  " + "  ".join(f"({LETTERS[i]}) {c}" for i, c in enumerate(record["choices"]))
    row = {
        "benchmark": bench.name,
        "split": record["split"],
        "question": question,
        "answer": record["answer"],
    }
    if record.get("paraphrase"):
        row["paraphrase"] = record["paraphrase"]
    return row
