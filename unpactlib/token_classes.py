"""Token classes for F5: function words, content words and punctuation.

RQ3 of the study says unlearning lowers the contribution of *all* prompt tokens, common words
such as "what", "do", "get" included. To show it, each prompt token gets one class:

* ``function``: a whole word from :data:`FUNCTION_WORDS` (case-insensitive);
* ``punctuation``: no letter or digit at all (``?``, ``.``, a newline, a lone space);
* ``content``: everything else, including every piece of a word that the tokenizer splits
  into several tokens (SmolLM2 writes "Amber" as " Am" + "ber": both are content, although
  "am" alone would be a function word).

The function-word list is fixed and lives here only; it is a plain English closed-class list,
chosen by us (the paper's list, if it had one, is not known).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

FUNCTION_WORD_GROUPS: dict[str, tuple[str, ...]] = {
    "question words": ("what", "who", "whom", "whose", "when", "where", "which", "how", "why"),
    "auxiliaries": (
        "do", "does", "did", "done", "doing", "get", "gets", "got", "gotten", "getting",
        "be", "am", "is", "are", "was", "were", "been", "being", "have", "has", "had", "having",
        "will", "would", "shall", "should", "can", "could", "may", "might", "must",
    ),
    "articles and determiners": (
        "a", "an", "the", "this", "that", "these", "those", "some", "any", "each", "every",
        "all", "both", "no", "other", "such",
    ),
    "prepositions": (
        "of", "in", "on", "at", "by", "for", "with", "from", "to", "into", "onto", "about",
        "after", "before", "over", "under", "through", "during", "between", "against", "among",
        "without", "within", "upon", "across", "behind", "near", "since", "until", "towards",
        "toward", "per", "via", "off", "out", "up", "down", "as",
    ),
    "pronouns": (
        "i", "me", "my", "you", "your", "he", "him", "his", "she", "her", "it", "its", "we",
        "us", "our", "they", "them", "their", "itself", "themselves",
    ),
    "conjunctions": (
        "and", "or", "but", "nor", "so", "yet", "if", "because", "than", "then", "while",
        "whether", "although", "though",
    ),
    "other particles": ("not", "there", "here", "also", "very", "just", "only"),
}  # fmt: skip

FUNCTION_WORDS: frozenset[str] = frozenset(w for g in FUNCTION_WORD_GROUPS.values() for w in g)

CLASSES = ("function", "content", "punctuation")


def _decoded(token_text: str) -> str:
    """The token with byte-level BPE markers written as text: ``Ġ`` a space, ``Ċ`` a newline."""
    return token_text.replace("Ġ", " ").replace("Ċ", "\n")


def token_class(token_text: str) -> str:
    """Class of one token taken alone: ``"function"``, ``"content"`` or ``"punctuation"``.

    ``token_text`` is the decoded token (``" what"``) or its raw BPE form (``"Ġwhat"``); case
    does not matter. Without context a sub-word piece cannot be told from a word: use
    :func:`token_classes` on a whole prompt for that.
    """
    bare = _decoded(token_text).strip()
    if not any(ch.isalnum() for ch in bare):
        return "punctuation"
    return "function" if bare.lower() in FUNCTION_WORDS else "content"


def _glued(left: str, right: str) -> bool:
    """Whether two adjacent tokens are pieces of one word (no space between, letters meet)."""
    return bool(left) and bool(right) and left[-1].isalnum() and right[0].isalnum()


def token_classes(tokens: Sequence[str]) -> list[str]:
    """Class of every token of a prompt, in order (decoded tokens, as in ``Attribution``).

    A token glued to a neighbour (letters meet with no space between) is a piece of a longer
    word and counts as ``content``; other tokens get :func:`token_class`.
    """
    texts = [_decoded(t) for t in tokens]
    out = []
    for i, t in enumerate(texts):
        left = i > 0 and _glued(texts[i - 1], t)
        right = i + 1 < len(texts) and _glued(t, texts[i + 1])
        cls = token_class(t)
        out.append("content" if cls == "function" and (left or right) else cls)
    return out


def class_changes(
    tokens: Sequence[str], before: Sequence[float], after: Sequence[float]
) -> dict[str, list[float]]:
    """Contribution changes ``after - before`` of one prompt's tokens, grouped by class.

    Returns:
        One list per class of :data:`CLASSES` (possibly empty), in token order.
    """
    if not len(tokens) == len(before) == len(after):
        raise ValueError("tokens, before and after must have one entry per token")
    out: dict[str, list[float]] = {c: [] for c in CLASSES}
    for cls, b, a in zip(token_classes(tokens), before, after):
        out[cls].append(float(a) - float(b))
    return out


def class_change_table(rows: Sequence[dict], original: str = "original") -> pd.DataFrame:
    """One row per (item, model, token) with the token's class and contribution change.

    Args:
        rows: rows shaped like :func:`unpactlib.tracking.attribution_rows` output (``id``,
            ``split``, ``model``, ``tokens``, ``scores``, ...), for the original model and
            one or more unlearned models.
        original: the ``model`` name of the rows before unlearning.

    Returns:
        Columns ``id``, ``split``, ``model``, ``position``, ``token``, ``class``, ``before``,
        ``after``, ``change`` (= after - before), for every row whose model is not
        ``original``, paired with the original row of the same id.
    """
    base = {r["id"]: r for r in rows if r["model"] == original}
    out = []
    for r in rows:
        if r["model"] == original:
            continue
        b = base[r["id"]]
        if list(b["tokens"]) != list(r["tokens"]):
            raise ValueError(f"item {r['id']}: tokens differ between {original} and {r['model']}")
        for pos, (tok, cls, sb, sa) in enumerate(
            zip(r["tokens"], token_classes(r["tokens"]), b["scores"], r["scores"])
        ):
            out.append(
                {
                    "id": r["id"],
                    "split": r["split"],
                    "model": r["model"],
                    "position": pos,
                    "token": tok,
                    "class": cls,
                    "before": float(sb),
                    "after": float(sa),
                    "change": float(sa) - float(sb),
                }
            )
    return pd.DataFrame(
        out,
        columns=[
            "id", "split", "model", "position", "token", "class", "before", "after", "change",
        ],
    )  # fmt: skip
