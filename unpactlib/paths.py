"""Where unpact keeps its data, results and caches.

Everything is relative to the repository checkout that holds the package (unpact is installed
in editable mode by the Makefile). Heavy files (converted weights, fine-tuned and unlearned
models) go under ``.cache/``, which git ignores; small results go under ``data/results/``,
which is committed because the book is built from it.
"""

from __future__ import annotations

from pathlib import Path

REPO_ROOT: Path = Path(__file__).resolve().parents[1]
DATA_DIR: Path = REPO_ROOT / "data"
RESULTS_DIR: Path = DATA_DIR / "results"


def default_cache_dir() -> Path:
    """The folder for converted weights and trained models (ignored by git).

    Inside a checkout this is ``<repo>/.cache``; for an installed copy without a checkout it
    is ``~/.cache/unpact``.
    """
    if (REPO_ROOT / "pyproject.toml").exists():
        return REPO_ROOT / ".cache"
    return Path.home() / ".cache" / "unpact"
