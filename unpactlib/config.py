"""Parameter validation and the study's profiles.

A profile is a named, frozen set of parameters (``smoke`` for tests, ``embedded`` for the CPU
reproduction). Notebooks take flat literals as papermill parameters and hand them to
:func:`get_profile` and :func:`check_choice`, which stop with an error naming the parameter and
its allowed values.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


class ParameterError(ValueError):
    """A parameter has a value outside its allowed set or range."""


def check_choice(name: str, value: object, allowed: Iterable[object]) -> None:
    """Raise :class:`ParameterError` unless ``value`` is one of ``allowed``.

    Args:
        name: the parameter's name, as the user typed it (``"method"``).
        value: the value given.
        allowed: the values accepted.
    """
    allowed = list(allowed)
    if value not in allowed:
        shown = ", ".join(repr(a) for a in allowed)
        raise ParameterError(f"{name}={value!r} is not allowed; choose one of: {shown}")


def check_range(name: str, value: float, low: float, high: float) -> None:
    """Raise :class:`ParameterError` unless ``low <= value <= high``."""
    if not (low <= value <= high):
        raise ParameterError(
            f"{name}={value!r} is out of range; allowed: {low} <= {name} <= {high}"
        )


@dataclass(frozen=True)
class TargetConfig:
    """How the target model is fine-tuned on a benchmark's forget + retain QA pairs."""

    lr: float = 3e-4
    batch_size: int = 8
    max_epochs: int = 24
    eval_every: int = 4  # epochs between checks of the stopping rule
    min_accuracy: float = 0.8  # stop once forget and retain accuracy both reach this
    tau: float = 0.5  # ROUGE-L recall threshold of the stop rule's correctness
    weight_decay: float = 0.0


@dataclass(frozen=True)
class UnlearnConfig:
    """Hyper-parameters of the unlearning methods (STUDY.md, "The six unlearning methods").

    The first fields are shared by the loss-based methods; the ``tv_*`` and ``rmu_*`` fields
    belong to one method each (``Method.config_fields`` in :mod:`unpactlib.unlearn`).
    """

    lr: float = 2e-5
    epochs: int = 5  # passes over the forget set (loss-based methods and rmu)
    batch_size: int = 8
    retain_weight: float = 1.0  # lambda in STUDY.md
    npo_beta: float = 0.1  # b in the NPO loss
    extra: dict[str, float] = field(default_factory=dict)
    tv_alpha: float = 5.0  # a in theta0 - a * (theta_ft - theta0), the negated task vector
    tv_epochs: int = 5  # epochs of the fine-tuning on the forget set that gives theta_ft
    tv_lr: float = 2e-5  # learning rate of that fine-tuning
    rmu_layer: int = 7  # l: 0-based decoder layer whose output hidden state RMU steers
    rmu_c: float = 6.5  # c: forget activations are pushed towards c * u (u a random unit vector)
    rmu_alpha: float = 1200.0  # weight of RMU's retain term (match the frozen activations)
    rmu_lr: float = 5e-5  # RMU's learning rate (it trains mlp.down_proj of layers l-2..l only)


@dataclass(frozen=True)
class Profile:
    """A named parameter set of the study."""

    name: str
    model: str  # argument of unpactlib.load_model
    n_per_split: int | None  # items per split used (None: all)
    target: TargetConfig
    unlearn: UnlearnConfig
    attribution_batch_size: int = 16
    generation_batch_size: int = 16
    n_heatmap_prompts: int = 4  # forget prompts shown in figure F2
    require_target_accuracy: bool = True  # stop if the target misses min_accuracy


PROFILES: dict[str, Profile] = {
    "smoke": Profile(
        name="smoke",
        model="smoke",
        n_per_split=6,
        target=TargetConfig(lr=1e-3, batch_size=4, max_epochs=2, eval_every=1, min_accuracy=0.0),
        # the smoke model has 2 layers (rmu_layer=1); tv fine-tunes like the other methods
        unlearn=UnlearnConfig(
            lr=1e-3, epochs=1, batch_size=4, tv_epochs=1, tv_lr=1e-3, rmu_layer=1
        ),
        attribution_batch_size=8,
        generation_batch_size=8,
        n_heatmap_prompts=2,
        require_target_accuracy=False,
    ),
    "embedded": Profile(
        name="embedded",
        model="embedded",
        n_per_split=None,
        target=TargetConfig(),
        unlearn=UnlearnConfig(lr=4e-5, epochs=6, batch_size=8, retain_weight=1.0, npo_beta=0.1),
    ),
}


def get_profile(name: str) -> Profile:
    """Return the profile called ``name``; a :class:`ParameterError` names the allowed ones."""
    check_choice("profile", name, PROFILES)
    return PROFILES[name]
