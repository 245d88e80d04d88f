"""FocusOnKey: prompts that emphasise the KeyTokens, and the random-token control.

The weights are never touched: only the question is rewritten. KeyTokens are found on the
original model (the default in STUDY.md); the words containing them are what gets emphasised.
The control emphasises the same number of randomly chosen non-key tokens of the same question,
so that recovery cannot come from the prompt merely being longer.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from .config import check_choice
from .prompting import EncodedQuestion, token_words

Template = Callable[[str, list[str]], str]


def _key_line(question: str, words: list[str]) -> str:
    return f"{question}\nKey words: {', '.join(words)}."


TEMPLATES: dict[str, Template] = {
    # The question, then a line naming the key words.
    "key_line": _key_line,
}


def emphasise(question: str, words: list[str], template: str = "key_line") -> str:
    """Rewrite ``question`` so that ``words`` are emphasised, with the named template."""
    check_choice("template", template, TEMPLATES)
    return TEMPLATES[template](question, words)


def focus_on_key(q: EncodedQuestion, keys: list[int], template: str = "key_line") -> str:
    """The FocusOnKey prompt: the words holding KeyTokens ``keys`` emphasised."""
    return emphasise(q.text, token_words(q, keys), template)


def random_control(
    q: EncodedQuestion, keys: list[int], template: str = "key_line", seed: int = 0
) -> str:
    """The control prompt: ``len(keys)`` random tokens emphasised, none of them a KeyToken
    nor inside a word that holds one (so the control never names a key word)."""
    key_words = set(token_words(q, keys))
    candidates = []
    for i in range(len(q.ids)):
        words = set(token_words(q, [i]))
        if i not in keys and words and not words & key_words:
            candidates.append(i)
    rng = random.Random(seed)
    chosen = sorted(rng.sample(candidates, min(len(keys), len(candidates))))
    return emphasise(q.text, token_words(q, chosen), template)
