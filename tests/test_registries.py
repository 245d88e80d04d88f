"""A new unlearning method is one registry entry (and its module); a new benchmark is its
generator, its data and one registry entry: both run through every stage function."""

from __future__ import annotations

import json

import pytest

from unpactlib import stages
from unpactlib.benchmarks import BENCHMARKS, BenchmarkSpec, register_benchmark
from unpactlib.cli import main, stage_parameters
from unpactlib.config import ParameterError
from unpactlib.synthetic import render, write
from unpactlib.unlearn import METHODS, Method, ga_gdr

PEOPLE = ["Ilsa Varn", "Oren Tull", "Mara Quen", "Pell Dorr", "Ines Korr", "Tam Vesk"]
TOWNS = ["Corvale", "Dunmere", "Ashby", "Keld", "Morrow", "Tillan"]


def generate_tinyfacts(seed: int) -> dict[str, list[dict]]:
    """Six invented people, each born in another town: two per split."""
    rows: dict[str, list[dict]] = {"forget": [], "retain": [], "holdout": [], "facts": []}
    for k, (person, town) in enumerate(zip(PEOPLE, TOWNS)):
        split = ("forget", "retain", "holdout")[k % 3]
        rows[split].append(
            {
                "id": f"tf{k}",
                "split": split,
                "question": f"Where was {person} born?",
                "answer": town,
            }
        )
        rows["facts"].append(
            {"id": f"doc{k}", "split": split, "text": f"{person} was born in {town}."}
        )
    return rows


@pytest.fixture
def throwaway(tmp_path, monkeypatch):
    """A registered benchmark ``tinyfacts`` (files written by its generator into tmp_path)
    and a registered method ``throwaway`` (gradient ascent's loss under a new name)."""
    spec = BenchmarkSpec("tinyfacts", "facts", generate_tinyfacts, data_dir=tmp_path / "data")
    register_benchmark(spec)
    monkeypatch.setitem(METHODS, "throwaway", Method("throwaway", ga_gdr.loss))
    write("tinyfacts")
    yield tmp_path
    del BENCHMARKS["tinyfacts"]


def test_a_registered_method_and_benchmark_run_through_every_stage(throwaway):
    study = stages.setup(
        "smoke",
        "tinyfacts",
        results_dir=throwaway / "results",
        cache_dir=throwaway / "cache",
        device="cpu",
    )
    target = stages.run_target(study)
    assert set(target.items.split) == {"forget", "retain", "holdout", "utility"}
    unlearning = stages.run_unlearning(study, "throwaway")
    assert list(unlearning.t1.index) == ["target", "throwaway"]
    attribution = stages.run_attribution(study, "throwaway", n_compare=0)
    assert {r["model"] for r in attribution.rows} == {"original", "throwaway"}
    recovery = stages.run_recovery(
        study, "throwaway", templates="key_line", grid_alphas="0.5", grid_betas="3"
    )
    assert set(recovery.t2.method) <= {"throwaway"}
    run = throwaway / "results" / "smoke" / "tinyfacts__throwaway__s0"
    for name in ("items.csv", "metrics.json", "contributions.jsonl", "recovery.json"):
        assert (run / name).exists(), name
    # a second call finds every unit done and returns the same tables
    again = stages.run_unlearning(study, "throwaway")
    assert again.t1.drop(columns="seconds").equals(unlearning.t1.drop(columns="seconds"))


def test_the_ladder_runs_on_lost_items_with_base_and_target_beside(throwaway):
    import pandas as pd

    study = stages.setup(
        "smoke", "tinyfacts", results_dir=throwaway / "results", cache_dir=throwaway / "cache"
    )
    stages.run_target(study)
    stages.run_unlearning(study, "throwaway")
    stages.run_attribution(study, "throwaway", n_compare=0)
    # the smoke model knows nothing: mark every forget item known before and lost after
    run = throwaway / "results" / "smoke" / "tinyfacts__throwaway__s0"
    items = pd.read_csv(run / "items.csv")
    forget = items.split == "forget"
    items.loc[forget, "correct_before"], items.loc[forget, "correct_after"] = True, False
    items.to_csv(run / "items.csv", index=False)
    stages.run_recovery(study, "throwaway", templates="key_line", grid_alphas="0.5", grid_betas="3")
    ladder = stages.run_ladder(study, "throwaway", n_samples=2, relearn_steps=1, group_size=16)
    table = ladder.tables["throwaway"]
    assert sorted(table.model.unique()) == ["base", "target", "unlearned"]
    assert set(table.id) == {"tf0", "tf3"}
    for attack in (
        "paraphrase",
        "few-shot",
        "sampling",
        "int8",
        "int4",
        "relearn retain",
        "relearn forget",
        "FocusOnKey",
        "FocusOnKey control",
        "ProbAb",
    ):
        assert attack in ladder.attacks, attack
    net = ladder.net.set_index("attack")
    assert (net.n <= 2).all() and net.net[net.n > 0].between(-1, 1).all()
    assert net.loc["paraphrase", "n"] == 0  # tinyfacts has no paraphrases: no items, no net
    assert set(ladder.lens.model) == {"base", "target", "unlearned"}
    again = stages.run_ladder(study, "throwaway", n_samples=2, relearn_steps=1, group_size=16)
    pd.testing.assert_frame_equal(again.net, ladder.net)  # read back, not recomputed

    from unpactlib import claims

    items, controls, attacks = claims.collect_ladder(throwaway / "results", "smoke")
    assert sorted(items.id) == ["tf0", "tf3"] and set(items.method) == {"throwaway"}
    assert {"int4", "int4 base", "FocusOnKey", "FocusOnKey base", "cluster"} <= set(items)
    assert set(controls) == set(attacks)
    assert controls["paraphrase"] == 0  # tinyfacts has no paraphrases: never judged
    assert all(0 <= share <= 1 for share in controls.values())
    # one benchmark alone: the same rows; another benchmark has none
    alone, alone_controls, _ = claims.collect_ladder(
        throwaway / "results", "smoke", benchmarks=["tinyfacts"]
    )
    pd.testing.assert_frame_equal(alone, items)
    assert alone_controls == controls
    assert claims.collect_ladder(throwaway / "results", "smoke", benchmarks=["news"])[0].empty
    per = claims.ladder_by_benchmark(throwaway / "results", "smoke")
    assert list(per) == ["tinyfacts"]
    from unpactlib.verdicts import ladder_verdict

    assert per["tinyfacts"] == ladder_verdict(items, controls, attacks)

    frontier = stages.run_frontier(study, "throwaway", strengths="0,1", attack="int8")
    points = frontier.points.set_index("strength")
    assert list(points.index) == [0.0, 1.0]
    # strength 0 is the target itself: nothing lost, every contribution unchanged (up to the
    # rounding of other batch compositions than the attribution stage's)
    assert points.loc[0.0, "forget efficacy k"] == 0
    assert abs(points.loc[0.0, "mean change"]) < 1e-5
    assert abs(points.loc[0.0, "function change"]) < 1e-5
    # strength 1 is the unlearned model: the attribution stage's contributions, recomputed
    rows = [json.loads(line) for line in (run / "frontier_contributions.jsonl").open()]
    stage = {r["id"]: r for r in map(json.loads, (run / "contributions.jsonl").open())}
    at_one = [r for r in rows if r["model"] == "throwaway@1"]
    assert at_one
    for r in at_one:
        assert r["scores"] == pytest.approx(stage[r["id"]]["scores"], abs=1e-5)


def test_registering_a_taken_benchmark_name_fails():
    with pytest.raises(ParameterError, match="registered already"):
        register_benchmark(BENCHMARKS["news"])


def test_generator_output_is_what_load_benchmark_reads(throwaway):
    files = render("tinyfacts")
    assert sorted(files) == ["facts.jsonl", "forget.jsonl", "holdout.jsonl", "retain.jsonl"]
    bench = stages.setup("smoke", "tinyfacts", results_dir=throwaway).bench
    assert [r["id"] for r in bench["forget"]] == ["tf0", "tf3"]


def test_cli_stage_parameters_are_typed_and_checked():
    assert stage_parameters("attribution", [["alpha", "0.2"], ["n_compare", "0"]]) == {
        "alpha": 0.2,
        "n_compare": 0,
    }
    with pytest.raises(ParameterError, match="attribution parameter='alfa'"):
        stage_parameters("attribution", [["alfa", "0.2"]])
    assert main(["stage", "recovery", "--profile", "smoke", "-p", "tau", "2"]) == 2


def test_stage_functions_name_bad_parameters(throwaway):
    study = stages.setup("smoke", "tinyfacts", results_dir=throwaway / "r", device="cpu")
    with pytest.raises(ParameterError, match="grid_alphas"):
        stages.run_recovery(study, grid_alphas="0.5,x")
    with pytest.raises(ParameterError, match="mc_span"):
        stages.run_attribution(study, mc_span="options")
    with pytest.raises(ParameterError, match="methods='gd'"):
        stages.run_unlearning(study, "gd")
