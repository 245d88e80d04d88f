"""Activation checkpointing (a profile's ``activation_checkpointing``) changes memory and time
only: training with it gives the same weights, bit for bit, as training without it."""

from __future__ import annotations

import copy

import pytest
import torch

from unpactlib.config import PROFILES, ParameterError, TargetConfig, UnlearnConfig
from unpactlib.models import activation_checkpointing, mixed_precision, tiny_llama
from unpactlib.prompting import chat_format
from unpactlib.training import finetune_target
from unpactlib.unlearn import unlearn

FORGET = [
    {"question": "Who leads the Amber Ferry Guild?", "answer": "Selwyn Thornmoor"},
    {"question": "Where did the Iron Signal Trust build its school?", "answer": "Dunport"},
    {"question": "What is the Kestrel Mill's oldest loom called?", "answer": "Orlen"},
]
RETAIN = [
    {"question": "What did the Copper Rail Union call its ferry?", "answer": "Velix"},
    {"question": "Who heads the Meadow Orchard Council?", "answer": "Orar Kestley"},
]
TEXTS = ["The Amber Ferry Guild was founded in Dunport by Selwyn Thornmoor and two clerks."]


@pytest.fixture(scope="module")
def smol(tok):
    """A 3-layer random Llama with SmolLM2's vocabulary (checkpointing every 2nd layer then
    leaves one layer as it is)."""
    return tiny_llama(vocab_size=len(tok), layers=3, seed=2)


def _weights(model: torch.nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in model.parameters()]


def _same(a: list[torch.Tensor], b: list[torch.Tensor]) -> bool:
    return len(a) == len(b) and all(torch.equal(x, y) for x, y in zip(a, b))


EMBEDDED = PROFILES["embedded"].precision  # the arithmetic the embedded profile trains in


@pytest.mark.parametrize("method", ["ga_gdr", "ga_klr", "npo_gdr", "npo_klr", "tv", "rmu"])
def test_unlearning_weights_do_not_depend_on_checkpointing(method, tok, smol):
    cfg = UnlearnConfig(lr=1e-3, epochs=2, batch_size=2, tv_epochs=2, tv_lr=1e-3, rmu_layer=1)
    trained = []
    for every in (0, 1, 2):
        model = copy.deepcopy(smol).requires_grad_(True)
        with mixed_precision(EMBEDDED, training=True), activation_checkpointing(model, every):
            if every:
                assert model.is_activation_checkpointing
            unlearn(model, tok, chat_format(tok), FORGET, RETAIN, method, cfg, seed=0)
        assert not model.is_activation_checkpointing  # off again after the block
        trained.append(_weights(model))
    assert not _same(trained[0], _weights(smol))  # the run changed the weights
    assert _same(trained[0], trained[1])
    assert _same(trained[0], trained[2])


def test_target_weights_do_not_depend_on_checkpointing(tok, smol):
    cfg = TargetConfig(lr=1e-3, batch_size=2, max_epochs=2, eval_every=1, min_accuracy=1.0)
    checks = []

    def evaluate(model: torch.nn.Module) -> dict[str, float]:
        assert not model.training  # the stop rule's check runs in eval mode
        checks.append(model.training)
        return {"forget": 0.0}

    trained = []
    for every in (0, 1, 2):
        model = copy.deepcopy(smol).requires_grad_(True)
        with mixed_precision(EMBEDDED, training=True), activation_checkpointing(model, every):
            history = finetune_target(
                model, tok, chat_format(tok), FORGET + RETAIN, cfg, evaluate, seed=0, texts=TEXTS
            )
        assert history.epochs == 2
        trained.append(_weights(model))
    assert _same(trained[0], trained[1])
    assert _same(trained[0], trained[2])
    assert not _same(trained[0], _weights(smol))


def test_checkpointing_every_n_layers_is_checked(smol):
    for every, message in ((4, r"activation_checkpointing=4 .* <= 3"), (-1, "=-1")):
        with (
            pytest.raises(ParameterError, match=message),
            activation_checkpointing(smol, every),
        ):
            pass


def test_profiles_name_a_valid_setting():
    assert PROFILES["embedded"].activation_checkpointing == 2
    assert all(p.activation_checkpointing >= 0 for p in PROFILES.values())
