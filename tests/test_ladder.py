"""The recovery ladder's tables (unpactlib.ladder) on a tiny model, and its net recovery by
hand."""

from __future__ import annotations

import pandas as pd
import pytest

from unpactlib import ladder
from unpactlib.config import ParameterError
from unpactlib.ladder import (
    LadderSettings,
    document_folds,
    net_recovery,
    prompt_attacks,
    strongest_attack,
    weight_attacks,
)

FORGET = [
    {
        "id": f"f-{i}",
        "doc_id": f"d{i // 2}",
        "question": f"Who founded the Amber guild number {i}?",
        "answer": "Selwyn Thornmoor",
        **({"paraphrase": f"Amber guild {i} was founded by whom?"} if i % 2 == 0 else {}),
    }
    for i in range(6)
]
RETAIN = [{"id": "r-1", "question": "Where is Dunport?", "answer": "on the coast"}]
FAST = LadderSettings(n_samples=2, relearn_steps=1, relearn_batch_size=2, group_size=32)


def test_document_folds_keep_a_document_together_and_alternate():
    folds = document_folds(FORGET)  # documents d0, d1, d2 -> folds 0, 1, 0
    assert folds == {"f-0": 0, "f-1": 0, "f-2": 1, "f-3": 1, "f-4": 0, "f-5": 0}


def test_prompt_attacks_give_one_row_per_item_and_every_column(tok, tiny_smol):
    table = prompt_attacks(tiny_smol, tok, FORGET, RETAIN, FAST, batch_size=4)
    assert list(table.index) == [r["id"] for r in FORGET]
    for attack in ladder.PROMPT_ATTACKS:
        assert attack in table and f"{attack} answer" in table
    assert table["paraphrase"].isna().tolist() == [False, True] * 3  # odd items have none
    assert table["sampling share"].between(0, 1).all()
    again = prompt_attacks(tiny_smol, tok, FORGET, RETAIN, FAST, batch_size=4)
    pd.testing.assert_frame_equal(table, again)  # seeded


def test_relearning_on_forget_facts_never_trains_on_the_asked_fold(tok, tiny_smol, monkeypatch):
    trained: list[list[str]] = []

    def fake_relearn(model, tok, records, **kwargs):
        trained.append([r["id"] for r in records])
        return []

    monkeypatch.setattr(ladder, "relearn", fake_relearn)
    asked = [FORGET[0], FORGET[3]]  # one from each fold
    table = weight_attacks(
        tiny_smol,
        tok,
        asked,
        retain_train=RETAIN,
        forget_pool=FORGET,
        settings=FAST,
        attacks=["relearn retain", "relearn forget"],
        batch_size=4,
    )
    assert trained[0] == ["r-1"]  # relearn retain
    folds = document_folds(FORGET)
    assert {folds[i] for i in trained[1]} == {1}  # asked f-0 (fold 0): trained on fold 1
    assert {folds[i] for i in trained[2]} == {0}
    assert list(table.columns) == [
        "relearn retain",
        "relearn retain answer",
        "relearn forget",
        "relearn forget answer",
    ]
    with pytest.raises(ParameterError, match="attacks"):
        weight_attacks(
            tiny_smol, tok, asked, retain_train=RETAIN, forget_pool=FORGET, attacks=["x"]
        )


def test_quantisation_attacks_answer_every_item(tok, tiny_smol):
    table = weight_attacks(
        tiny_smol,
        tok,
        FORGET[:2],
        retain_train=RETAIN,
        forget_pool=FORGET,
        settings=FAST,
        attacks=["int8", "int4"],
        batch_size=4,
    )
    assert table[["int8", "int4"]].notna().all().all()
    assert table["int4 answer"].map(type).eq(str).all()


def test_net_recovery_is_the_paired_difference_with_the_base_model():
    attacked = pd.DataFrame({"few-shot": [True, True, False, True]}, index=list("abcd"))
    base = pd.DataFrame({"few-shot": [False, True, False, False]}, index=list("abcd"))
    net = net_recovery(attacked, base, "few-shot")
    # both 1 (b), attacked only 2 (a, d), base only 0, neither 1 (c)
    assert (net.both, net.x_only, net.y_only, net.neither) == (1, 2, 0, 1)
    assert net.diff == 0.5
    assert net.p == 0.5  # two discordant pairs, both one way: 2 * (1/2)^2
    assert net.low < 0.5 < net.high


def test_the_strongest_attack_has_the_largest_net_recovery():
    attacked = pd.DataFrame(
        {"few-shot": [True, False, False, False], "int4": [True, True, False, False]},
        index=list("abcd"),
    )
    base = pd.DataFrame(
        {"few-shot": [False, False, False, False], "int4": [True, True, False, False]},
        index=list("abcd"),
    )
    assert strongest_attack(attacked, base) == "few-shot"  # 0.25 against 0.0


def test_control_counts_count_each_model_on_its_answered_items():
    from unpactlib.ladder import control_counts

    reference = pd.DataFrame(
        {
            "model": ["base", "base", "target", "target"],
            "int4": [True, False, True, True],
            "paraphrase": [None, False, True, None],
        }
    )
    counts = control_counts(reference, ["int4", "paraphrase"])
    assert counts.loc["int4"].tolist() == [1, 2, 2, 2]
    assert counts.loc["paraphrase"].tolist() == [0, 1, 1, 1]
