"""FocusOnKey templates, ProbAb, their combination, the control, the alpha/beta grid and the
recovery table of :func:`recover`, on fixed prompts."""

from __future__ import annotations

import math

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
    comparison_table,
    delete_tokens,
    emphasise,
    fmt_difference,
    fmt_share,
    focus_on_key,
    grid_prompts,
    grid_rates,
    item_prompts,
    keytoken_grid,
    lost_rows,
    pooled_positive_control,
    pooled_probe_vs_control,
    positive_control,
    probab,
    probab_focus,
    probab_tokens,
    probe_vs_control,
    random_control,
    random_deletion,
    recover,
    table_rates,
)
from unpactlib.stats import newcombe_paired, pooled_rate

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


def test_random_deletion_is_seeded_avoids_keys_and_matches_the_count(tok):
    q = encode_question(tok, "In which town did the Coastal Orchard Company build its bridge?")
    keys = [_index(tok, q, "Coastal")]
    gone = random_deletion(q, keys, 3, seed=5)
    assert gone == random_deletion(q, keys, 3, seed=5) == sorted(gone)
    assert len(gone) == 3 and not set(gone) & set(keys)
    assert len(random_deletion(q, keys, 100)) == len(q.ids) - 1
    prompts = item_prompts(q, keys, deleted=[0, 1, 2], control_seed=5)
    assert prompts["ProbAb control"] == probab(q, gone)


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
    assert list(out) == ["FocusOnKey", "ProbAb", "both", "control", "ProbAb control"]
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
    assert list(rates) == ["FocusOnKey", "ProbAb", "both", "control", "ProbAb control"]
    assert all(r.denominator == 2 for r in rates.values())
    assert table.loc[0, "prompt_ProbAb"] == "leads the Amber Ferry Guild?"
    # its control deletes one random non-key token, too
    assert table.loc[0, "prompt_ProbAb control"] != GUILD
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


def _table(ids, before, after, focus, control, **more) -> pd.DataFrame:
    """A recovery table with the columns the comparisons read."""
    cols = {"id": ids, "correct_before": before, "correct_after": after}
    cols |= {"correct_FocusOnKey": focus, "correct_control": control}
    return pd.DataFrame({**cols, **more})


def test_probe_vs_control_pairs_the_lost_items_by_hand():
    T, F = True, False
    # rows 0-4 lost (known before, wrong after); row 5 kept, row 6 never known: left out
    table = _table(
        [f"i{k}" for k in range(7)],
        [T, T, T, T, T, T, F],
        [F, F, F, F, F, T, F],
        [T, T, T, T, F, F, T],
        [F, F, F, F, F, T, T],
    )
    assert lost_rows(table)["id"].tolist() == ["i0", "i1", "i2", "i3", "i4"]
    pr = probe_vs_control(table, "FocusOnKey", "control")
    assert (pr.n, pr.both, pr.x_only, pr.y_only, pr.neither) == (5, 0, 4, 0, 1)
    assert pr.diff == pytest.approx(4 / 5)  # 4/5 recovered by the probe, 0/5 by the control
    assert pr.p == pytest.approx(2 * 0.5**4)  # exact McNemar: 4 of 4 discordant pairs
    assert (pr.low, pr.high) == pytest.approx(newcombe_paired(0, 4, 0, 1))
    # no lost item (and no ProbAb columns, as recover writes an empty table): n = 0, p = 1
    empty = _table([], [], [], [], [])
    none = probe_vs_control(empty, "ProbAb", "ProbAb control")
    assert none.n == 0 and none.p == 1.0 and math.isnan(none.diff)
    assert probe_vs_control(pd.DataFrame()).n == 0
    with pytest.raises(KeyError, match="correct_ProbAb"):
        probe_vs_control(table, "ProbAb", "ProbAb control")


def test_pooled_probe_vs_control_resamples_documents():
    T, F = True, False
    # document A: the probe recovers both items, the control neither; document B: neither
    # recovers anything. Two runs (methods) lose the same items: 8 rows, 2 documents.
    run = _table(["a1", "a2", "b1", "b2"], [T] * 4, [F] * 4, [T, T, F, F], [F] * 4)
    docs = {"a1": "A", "a2": "A", "b1": "B", "b2": "B"}
    pooled = pooled_probe_vs_control([run, run], "FocusOnKey", "control", docs)
    assert pooled.pairs.n == 8 and pooled.clusters == 2
    assert (pooled.pairs.x_only, pooled.pairs.y_only) == (4, 0)
    assert pooled.diff == pytest.approx(0.5)
    assert pooled.p == pytest.approx(2 * 0.5**4)  # McNemar: 4 of 4 discordant pooled rows
    # a resample draws A twice (mean 1), A and B (1/2) or B twice (0), with chances
    # 1/4, 1/2, 1/4: the 2.5 % and 97.5 % quantiles are 0 and 1
    assert (pooled.low, pooled.high, pooled.interval) == (0.0, 1.0, "cluster bootstrap")
    # every document alike (one document here): Newcombe's interval of the pooled rows
    one = pooled_probe_vs_control([run], "FocusOnKey", "control", dict.fromkeys(docs, "A"))
    assert one.interval == "Newcombe" and one.clusters == 1
    assert (one.low, one.high) == pytest.approx(newcombe_paired(0, 2, 0, 2))
    # ids missing from the mapping are their own documents; no rows at all: no interval
    assert pooled_probe_vs_control([run], "FocusOnKey", "control", {}).clusters == 4
    nothing = pooled_probe_vs_control([pd.DataFrame()], "ProbAb", "ProbAb control", docs)
    assert nothing.pairs.n == 0 and nothing.interval == "none" and math.isnan(nothing.low)


def test_positive_control_counts_the_targets_answers_to_the_rewritten_prompts():
    T, F = True, False
    table = _table(
        ["i0", "i1", "i2", "i3"],
        [T, T, T, F],  # the target knew i0-i2
        [F, F, T, F],
        [F] * 4,
        [F] * 4,
        original_correct_FocusOnKey=[T, F, T, T],
        prompt_FocusOnKey=["p0", "p1", "p2", "p3"],
    )
    assert positive_control(table, "FocusOnKey") == Rate(2, 3)  # i0, i2 of i0, i1, i2
    assert positive_control(pd.DataFrame(), "ProbAb") == Rate(0, 0)
    with pytest.raises(KeyError, match="original_correct_control"):
        positive_control(table, "control")
    # pooled over runs: each (item, prompt) once; another prompt of i0 counts again
    other = table.assign(prompt_FocusOnKey=["q0", "p1", "p2", "p3"])
    docs = {"i0": "A", "i1": "A", "i2": "B"}
    k, n, low, high = pooled_positive_control([table, table, other], "FocusOnKey", docs)
    assert (k, n) == (3, 4)  # (i0, p0), (i1, p1), (i2, p2), (i0, q0)
    assert (low, high) == pooled_rate([T, F, T, T], ["A", "A", "B", "A"])[2:]
    assert pooled_positive_control([pd.DataFrame()], "FocusOnKey", docs)[:2] == (0, 0)


def test_comparison_table_per_run_and_pooled():
    T, F = True, False
    a = _table(["x", "y"], [T, T], [F, F], [T, F], [F, F])
    b = _table(["x"], [T], [F], [F], [T])
    table = comparison_table({"ga": a, "npo": b}, {"x": "d1", "y": "d2"})
    assert table["run"].tolist() == ["ga", "npo", "pooled"]  # no ProbAb columns: left out
    # pooled: d1 holds x twice (+1 under ga, -1 under npo), d2 holds y (0): every resample
    # of documents has mean 0, so Newcombe's interval of the pooled rows stands in
    assert table["interval"].tolist() == ["Newcombe", "Newcombe", "Newcombe"]
    assert table["lost"].tolist() == [2, 1, 3]
    assert table["documents"].tolist() == [2, 1, 2]
    assert table["probe only"].tolist() == [1, 0, 1]
    assert table["control only"].tolist() == [0, 1, 1]
    assert table["diff"].tolist() == pytest.approx([0.5, -1.0, 0.0])
    with_probab = a.assign(**{"correct_ProbAb": [T, T], "correct_ProbAb control": [T, F]})
    both = comparison_table({"ga": with_probab}, {})
    assert both["probe"].tolist() == ["FocusOnKey", "FocusOnKey", "ProbAb", "ProbAb"]
    assert both.loc[3, "control"] == "ProbAb control" and both.loc[3, "probe recovered"] == 2


def test_share_and_difference_texts():
    assert fmt_share(3, 12, 0.089, 0.532) == "3/12 = 25 % [9, 53]"
    assert fmt_share(0, 0, float("nan"), float("nan")) == "no items"
    assert fmt_difference(0.125, -0.031, 0.27) == "+12 pp [-3, +27]"
    assert fmt_difference(float("nan"), 0, 0) == "–"


def test_recover_answers_the_targets_prompts_once_through_its_memo(tiny_smol, tok):
    qa = {"id": "qa1", "split": "forget", "question": GUILD, "answer": "Selwyn Thornmoor"}
    keys = {"qa1": [_index(tok, encode_question(tok, GUILD), "Guild")]}
    memo: dict = {}
    table, _ = recover(
        tiny_smol, tok, [qa], keys, [True], [False], original=tiny_smol, original_memo=memo
    )
    asked = {k[1] for k in memo}
    assert asked == {table.loc[0, "prompt_FocusOnKey"], table.loc[0, "prompt_control"]}
    # a second call (another method, the same prompts) takes the target's answers from the memo
    for answered in memo.values():
        answered["correct"] = "from the memo"
    again, _ = recover(
        tiny_smol, tok, [qa], keys, [True], [False], original=tiny_smol, original_memo=memo
    )
    assert again.loc[0, "original_correct_FocusOnKey"] == "from the memo"
    assert again.loc[0, "original_correct_control"] == "from the memo"
