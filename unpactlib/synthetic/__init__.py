"""Seeded generators of the synthetic benchmarks that ship in ``data/``.

``python -m unpactlib.synthetic`` rewrites the committed files; a test checks that the files
in the repository are exactly what the generator makes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path


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
