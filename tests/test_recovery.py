"""FocusOnKey templates and the random control on fixed prompts."""

from __future__ import annotations

from unpactlib.prompting import encode_question, token_words
from unpactlib.recovery import focus_on_key, random_control


def _index(tok, q, piece: str) -> int:
    return [tok.decode([i]).strip() for i in q.ids].index(piece)


def test_token_words_maps_subword_tokens_to_whole_words(tok):
    q = encode_question(tok, "Who leads the Amber Ferry Guild?")
    # SmolLM2 splits "Amber" into " Am" + "ber": either piece stands for the whole word.
    assert token_words(q, [_index(tok, q, "Am")]) == ["Amber"]
    assert token_words(q, [_index(tok, q, "ber")]) == ["Amber"]
    assert token_words(q, [_index(tok, q, "Am"), _index(tok, q, "ber")]) == ["Amber"]
    assert token_words(q, [len(q.ids) - 1]) == ["?"]


def test_focus_on_key_key_line_template(tok):
    q = encode_question(tok, "Who leads the Amber Ferry Guild?")
    keys = [_index(tok, q, "Guild"), _index(tok, q, "ber")]
    assert focus_on_key(q, keys) == "Who leads the Amber Ferry Guild?\nKey words: Amber, Guild."


def test_random_control_avoids_key_words_and_is_seeded(tok):
    q = encode_question(tok, "In which town did the Coastal Orchard Company build its bridge?")
    keys = [_index(tok, q, "Coastal"), _index(tok, q, "Orch")]
    control = random_control(q, keys, seed=3)
    assert control == random_control(q, keys, seed=3)
    named = control.split("Key words: ")[1].rstrip(".").split(", ")
    assert len(named) == len(keys)
    assert not {"Coastal", "Orchard"} & set(named)
