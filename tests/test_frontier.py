"""The frontier's strength axis: target + s * (unlearned - target), by hand."""

from __future__ import annotations

import copy
from dataclasses import asdict

import torch

from unpactlib.ladder import LadderSettings
from unpactlib.results import write_json
from unpactlib.stages.frontier import FRONTIER_ATTACKS, ladder_settings, scale_update


def test_scale_update_moves_only_the_updated_parameters_by_s(tiny_model):
    model = copy.deepcopy(tiny_model)
    target = {n: p.detach().clone() for n, p in model.named_parameters()}
    name = "model.norm.weight"
    delta = {name: torch.full_like(target[name], 2.0).half()}
    for s, expected in ((0.0, 0.0), (0.5, 1.0), (1.5, 3.0)):
        scale_update(model, target, delta, s)
        params = dict(model.named_parameters())
        assert torch.allclose(params[name], target[name] + expected)
        assert all(torch.equal(params[n], target[n]) for n in target if n != name)


def test_the_frontier_attacks_are_the_ladders_own():
    assert "question" not in FRONTIER_ATTACKS
    assert {"few-shot", "sampling", "int4", "relearn forget"} <= set(FRONTIER_ATTACKS)


def test_the_frontier_repeats_the_ladders_recorded_settings(tmp_path):
    ran = LadderSettings(n_samples=4, relearn_steps=3, tau=0.5)
    write_json(tmp_path / "ladder_config.json", {"key": {"ladder": asdict(ran)}, "files": {}})
    got = ladder_settings(tmp_path, tau=0.7)
    assert (got.n_samples, got.relearn_steps, got.tau) == (4, 3, 0.7)
    assert got.group_size == ran.group_size
