"""Benchmarks as splits of QA records.

``load_benchmark("news", source="synthetic")`` reads the committed files in ``data/news/``.
Every record has at least ``id``, ``question`` and ``answer``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .config import check_choice
from .paths import DATA_DIR

BENCHMARKS = ("news",)
SOURCES = ("synthetic",)
SPLITS = ("forget", "retain", "holdout")


@dataclass
class Benchmark:
    """A benchmark's evaluation splits (``forget``, ``retain``, ``holdout``) and its corpus."""

    name: str
    source: str
    splits: dict[str, list[dict]]
    articles: list[dict]

    def __getitem__(self, split: str) -> list[dict]:
        check_choice("split", split, self.splits)
        return self.splits[split]

    def subset(self, n: int | None) -> Benchmark:
        """The first ``n`` records of every split (all when ``n`` is None)."""
        if n is None:
            return self
        return Benchmark(
            self.name, self.source, {k: v[:n] for k, v in self.splits.items()}, self.articles
        )


def _read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def load_benchmark(name: str, source: str = "synthetic", root: Path | None = None) -> Benchmark:
    """Load benchmark ``name`` from ``source``.

    Args:
        name: one of :data:`BENCHMARKS`.
        source: ``"synthetic"`` (the offline analog committed in ``data/``).
        root: folder holding ``<name>/*.jsonl``; default the repository's ``data/``.
    """
    check_choice("benchmark", name, BENCHMARKS)
    check_choice("source", source, SOURCES)
    folder = Path(root or DATA_DIR) / name
    splits = {s: _read_jsonl(folder / f"{s}.jsonl") for s in SPLITS}
    return Benchmark(name, source, splits, _read_jsonl(folder / "articles.jsonl"))
