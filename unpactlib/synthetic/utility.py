"""The utility split: general-knowledge items the untouched base model already answers.

``python -m unpactlib.synthetic.utility`` scores every candidate of
:func:`unpactlib.synthetic.general.general_candidates` with the embedded base model on the CPU
(fp32, deterministic), by cloze scoring (:mod:`unpactlib.multiple_choice` says why), and
writes those it answers correctly to ``data/general/utility.jsonl``.
Any of them answered wrongly after unlearning is damage done by unlearning. A test re-runs
the selection and compares it with the committed file.
"""

from __future__ import annotations

from collections.abc import Sequence

from transformers import PreTrainedModel, PreTrainedTokenizerBase

from ..multiple_choice import mc_correct, mc_scores
from ..paths import DATA_DIR
from . import to_jsonl
from .general import general_candidates

UTILITY_PATH = DATA_DIR / "general" / "utility.jsonl"


def select_known(
    model: PreTrainedModel,
    tok: PreTrainedTokenizerBase,
    candidates: Sequence[dict],
    batch_size: int = 16,
    scoring: str = "cloze",
) -> list[dict]:
    """The candidates that ``model`` answers correctly under ``scoring``."""
    logp = mc_scores(model, tok, candidates, scoring, batch_size=batch_size)
    ok = mc_correct(logp, [c["answer_index"] for c in candidates])
    return [c for c, good in zip(candidates, ok) if good]


def render_utility() -> str:
    """The text of ``utility.jsonl`` as the embedded base model selects it on the CPU."""
    from ..models import load_model

    model, tok = load_model("embedded", device="cpu")
    return to_jsonl(select_known(model, tok, general_candidates()))


if __name__ == "__main__":
    UTILITY_PATH.parent.mkdir(parents=True, exist_ok=True)
    UTILITY_PATH.write_text(render_utility(), encoding="utf-8")
    print(UTILITY_PATH)
