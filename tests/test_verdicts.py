"""The verdict rules: constructed inputs for which each rule returns each of its verdicts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from unpactlib.verdicts import (
    MUCH,
    POSITIVE_CONTROL_MIN,
    VERDICTS,
    Verdict,
    difference_effect,
    mean_effect,
    rq1_verdict,
    rq2_verdict,
    rq3_verdict,
)

DOCS = 16


def _prompts(key: float, random: float, noise: float, seed: int, prefix: str) -> pd.DataFrame:
    """Three prompts per document over 16 documents under six methods (288 rows), with
    ``key_change`` and ``random_change`` around the given means."""
    rng = np.random.default_rng(seed)
    rows = []
    for m in range(6):
        for d in range(DOCS):
            for _q in range(3):
                rows.append(
                    {
                        "method": m,
                        "cluster": f"{prefix}/{d}",
                        "key_change": key + noise * rng.standard_normal(),
                        "random_change": random + noise * rng.standard_normal(),
                    }
                )
    return pd.DataFrame(rows)


def test_mean_effect_interval_brackets_the_mean_and_counts_clusters():
    e = mean_effect([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], ["a", "a", "b", "b", "c", "c"])
    assert e.estimate == pytest.approx(3.5)
    assert e.low <= 3.5 <= e.high
    assert (e.n, e.clusters) == (6, 3)
    assert not e.below_zero and e.above_zero


def test_mean_effect_drops_nan_rows():
    e = mean_effect([1.0, float("nan"), 3.0], ["a", "b", "c"])
    assert (e.n, e.clusters) == (2, 2)
    assert e.estimate == pytest.approx(2.0)


def test_difference_effect_of_separated_groups():
    a = [-1.0 + 0.01 * i for i in range(20)]
    b = [1.0 + 0.01 * i for i in range(20)]
    e = difference_effect(
        a, [f"a{i // 2}" for i in range(20)], b, [f"b{i // 2}" for i in range(20)]
    )
    assert e.estimate == pytest.approx(-2.0)
    assert e.below_zero
    assert e.clusters == 20


@pytest.mark.parametrize(
    ("forget", "retain", "expected"),
    [
        # keys fall far more than random tokens on forget prompts, not on retain prompts
        ((-0.5, -0.1), (-0.12, -0.1), "agrees"),
        # keys fall more than random tokens, but just as much on retain prompts
        ((-0.5, -0.1), (-0.5, -0.1), "partly"),
        # keys fall no more than random tokens
        ((-0.1, -0.1), (-0.1, -0.1), "does not"),
        # keys gain contribution: the wrong sign never supports the claim
        ((0.3, 0.0), (0.0, 0.0), "does not"),
        # keys lose less than random tokens
        ((-0.1, -0.4), (0.0, 0.0), "does not"),
    ],
)
def test_rq1_each_verdict(forget, retain, expected):
    v = rq1_verdict(
        _prompts(*forget, noise=0.05, seed=1, prefix="f"),
        _prompts(*retain, noise=0.05, seed=2, prefix="r"),
    )
    assert v.verdict == expected, v.reason
    assert v.claim == "RQ1"
    assert set(v.effects) == {"forget", "key", "retain", "forget - retain"}


def test_rq1_keys_that_rise_cannot_agree_even_when_random_tokens_rise_more():
    v = rq1_verdict(_prompts(0.2, 0.6, 0.05, 1, "f"), _prompts(0.5, 0.5, 0.05, 2, "r"))
    assert v.verdict == "does not"


def _lost(focus: float, control: float, probab: float, probab_control: float) -> pd.DataFrame:
    """96 lost items (six per document over 16 documents); each probe's hits are the first
    share of the items of every document, so the effects are the given shares exactly."""
    rows = []
    for d in range(DOCS):
        for i in range(6):
            share = (i + 0.5) / 6
            rows.append(
                {
                    "cluster": f"news/{d}",
                    "FocusOnKey": share < focus,
                    "FocusOnKey control": share < control,
                    "ProbAb": share < probab,
                    "ProbAb control": share < probab_control,
                }
            )
    return pd.DataFrame(rows)


@pytest.mark.parametrize(
    ("shares", "positive", "expected"),
    [
        ((0.5, 0.0, 0.0, 0.0), (96, 96), "agrees"),
        # FocusOnKey beats its control but brings back less than MUCH
        ((0.17, 0.0, 0.0, 0.0), (96, 96), "partly"),
        # only ProbAb beats its control
        ((0.0, 0.0, 0.34, 0.0), (96, 96), "partly"),
        # both probes do as well as their controls, however much they bring back
        ((0.5, 0.5, 0.34, 0.34), (96, 96), "does not"),
        # the probes do worse than their controls
        ((0.0, 0.34, 0.0, 0.17), (96, 96), "does not"),
        # the target itself fails the emphasis prompts: nothing can be concluded
        ((0.5, 0.0, 0.0, 0.0), (10, 96), "inconclusive"),
    ],
)
def test_rq2_each_verdict(shares, positive, expected):
    v = rq2_verdict(_lost(*shares), positive)
    assert v.verdict == expected, v.reason


def test_rq2_thresholds_are_what_the_docstring_says():
    assert MUCH == 0.25 and POSITIVE_CONTROL_MIN == 0.8
    # just at the positive control's threshold the rule still judges
    v = rq2_verdict(_lost(0.5, 0.0, 0.0, 0.0), (80, 100))
    assert v.verdict == "agrees"
    assert v.numbers["FocusOnKey"] == pytest.approx(0.5)


def test_rq2_no_lost_items_is_inconclusive():
    empty = _lost(0, 0, 0, 0).iloc[:0]
    assert rq2_verdict(empty, (96, 96)).verdict == "inconclusive"


def _rq3(function: float, content: float, tie: float, seed: int = 0):
    """Retain prompts with the given mean changes, and 18 runs whose destructive rate falls
    with their mean change by ``tie`` (0: unrelated)."""
    rng = np.random.default_rng(seed)
    prompts = pd.DataFrame(
        {
            "cluster": [f"b/{d}" for d in range(DOCS) for _ in range(18)],
            "function_change": function + 0.05 * rng.standard_normal(DOCS * 18),
            "content_change": content + 0.05 * rng.standard_normal(DOCS * 18),
        }
    )
    change = np.linspace(-0.5, 0.0, 18)
    noise = rng.permutation(np.linspace(0, 1, 18))
    runs = pd.DataFrame({"mean_change": change, "destructive": -tie * change + (1 - tie) * noise})
    return prompts, runs


@pytest.mark.parametrize(
    ("function", "content", "tie", "expected"),
    [
        (-0.3, -0.3, 1.0, "agrees"),
        # every token loses, but loss and destruction are unrelated
        (-0.3, -0.3, 0.0, "partly"),
        # function words rise: never support, whatever the correlation
        (0.3, -0.3, 1.0, "does not"),
        # nothing moves and nothing is tied
        (0.0, 0.0, 0.0, "does not"),
    ],
)
def test_rq3_each_verdict(function, content, tie, expected):
    prompts, runs = _rq3(function, content, tie)
    v = rq3_verdict(prompts, runs)
    assert v.verdict == expected, v.reason
    assert v.verdict in VERDICTS


def test_rq3_partly_when_tied_but_function_words_not_clearly_down():
    prompts, runs = _rq3(-0.3, -0.3, 1.0)
    # half the documents' function words rise by one nat, half fall by a bit more: the mean is
    # negative but its interval reaches above zero
    sign = np.array([1.0 if int(c.split("/")[1]) % 2 else -1.02 for c in prompts["cluster"]])
    prompts["function_change"] = sign
    v = rq3_verdict(prompts, runs)
    assert v.numbers["p"] < 0.05 and v.numbers["rho"] < 0
    assert v.effects["function"].estimate < 0 and not v.effects["function"].below_zero
    assert v.verdict == "partly"


def _ladder_items(net_share: float, base_share: float = 0.0, n_docs: int = DOCS) -> pd.DataFrame:
    """Six lost items per document over ``n_docs`` documents; the unlearned model answers the
    first ``net_share + base_share`` of each document's items under ``few-shot``, the base
    model the first ``base_share``; ``int4`` never recovers anything."""
    rows = []
    for d in range(n_docs):
        for i in range(6):
            share = (i + 0.5) / 6
            rows.append(
                {
                    "cluster": f"news/{d}",
                    "few-shot": share < net_share + base_share,
                    "few-shot base": share < base_share,
                    "int4": False,
                    "int4 base": False,
                }
            )
    return pd.DataFrame(rows)


@pytest.mark.parametrize(
    ("net", "base", "controls", "expected"),
    [
        (0.5, 0.0, {"few-shot": 1.0, "int4": 1.0}, "agrees"),
        # recovers beyond the base model, but less than MUCH
        (0.17, 0.0, {"few-shot": 1.0, "int4": 1.0}, "partly"),
        # the unlearned model answers exactly what the base model guesses: no net recovery
        (0.0, 0.5, {"few-shot": 1.0, "int4": 1.0}, "does not"),
        # few-shot would recover, but it stops the target from answering: only int4 is judged
        (0.5, 0.0, {"few-shot": 0.5, "int4": 1.0}, "does not"),
        # no attack passes its positive control
        (0.5, 0.0, {"few-shot": 0.5, "int4": 0.2}, "inconclusive"),
    ],
)
def test_ladder_each_verdict(net, base, controls, expected):
    from unpactlib.verdicts import ladder_verdict

    v = ladder_verdict(_ladder_items(net, base), controls, ["few-shot", "int4"])
    assert v.verdict == expected, v.reason


def test_ladder_without_lost_items_is_inconclusive():
    from unpactlib.verdicts import ladder_verdict

    empty = _ladder_items(0.5).iloc[:0]
    assert ladder_verdict(empty, {"few-shot": 1.0}, ["few-shot"]).verdict == "inconclusive"


def _point(forget: tuple[int, int], net: tuple[float, float, float], destroy: tuple[int, int]):
    from unpactlib.stats import wilson

    f_low, f_high = wilson(*forget)
    d_low, d_high = wilson(*destroy)
    return {
        "method": "tv",
        "strength": 1.0,
        "forget efficacy k": forget[0],
        "forget efficacy n": forget[1],
        "forget efficacy low": f_low,
        "forget efficacy high": f_high,
        "retain destructive k": destroy[0],
        "retain destructive n": destroy[1],
        "retain destructive low": d_low,
        "retain destructive high": d_high,
        "lost": forget[0],
        "net": net[0],
        "net low": net[1],
        "net high": net[2],
    }


@pytest.mark.parametrize(
    ("point", "expected"),
    [
        # forgets 40/45 but the attack brings back 60 % net: the dilemma holds
        (_point((40, 45), (0.6, 0.45, 0.72), (2, 45)), "agrees"),
        # forgets and is not recoverable, but destroys 30/45 retain-eval items
        (_point((40, 45), (0.05, -0.02, 0.15), (30, 45)), "agrees"),
        # forgets, unrecoverable and harmless by its intervals: the dilemma is escaped
        (_point((40, 45), (0.05, -0.02, 0.15), (1, 45)), "does not"),
        # by its estimates only: 7/40 destroyed (17.5 %), interval reaching above 20 %
        (_point((40, 45), (0.05, -0.02, 0.15), (7, 40)), "partly"),
        # never surely forgets half
        (_point((10, 45), (0.05, -0.02, 0.15), (1, 45)), "inconclusive"),
    ],
)
def test_frontier_each_verdict(point, expected):
    from unpactlib.verdicts import frontier_verdict

    v = frontier_verdict(pd.DataFrame([point]))
    assert v.verdict == expected, v.reason


def test_escape_thresholds_are_what_the_docstring_says():
    from unpactlib.verdicts import ESCAPE_DESTRUCTION, ESCAPE_FORGET, ESCAPE_RECOVERY

    assert (ESCAPE_FORGET, ESCAPE_RECOVERY, ESCAPE_DESTRUCTION) == (0.5, MUCH, 0.2)


def test_every_claim_and_verdict_has_its_own_sentence():
    from unpactlib import claims

    for claim, by_verdict in claims.SENTENCES.items():
        assert set(by_verdict) == set(VERDICTS), claim
        assert len(set(by_verdict.values())) == len(VERDICTS), claim
        for verdict, text in by_verdict.items():
            assert claims.sentence(Verdict(claim, verdict, "")) == text


def test_a_stage_without_results_is_said_to_be_not_run():
    from unpactlib import claims

    for claim, stage in (("ladder", "ladder"), ("dilemma", "frontier")):
        v = claims._missing(claim, stage)
        assert v.verdict == "inconclusive" and stage in v.reason
        assert "not been run" in claims.sentence(v)
        assert claims.SENTENCES[claim]["inconclusive"] != claims.sentence(v)
