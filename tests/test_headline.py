"""The first page's answer (:func:`unpactlib.claims.headline`): each part is the verdict's
own sentence followed by the numbers that decided it."""

from __future__ import annotations

import pandas as pd

from unpactlib import claims
from unpactlib.stats import fmt_rate
from unpactlib.verdicts import Effect, Verdict


def _inputs(items: pd.DataFrame, positive: tuple[int, int]) -> claims.ClaimInputs:
    empty = pd.DataFrame()
    return claims.ClaimInputs([], empty, empty, items, positive, empty, empty)


def _verdicts(ladder: Verdict, dilemma: Verdict) -> dict[str, Verdict]:
    e = Effect(-0.25, -0.4, -0.1, 96, 16)
    return {
        "RQ1": Verdict("RQ1", "agrees", "", {"forget": e, "retain": Effect(0.0, -0.1, 0.1, 9, 3)}),
        "RQ2": Verdict("RQ2", "does not", ""),
        "RQ3": Verdict("RQ3", "partly", "", {"function": e, "content": e}),
        "ladder": ladder,
        "dilemma": dilemma,
    }


def test_headline_states_each_verdict_and_its_numbers():
    # 4 lost items from 2 documents: FocusOnKey brings back 1, its control 2
    items = pd.DataFrame(
        {
            "FocusOnKey": [True, False, False, False],
            "FocusOnKey control": [True, True, False, False],
            "cluster": ["d1", "d1", "d2", "d2"],
        }
    )
    out = claims.headline(
        _inputs(items, (9, 10)),
        _verdicts(claims._missing("ladder", "ladder"), claims._missing("dilemma", "frontier")),
    )
    assert set(out) == {"key words", "recovery", "forgetting"}
    assert out["key words"].startswith(claims.SENTENCES["RQ1"]["agrees"])
    assert "-0.25 nats [-0.40, -0.10] on forget prompts" in out["key words"]
    assert out["recovery"].startswith(claims.SENTENCES["RQ2"]["does not"])
    assert "FocusOnKey brought back 1/4 = 25 %" in out["recovery"]
    assert "its control 2/4 = 50 %" in out["recovery"]
    assert f"the target answers {fmt_rate(9, 10)}" in out["recovery"]
    assert out["forgetting"].startswith(claims.SENTENCES["RQ3"]["partly"])
    # stages not run add nothing
    assert "ladder" not in out["recovery"] and "dilemma" not in out["forgetting"]


def test_headline_adds_the_ladder_and_the_dilemma_where_they_ran():
    ladder = Verdict("ladder", "does not", "No attack recovered (the largest net: few-shot).")
    dilemma = Verdict("dilemma", "agrees", "No point escapes.")
    out = claims.headline(_inputs(pd.DataFrame(), (0, 0)), _verdicts(ladder, dilemma))
    assert out["recovery"].endswith(claims.SENTENCES["ladder"]["does not"] + " " + ladder.reason)
    assert out["forgetting"].endswith(claims.SENTENCES["dilemma"]["agrees"] + " " + dilemma.reason)


def test_pooled_text_without_a_column_is_not_measured():
    items = pd.DataFrame({"FocusOnKey": [True, None], "cluster": ["a", "b"]})
    assert claims.pooled_text(items, "ProbAb") == "not measured"
    assert claims.pooled_text(items, "FocusOnKey") == "not measured"


def test_model_label_names_the_embedded_model():
    assert claims.model_label("embedded") == "SmolLM2-135M-Instruct"
    assert claims.model_label("org/model") == "org/model"


def test_a_reason_that_opens_with_a_lower_case_name_opens_its_sentence_capitalised():
    ladder = Verdict("ladder", "agrees", "sampling brought back +0.41 of the lost items.")
    dilemma = Verdict("dilemma", "agrees", "No point escapes.")
    out = claims.headline(_inputs(pd.DataFrame(), (0, 0)), _verdicts(ladder, dilemma))
    assert out["recovery"].endswith(" Sampling brought back +0.41 of the lost items.")


def test_ladder_breakdown_names_each_benchmark_verdict_and_its_strongest_recovering_attack():
    strong, weak = Effect(0.4, 0.3, 0.5, 100, 16), Effect(0.1, 0.0, 0.2, 100, 16)
    per = {
        "news": Verdict(
            "ladder",
            "agrees",
            "",
            {"sampling": strong, "int4": weak},
            {"sampling recovers": 1.0, "int4 recovers": 1.0},
        ),
        "wmdp": Verdict("ladder", "does not", "", {"sampling": weak}, {}),
    }
    assert claims.ladder_breakdown(per) == (
        "By benchmark, the same rule on each one's own items and controls gives: news agrees, "
        f"strongest sampling {strong.text(digits=2)}; wmdp does not. The verdict pools them."
    )
    assert claims.ladder_breakdown({}) == ""
