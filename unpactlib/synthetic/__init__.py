"""Seeded generators of the synthetic benchmarks that ship in ``data/``.

``python -m unpactlib.synthetic`` rewrites the committed files; a test checks that the files
in the repository are exactly what the generator makes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

# documents per split, in split order (the same for every generated benchmark); every
# document yields three items
SPLIT_DOCS = {
    "forget": 16,
    "retain": 16,
    "retain_train": 16,
    "tune_forget": 8,
    "tune_retain": 8,
    "holdout": 8,
}


def qa_record(
    doc_id: str, split: str, fact: str, question: str, paraphrase: str, answer: str
) -> dict:
    """One item of a document, ``id`` ``<doc_id>-<fact>``; a ValueError if the answer appears
    in the question or the paraphrase (the generators' names make that impossible)."""
    for asked_as in (question, paraphrase):
        if answer.lower() in asked_as.lower():
            raise ValueError(f"answer {answer!r} leaks into {asked_as!r}")
    return {
        "id": f"{doc_id}-{fact}",
        "doc_id": doc_id,
        "split": split,
        "fact": fact,
        "question": question,
        "paraphrase": paraphrase,
        "answer": answer,
    }


def generated_benchmarks() -> list[str]:
    """The registered benchmarks (:data:`unpactlib.benchmarks.BENCHMARKS`) in their order."""
    from ..benchmarks import BENCHMARKS

    return list(BENCHMARKS)


def to_jsonl(records: Sequence[dict]) -> str:
    """One JSON object per line, keys sorted, UTF-8 kept, ending with a newline."""
    return "".join(json.dumps(r, sort_keys=True, ensure_ascii=False) + "\n" for r in records)


def render(name: str, seed: int = 0) -> dict[str, str]:
    """The files of benchmark ``name``: relative file name -> text."""
    from ..benchmarks import BENCHMARKS

    generate = BENCHMARKS[name].generate
    return {f"{part}.jsonl": to_jsonl(rows) for part, rows in generate(seed).items()}


def write(name: str, root: Path | None = None, seed: int = 0) -> list[Path]:
    """Write benchmark ``name`` under ``root / name`` (default: its registered data folder);
    return the paths written."""
    from ..benchmarks import BENCHMARKS

    root = root or BENCHMARKS[name].data_dir
    out = []
    for fname, text in render(name, seed).items():
        path = root / name / fname
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        out.append(path)
    return out
