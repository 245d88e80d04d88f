"""FocusOnKey templates, ProbAb, their combination, the control, the alpha/beta grid and the
recovery table of :func:`recover`, on fixed prompts."""

from __future__ import annotations

import pandas as pd
import pytest

from unpactlib.config import ParameterError
from unpactlib.evaluation import answer
from unpactlib.metrics import Rate
from unpactlib.multiple_choice import (
    as_prompt_answer,
    mc_prompt,
    user_message,
)
from unpactlib.prompting import encode_question, token_words
from unpactlib.recovery import (
    TEMPLATES,
    delete_tokens,
    emphasise,
    focus_on_key,
    grid_prompts,
    grid_rates,
    item_prompts,
    keytoken_grid,
    probab,
    probab_focus,
    probab_tokens,
    random_control,
    recover,
    table_rates,
)

GUILD = "Who leads the Amber Ferry Guild?"
MC = {
    "id": "mc1",
    "split": "forget",
    "question": "Which crystal is refined from velolite?",
    "choices": ["myrovar", "ossium", "myrene", "nebium"],
    "answer_index": 1,
    "answer": "ossium",
}


def _index(tok, q, piece: str) -> int:
    return [tok.decode([i]).strip() for i in q.ids].index(piece)


def test_token_words_maps_subword_tokens_to_whole_words(tok):
    q = encode_question(tok, GUILD)
    # SmolLM2 splits "Amber" into " Am" + "ber": either piece stands for the whole word.
    assert token_words(q, [_index(tok, q, "Am")]) == ["Amber"]
    assert token_words(q, [_index(tok, q, "ber")]) == ["Amber"]
    assert token_words(q, [_index(tok, q, "Am"), _index(tok, q, "ber")]) == ["Amber"]
    assert token_words(q, [len(q.ids) - 1]) == ["?"]


@pytest.mark.parametrize(
    "template, expected",
    [
        ("key_line", "Who leads the Amber Ferry Guild?\nKey words: Amber, Guild."),
        ("key_first", "Key words: Amber, Guild.\nWho leads the Amber Ferry Guild?"),
        ("key_bold", "Who leads the **Amber** Ferry **Guild**?"),
        ("key_repeat", "Who leads the Amber Amber Ferry Guild Guild?"),
        (
            "ask_twice",
            "Who leads the Amber Ferry Guild?\nWho leads the **Amber** Ferry **Guild**?",
        ),
    ],
)
def test_focus_on_key_templates(tok, template, expected):
    q = encode_question(tok, GUILD)
    keys = [_index(tok, q, "Guild"), _index(tok, q, "ber")]
    assert focus_on_key(q, keys, template) == expected
    assert TEMPLATES[template].__doc__  # each template documents itself with an example


def test_in_place_templates_mark_whole_words_only():
    text = "Did the theory of the Guild hold?"
    assert emphasise(text, ["the"], "key_bold") == "Did **the** theory of **the** Guild hold?"
    assert emphasise(text, ["?", "of"], "key_repeat") == "Did the theory of of the Guild hold? ?"


def test_emphasise_without_words_and_unknown_template():
    assert emphasise(GUILD, [], "key_line") == GUILD
    with pytest.raises(ParameterError, match="template='bold'.*'key_line'"):
        emphasise(GUILD, ["Guild"], "bold")


def test_key_line_on_a_multiple_choice_prompt_comes_after_the_instruction(tok):
    pair = as_prompt_answer(MC)
    q = encode_question(tok, pair["question"])
    out = focus_on_key(q, [_index(tok, q, "vel")], "key_line")
    assert out == mc_prompt(MC) + "\nKey words: velolite."
    bold = focus_on_key(q, [_index(tok, q, "vel")], "key_bold")
    assert bold.endswith("Answer with the letter of the correct option.")
    assert "**velolite**" in bold


def test_user_message_for_pairs_raw_mc_records_and_qa():
    pair = as_prompt_answer(MC)
    assert user_message(pair, "X") == "X"
    assert user_message({"question": "Q?", "answer": "a"}, "Q!") == "Q!"
    assert user_message(MC, "Which **crystal**?") == mc_prompt(
        dict(MC, question="Which **crystal**?")
    )


def test_random_control_avoids_key_words_and_is_seeded(tok):
    q = encode_question(tok, "In which town did the Coastal Orchard Company build its bridge?")
    keys = [_index(tok, q, "Coastal"), _index(tok, q, "Orch")]
    control = random_control(q, keys, seed=3)
    assert control == random_control(q, keys, seed=3)
    named = control.split("Key words: ")[1].rstrip(".").split(", ")
    assert len(named) == len(keys)
    assert not {"Coastal", "Orchard"} & set(named)


def test_probab_tokens_mirror_the_keytoken_rule_by_hand():
    scores = [0.2, -0.1, -0.4, 0.3, -0.3]
    # N = {1, 2, 4}; |N| = 3 >= beta = 3; C_i / min C = 0.25, 1, 0.75 -> above 0.5: {2, 4}
    assert probab_tokens(scores, alpha=0.5, beta=3) == [2, 4]
    assert probab_tokens(scores, alpha=0.5, beta=4) == [1, 2, 4]  # |N| < beta: all of N
    assert probab_tokens(scores, alpha=0.1, beta=3, max_tokens=2) == [2, 4]  # two most negative
    assert probab_tokens(scores, alpha=0.5, beta=3, max_tokens=1) == [2]
    assert probab_tokens([0.1, 0.0, 0.5]) == []


def test_delete_tokens_keeps_offsets_of_the_remaining_tokens(tok):
    q = encode_question(tok, GUILD)
    short = delete_tokens(q, [0, _index(tok, q, "Ferry")])
    assert short.text == " leads the Amber Guild?"
    assert [short.text[s:e] for s, e in short.offsets] == [tok.decode([i]) for i in short.ids]
    assert len(short.ids) == len(q.ids) - 2


def test_probab_prompt_is_the_question_without_the_tokens(tok):
    q = encode_question(tok, GUILD)
    assert probab(q, [0, _index(tok, q, "Ferry")]) == "leads the Amber Guild?"
    assert probab(q, [_index(tok, q, "ber")]) == "Who leads the Am Ferry Guild?"
    assert probab(q, []) == GUILD


def test_probab_focus_deletes_then_emphasises_the_remaining_keys(tok):
    q = encode_question(tok, GUILD)
    ferry, guild, ber = (_index(tok, q, w) for w in ("Ferry", "Guild", "ber"))
    assert probab_focus(q, [guild, ber], [ferry]) == (
        "Who leads the Amber Guild?\nKey words: Amber, Guild."
    )
    # a deleted KeyToken is no longer emphasised; a key word cut short is named as it now reads
    assert probab_focus(q, [guild, _index(tok, q, "Am")], [guild, ber], "key_bold") == (
        "Who leads the **Am** Ferry?"
    )


def test_item_prompts_kinds_and_index_check(tok):
    q = encode_question(tok, GUILD)
    keys = [_index(tok, q, "Guild")]
    assert list(item_prompts(q, keys)) == ["FocusOnKey", "control"]
    out = item_prompts(q, keys, deleted=[0])
    assert list(out) == ["FocusOnKey", "ProbAb", "both", "control"]
    assert out["both"] == "leads the Amber Ferry Guild?\nKey words: Guild."
    with pytest.raises(ValueError):
        item_prompts(q, [len(q.ids)])


def test_table_rates_by_hand():
    table = pd.DataFrame(
        {
            "correct_before": [True, True, True, False],
            "correct_after": [False, False, True, False],
            "prompt_FocusOnKey": ["a", "b", "c", "d"],
            "correct_FocusOnKey": [True, True, False, True],
            "top1_FocusOnKey": [True, False, False, True],
            "prompt_control": ["a", "b", "c", "d"],
            "correct_control": [False, True, True, True],
            "top1_control": [False, False, True, True],
        }
    )
    # forgotten: items 0 and 1
    assert table_rates(table) == {"FocusOnKey": Rate(2, 2), "control": Rate(1, 2)}
    assert table_rates(table, "top1") == {"FocusOnKey": Rate(1, 2), "control": Rate(0, 2)}
    with pytest.raises(ParameterError):
        table_rates(table, "exact")


def test_keytoken_grid_by_hand():
    scores = {"a": [0.1, 0.9, 0.6, 0.3], "b": [-0.2, 0.5]}
    grid = keytoken_grid(scores, alphas=[0.5, 0.2], betas=[3, 5])
    assert grid[(0.5, 3)] == {"a": [1, 2], "b": [1]}
    assert grid[(0.2, 3)] == {"a": [1, 2, 3], "b": [1]}
    assert grid[(0.5, 5)] == {"a": [0, 1, 2, 3], "b": [1]}  # |P| = 4 < 5: all positives
    assert len(grid) == 4


def test_grid_prompts_answer_each_distinct_prompt_once_and_grid_rates(tok):
    questions = {"g": encode_question(tok, GUILD), "h": encode_question(tok, "Who built it?")}
    g = questions["g"]
    guild, ferry = _index(tok, g, "Guild"), _index(tok, g, "Ferry")
    grid = {
        (0.5, 3): {"g": [guild], "h": [0]},
        (0.2, 3): {"g": [guild], "h": [0]},  # same keys as (0.5, 3): no new prompts
        (0.2, 5): {"g": [guild, ferry], "h": [0]},
    }
    gp = grid_prompts(questions, grid, template="key_line")
    assert gp.prompts[(0.5, 3)] == gp.prompts[(0.2, 3)]
    focus = "Who leads the Amber Ferry Guild?\nKey words: Ferry, Guild."
    assert gp.prompts[(0.2, 5)]["g"]["FocusOnKey"] == focus
    # g: FocusOnKey and control at two distinct key sets; h: the same two prompts everywhere
    assert len(gp.unique) == 6
    assert len(set(gp.unique)) == len(gp.unique)
    hits = {pair: pair[1] == focus for pair in gp.unique}
    rates = grid_rates(gp, hits, {"g": True, "h": True}, {"g": False, "h": True})
    row = rates[(rates.alpha == 0.2) & (rates.beta == 5) & (rates.kind == "FocusOnKey")]
    assert row[["recovered", "forgotten", "rate"]].values.tolist() == [[1, 1, 1.0]]
    assert rates[rates.kind == "control"]["recovered"].tolist() == [0, 0, 0]
    assert set(rates.columns) >= {"ci_low", "ci_high"}


def test_recover_table_and_rates(tiny_smol, tok):
    qa = {"id": "qa1", "split": "forget", "question": GUILD, "answer": "Selwyn Thornmoor"}
    pair = as_prompt_answer(MC)
    forget = [qa, pair]
    q_qa, q_mc = (encode_question(tok, r["question"]) for r in forget)
    keys = {"qa1": [_index(tok, q_qa, "Guild")], "mc1": [_index(tok, q_mc, "vel")]}
    scores = {
        "qa1": [-0.5 if i == 0 else 0.1 for i in range(len(q_qa.ids))],
        "mc1": [0.2] * len(q_mc.ids),
    }
    table, rates = recover(
        tiny_smol,
        tok,
        forget,
        keys,
        [True, True],
        [False, False],
        unlearned_scores=scores,
        original=tiny_smol,
        batch_size=2,
    )
    assert list(rates) == ["FocusOnKey", "ProbAb", "both", "control"]
    assert all(r.denominator == 2 for r in rates.values())
    assert table.loc[0, "prompt_ProbAb"] == "leads the Amber Ferry Guild?"
    assert table.loc[0, "deleted_tokens"] == ["Who"]
    assert table.loc[0, "prompt_both"] == "leads the Amber Ferry Guild?\nKey words: Guild."
    assert table.loc[1, "prompt_ProbAb"] == pair["question"]  # no negative token, none deleted
    assert table.loc[1, "key_words"] == ["velolite"]
    for kind in rates:
        assert table[f"correct_{kind}"].tolist() == table[f"original_correct_{kind}"].tolist()
    # without unlearned scores: FocusOnKey and control only, as before
    _, plain = recover(tiny_smol, tok, [qa], keys, [True], [False], batch_size=2)
    assert list(plain) == ["FocusOnKey", "control"]


def test_recover_key_source(tiny_smol, tok):
    qa = {"id": "qa1", "split": "forget", "question": GUILD, "answer": "Selwyn Thornmoor"}
    q = encode_question(tok, GUILD)
    scores = {"qa1": [1.0 if i == _index(tok, q, "Ferry") else -0.1 for i in range(len(q.ids))]}
    table, _ = recover(
        tiny_smol, tok, [qa], None, [True], [False], key_source="unlearned",
        unlearned_scores=scores, probab_max=1,
    )  # fmt: skip
    assert table.loc[0, "key_words"] == ["Ferry"]
    with pytest.raises(ParameterError, match="key_source='model'.*'original', 'unlearned'"):
        recover(tiny_smol, tok, [qa], {}, [True], [False], key_source="model")
    with pytest.raises(ParameterError):
        recover(tiny_smol, tok, [qa], None, [True], [False], key_source="unlearned")
    with pytest.raises(ValueError, match="unlearned scores"):
        recover(
            tiny_smol, tok, [qa], {"qa1": [0]}, [True], [False], unlearned_scores={"qa1": [0.1]}
        )


def test_recover_with_no_items(tiny_smol, tok):
    table, rates = recover(tiny_smol, tok, [], {}, [], [])
    assert len(table) == 0
    assert rates["FocusOnKey"].denominator == 0


def test_recover_rewrites_the_bare_question_of_a_raw_mc_record(tiny_smol, tok):
    q = encode_question(tok, MC["question"])
    keys = {"mc1": [_index(tok, q, "vel")]}
    table, _ = recover(tiny_smol, tok, [MC], keys, [True], [False], template="key_bold")
    sent = mc_prompt(dict(MC, question="Which crystal is refined from **velolite**?"))
    assert table.loc[0, "prompt_FocusOnKey"] == sent
    pair = dict(as_prompt_answer(MC), question=sent)
    expected = answer(tiny_smol, tok, [pair], [sent])["prediction"].tolist()
    assert table["prediction_FocusOnKey"].tolist() == expected
