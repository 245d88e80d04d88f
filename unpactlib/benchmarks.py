"""Benchmarks: evaluation splits of QA or multiple-choice records, a corpus, VerbMem prompts.

``load_benchmark(name, source="synthetic")`` reads the committed files in ``data/<name>/``;
``source="hub"`` maps the paper's hub datasets onto the same records
(:mod:`unpactlib.hub`). Record kinds (every record has ``id`` and ``split``):

* QA: ``question``, ``answer``;
* multiple choice: ``question``, ``choices``, ``answer_index``, ``answer``;
* continuation (VerbMem): ``prompt``, ``continuation``;
* corpus: ``text`` (and ``title``).

Every synthetic benchmark also carries the ``utility`` split: general-knowledge multiple-choice
items that the untouched base model answers correctly (``data/general/utility.jsonl``), so
any loss there is damage done by unlearning.
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
EVAL_SPLITS = ("forget", "retain", "holdout", "utility")
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

    def __getitem__(self, split: str) -> list[dict]:
        check_choice("split", split, self.splits)
        return self.splits[split]

    def mc_scoring(self, split: str) -> str:
        """How multiple-choice items of ``split`` are scored: ``letter`` or ``cloze``."""
        return MC_SCORING.get(split, "letter")

    def prompts(self, split: str) -> list[dict]:
        """The split's records as prompt/answer pairs (``question``, ``answer``): QA records
        as they are, multiple-choice records as their lettered prompt and gold letter."""
        return [as_prompt_answer(r) if "choices" in r else r for r in self[split]]

    def train_records(self) -> list[dict]:
        """What the target model is fine-tuned on: forget + retain prompt/answer pairs (a hub
        benchmark may lack a retain split)."""
        return [p for s in ("forget", "retain") if s in self.splits for p in self.prompts(s)]

    def corpus_texts(self, splits: tuple[str, ...] = ("forget", "retain")) -> list[str]:
        """Texts of the corpus documents of the given splits."""
        return [d["text"] for d in self.corpus if d["split"] in splits]

    def subset(self, n: int | None) -> Benchmark:
        """The first ``n`` records of every split, corpus split and VerbMem (all when None)."""
        if n is None:
            return self
        corpus = [
            d
            for s in ("forget", "retain", "holdout")
            for d in [d for d in self.corpus if d["split"] == s][:n]
        ]
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
        splits = {s: parts[s] for s in EVAL_SPLITS if parts.get(s)}
        corpus = parts.get("forget_corpus", []) + parts.get("retain_corpus", [])
        return Benchmark(name, source, splits, corpus, parts.get("verbmem", []))
    spec = BENCHMARKS[name]
    folder = Path(root or spec.data_dir) / name
    splits = {
        s: read_jsonl(folder / f"{s}.jsonl")
        for s in EVAL_SPLITS
        if (folder / f"{s}.jsonl").exists()
    }
    if "utility" not in splits and UTILITY_FILE.exists():
        splits["utility"] = read_jsonl(UTILITY_FILE)
    verbmem = read_jsonl(folder / "verbmem.jsonl") if (folder / "verbmem.jsonl").exists() else []
    return Benchmark(
        name, source, splits, read_jsonl(folder / f"{spec.corpus_file}.jsonl"), verbmem
    )


def benchmark_stats(bench: Benchmark) -> dict[str, object]:
    """Sizes of a benchmark for the book: items per split, VerbMem, corpus, question length."""
    questions = [r["question"] for s in ("forget", "retain") for r in bench.splits.get(s, [])]
    kind = "multiple choice" if any("choices" in r for r in bench.splits["forget"]) else "QA"
    return {
        "benchmark": bench.name,
        "kind": kind,
        **{s: len(bench.splits.get(s, [])) for s in EVAL_SPLITS},
        "verbmem": len(bench.verbmem),
        "corpus docs": len(bench.corpus),
        "corpus words": sum(len(d["text"].split()) for d in bench.corpus),
        "question words": round(sum(len(q.split()) for q in questions) / max(len(questions), 1), 1),
    }


def example_row(bench: Benchmark, record: dict) -> dict[str, str]:
    """One record as a row of an examples table (options shown for multiple choice)."""
    question = record["question"]
    if "choices" in record:
        question += "  " + "  ".join(f"({LETTERS[i]}) {c}" for i, c in enumerate(record["choices"]))
    return {
        "benchmark": bench.name,
        "split": record["split"],
        "question": question,
        "answer": record["answer"],
    }
