"""The frontier's strength axis: target + s * (unlearned - target), by hand."""

from __future__ import annotations

import copy

import torch

from unpactlib.stages.frontier import FRONTIER_ATTACKS, scale_update


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
