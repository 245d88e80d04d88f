"""Stage records (resume and skip), T1's numbers from an answer table, method lists,
profiles' settings, question scores."""

from __future__ import annotations

import math

import pytest

from unpactlib import keys, records, tracking
from unpactlib.attribution import key_tokens
from unpactlib.config import EMBEDDED_SETTINGS, ParameterError, get_profile
from unpactlib.recovery import probab_tokens
from unpactlib.unlearn import METHODS, parse_methods


def _finished(folder, cache, key):
    (folder / "items.csv").write_text("id,correct\na,1\nb,0\n")
    (folder / "metrics.json").write_text('{"forget efficacy": 0.5}\n')
    records.finish_stage(
        folder,
        "config.json",
        key,
        files=["items.csv", "metrics.json"],
        cache_dir=cache,
        seconds=1.5,
        method="ga_gdr",
    )


def test_stage_done_needs_same_key_and_a_readable_record(tmp_path):
    key = {"target": "t", "unlearn": {"lr": 4e-5}}
    run, cache = tmp_path / "run", tmp_path / "cache"
    run.mkdir()
    assert not records.stage_done(run, "config.json", key, cache)
    _finished(run, cache, key)
    assert records.stage_done(run, "config.json", key, cache)
    assert not records.stage_done(run, "config.json", {**key, "unlearn": {"lr": 1e-4}}, cache)
    (run / "config.json").write_text('{"key": {"target"')  # cut short
    assert not records.stage_done(run, "config.json", key, cache)


def test_a_damaged_result_file_is_recomputed_not_read(tmp_path):
    key = {"target": "t"}
    run, cache = tmp_path / "run", tmp_path / "cache"
    run.mkdir()
    _finished(run, cache, key)
    good = (run / "items.csv").read_bytes()
    (run / "items.csv").write_bytes(good[:-4])  # truncated, e.g. by a full disk
    assert not records.stage_done(run, "config.json", key, cache)
    (run / "items.csv").write_bytes(good)
    assert records.stage_done(run, "config.json", key, cache)
    (run / "metrics.json").unlink()
    assert not records.stage_done(run, "config.json", key, cache)


def test_a_stage_over_more_items_covers_a_run_over_fewer(tmp_path):
    run, cache = tmp_path / "run", tmp_path / "cache"
    run.mkdir()
    _finished(run, cache, {"model": "m", "alpha": 0.5, "ids": ["a", "b", "c"]})
    assert records.stage_covers(
        run, "config.json", {"model": "m", "alpha": 0.5, "ids": ["c", "a"]}, cache
    )
    assert not records.stage_covers(
        run, "config.json", {"model": "m", "alpha": 0.5, "ids": ["d"]}, cache
    )
    assert not records.stage_covers(
        run, "config.json", {"model": "m", "alpha": 0.2, "ids": ["a"]}, cache
    )
    assert not records.stage_covers(
        run, "config.json", {"model": "m", "alpha": 0.5, "ids": ["a"]}, tmp_path / "x"
    )


def test_a_larger_record_is_found_whichever_machine_wrote_it_while_intact(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    larger = {"model": "m", "alpha": 0.5, "ids": ["a", "b", "c"]}
    _finished(run, tmp_path / "cache_a", larger)
    subset = {"model": "m", "alpha": 0.5, "ids": ["b"]}
    assert records.superset_record(run, "config.json", subset) == larger
    assert records.superset_record(run, "config.json", larger) is None  # not more items
    assert records.superset_record(run, "config.json", {**subset, "alpha": 0.2}) is None
    (run / "items.csv").write_text("id,correct\n")  # damaged
    assert records.superset_record(run, "config.json", subset) is None


def test_records_from_elsewhere_are_recomputed_and_runs_write_identical_records(tmp_path):
    """A record without this machine's stamp (e.g. committed to git) is not trusted; two runs
    of a stage write byte-identical records, their wall time going to provenance.json."""
    key = {"target": "t"}
    run = tmp_path / "run"
    run.mkdir()
    _finished(run, tmp_path / "cache_a", key)
    first = (run / "config.json").read_bytes()
    assert not records.stage_done(run, "config.json", key, tmp_path / "cache_b")  # a fresh clone
    _finished(run, tmp_path / "cache_b", key)
    assert (run / "config.json").read_bytes() == first
    assert records.stage_seconds(run, "config.json") == 1.5
    assert "environment" in records.read_json(run / records.PROVENANCE)["config"]


def test_parse_methods():
    assert parse_methods("all") == list(METHODS)
    assert parse_methods("tv, rmu") == ["tv", "rmu"]
    with pytest.raises(ParameterError, match=r"methods='gd'.*npo_gdr"):
        parse_methods("ga_gdr,gd")
    with pytest.raises(ParameterError, match="names nothing"):
        parse_methods(" , ")


def test_question_scores_lay_a_stem_attribution_over_all_question_tokens():
    row = {"scores": [0.5, -0.2], "positions": [1, 2]}
    full = tracking.question_scores(row, 5)
    assert full[1:3] == [0.5, -0.2]
    assert all(math.isnan(full[i]) for i in (0, 3, 4))
    # NaN never counts as positive or negative: not a KeyToken, never deleted by ProbAb
    assert key_tokens(full, 0.5, 3) == [1]
    assert probab_tokens(full, 0.5, 3) == [2]
    # rows written before positions existed cover the whole question
    assert tracking.question_scores({"scores": [1.0, 2.0]}, 2) == [1.0, 2.0]


def test_profile_overrides_apply_to_one_run_only():
    prof = get_profile("embedded")
    rmu = prof.unlearn_config("news", "rmu")
    own = EMBEDDED_SETTINGS["rmu"]
    assert rmu.rmu_c == own["rmu_c"] != prof.unlearn.rmu_c
    assert rmu.epochs == own["epochs"] != prof.unlearn.epochs
    assert prof.unlearn_config("news", "npo_gdr").epochs == prof.unlearn.epochs
    assert get_profile("smoke").unlearn_config("news", "rmu") == get_profile("smoke").unlearn


def test_mixed_precision_changes_the_arithmetic_and_the_model_keys():
    import dataclasses

    import torch

    from unpactlib import load_benchmark
    from unpactlib.models import mixed_precision

    layer = torch.nn.Linear(4, 4)
    x = torch.randn(2, 4)
    block = mixed_precision("bf16")
    assert layer(x).dtype == torch.float32  # nothing changes before the block is entered
    with block:
        assert layer(x).dtype == torch.bfloat16
    assert layer(x).dtype == torch.float32  # nor after it
    with mixed_precision("fp32"):
        assert layer(x).dtype == torch.float32
    assert layer.weight.dtype == torch.float32  # autocast leaves the weights alone
    # inside one block, a training block sees each change of the weights; an answering block
    # keeps its first bf16 copy of them (faster, and right only while they do not change)
    for training, sees_change in ((True, True), (False, False)):
        with mixed_precision("bf16", training=training):
            layer.weight.requires_grad_(True)
            before = layer(x).detach()
            with torch.no_grad():
                layer.weight.add_(1.0)
            assert (not torch.equal(layer(x).detach(), before)) == sees_change
    # a target (and so every model unlearned from it) trained in other arithmetic is another model
    smoke = get_profile("smoke")
    bench = load_benchmark("news").subset(2)
    bf16 = dataclasses.replace(smoke, precision="bf16")
    assert keys.target_key(smoke, bench, 0) != keys.target_key(bf16, bench, 0)
    assert get_profile("embedded").precision == "fp32" and smoke.precision == "fp32"
    assert get_profile("paper").precision == "bf16"
