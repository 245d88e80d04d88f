"""Token classes and contribution changes per class on hand-made prompts."""

from __future__ import annotations

import pytest

from unpactlib.token_classes import (
    FUNCTION_WORDS,
    class_change_table,
    class_changes,
    token_class,
    token_classes,
)


def test_function_word_list_holds_the_papers_examples():
    assert {"what", "do", "get", "the", "of", "it", "and", "which", "was"} <= FUNCTION_WORDS
    assert "bridge" not in FUNCTION_WORDS


@pytest.mark.parametrize(
    "token, cls",
    [
        ("What", "function"),
        (" what", "function"),
        ("Ġwhat", "function"),
        (" DO", "function"),
        (" get", "function"),
        (" Guild", "content"),
        ("8388", "content"),
        ("?", "punctuation"),
        ("\n", "punctuation"),
        ("Ċ", "punctuation"),
        (" ", "punctuation"),
        ("ber", "content"),
    ],
)
def test_token_class_of_single_tokens(token, cls):
    assert token_class(token) == cls


def test_token_classes_treat_subword_pieces_as_content():
    # SmolLM2 writes "Amber" as " Am" + "ber"; " Am" alone would be the function word "am".
    tokens = ["Who", " leads", " the", " Am", "ber", " Ferry", " Guild", "?"]
    assert token_classes(tokens) == [
        "function",
        "content",
        "function",
        "content",
        "content",
        "content",
        "content",
        "punctuation",
    ]
    # a question-final piece glued to a word before it: "Tor" + "in"
    assert token_classes(["Tor", "in", "?"]) == ["content", "content", "punctuation"]
    assert token_classes(["?", "\n", "What"]) == ["punctuation", "punctuation", "function"]


def test_class_changes_by_hand():
    tokens = ["What", " did", " Selwyn", " build", "?"]
    before = [0.5, 0.2, 1.0, 0.4, 0.1]
    after = [0.1, 0.0, 0.25, 0.5, 0.1]
    out = class_changes(tokens, before, after)
    assert out["function"] == pytest.approx([-0.4, -0.2])
    assert out["content"] == pytest.approx([-0.75, 0.1])
    assert out["punctuation"] == pytest.approx([0.0])
    with pytest.raises(ValueError):
        class_changes(tokens, before, after[:-1])


def _row(model, scores, tokens=("What", " did", " Selwyn", "?")):
    return {
        "id": "q1",
        "split": "retain",
        "model": model,
        "tokens": list(tokens),
        "scores": scores,
        "lp_full": -1.0,
        "keys": [],
    }


def test_class_change_table_pairs_each_model_with_the_original():
    rows = [_row("original", [0.5, 0.2, 1.0, 0.1]), _row("npo_gdr", [0.1, 0.1, 0.5, 0.1])]
    t = class_change_table(rows)
    assert list(t["class"]) == ["function", "function", "content", "punctuation"]
    assert list(t["model"].unique()) == ["npo_gdr"]
    assert t["change"].tolist() == pytest.approx([-0.4, -0.1, -0.5, 0.0])
    assert t.groupby("class")["change"].mean()["function"] == pytest.approx(-0.25)
    with pytest.raises(ValueError):
        class_change_table([rows[0], _row("tv", [0, 0, 0], tokens=("What", " did", "?"))])
