"""Parameter validation and the study's profiles.

A profile is a named, frozen set of parameters (``smoke`` for tests, ``embedded`` for the CPU
reproduction). Notebooks take flat literals as papermill parameters and hand them to
:func:`get_profile` and :func:`check_choice`, which stop with an error naming the parameter and
its allowed values.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace


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


def parse_choices(name: str, text: str, allowed: Iterable[str]) -> list[str]:
    """``"all"`` or comma-separated keys of ``allowed`` -> the list (each checked by name)."""
    allowed = list(allowed)
    if text.strip() == "all":
        return list(allowed)
    names = [t.strip() for t in text.split(",") if t.strip()]
    if not names:
        raise ParameterError(
            f"{name}={text!r} names nothing; use 'all' or keys from: " + ", ".join(allowed)
        )
    for value in names:
        check_choice(name, value, allowed)
    return names


def parse_numbers(
    name: str, text: object, kind: type[float] | type[int], low: float, high: float
) -> list:
    """Comma-separated numbers (papermill may pass one number as a number) -> a list of
    ``kind``, each within ``[low, high]``; a ParameterError names the parameter."""
    try:
        values = [kind(v) for v in str(text).split(",")]
    except ValueError:
        raise ParameterError(
            f"{name}={text!r}: expected comma-separated {kind.__name__} values "
            f"between {low} and {high}"
        ) from None
    for v in values:
        check_range(name, v, low, high)
    return values


def check_range(name: str, value: float, low: float, high: float) -> None:
    """Raise :class:`ParameterError` unless ``low <= value <= high``."""
    if not (low <= value <= high):
        raise ParameterError(
            f"{name}={value!r} is out of range; allowed: {low} <= {name} <= {high}"
        )


@dataclass(frozen=True)
class TargetConfig:
    """How the target model is fine-tuned on the QA pairs of a benchmark's trained splits
    (:data:`unpactlib.benchmarks.TRAINED_SPLITS`) and their corpus documents."""

    lr: float = 3e-4
    batch_size: int = 8
    max_epochs: int = 24
    eval_every: int = 4  # epochs between checks of the stopping rule
    min_accuracy: float = 0.8  # stop once forget and retain accuracy both reach this
    tau: float = 0.5  # ROUGE-L recall threshold of the stop rule's correctness
    weight_decay: float = 0.0
    # replay: this many everyday requests with the base model's own answers are learned beside
    # the facts in every epoch (unpactlib.replay), so the target keeps its general answers;
    # 0: none
    replay: int = 0
    # and this many short general-knowledge questions about other facts than utility's
    # (unpactlib.replay.REPLAY_QUESTIONS), with the base model's answers; 0: none
    replay_questions: int = 0
    # the corpus documents learned with the language-model loss: "forget" (the forget
    # documents, which VerbMem quotes) or "trained" (the documents of every trained split)
    corpus: str = "trained"
    # freeze the token embeddings (with tied weights, also the output head): Adam moves every
    # row of a trained embedding by about lr per step, however small its gradient, which
    # shifts the log-probabilities of every answer; frozen, only the layers learn the facts
    freeze_embeddings: bool = False
    # after the stop rule, the trained weights become theta0 + interpolate * (theta - theta0)
    # (theta0: the base model's; WiSE-FT's weight-space ensemble), then checked once more;
    # 1: the trained weights as they are
    interpolate: float = 1.0

    def __post_init__(self) -> None:
        check_choice("corpus", self.corpus, ("forget", "trained"))
        check_range("replay", self.replay, 0, 64)
        check_range("replay_questions", self.replay_questions, 0, 64)
        check_range("interpolate", self.interpolate, 0.0, 1.0)


@dataclass(frozen=True)
class UnlearnConfig:
    """Hyper-parameters of the unlearning methods (book/methods.md, "Unlearning methods").

    The first fields are shared by the loss-based methods; the ``tv_*`` and ``rmu_*`` fields
    belong to one method each (``Method.config_fields`` in :mod:`unpactlib.unlearn`).
    """

    lr: float = 2e-5
    epochs: int = 5  # passes over the forget set (loss-based methods and rmu)
    batch_size: int = 8
    retain_weight: float = 1.0  # lambda: weight of the retain term of the loss
    npo_beta: float = 0.1  # b in the NPO loss
    grad_accum_steps: int = 1  # batches whose gradients are averaged into one optimiser step
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
    source: str = "synthetic"  # where the benchmarks come from: "synthetic" or "hub"
    # benchmark -> a model that already is the target (used as is, not fine-tuned); None: the
    # target is ``model`` fine-tuned on the benchmark (TargetConfig)
    target_models: dict[str, str] | None = None
    # method -> UnlearnConfig fields that differ from ``unlearn`` for that method, on every
    # benchmark (the embedded settings found by scripts/tune_unlearning.py)
    unlearn_settings: dict[str, dict[str, float]] = field(default_factory=dict)
    # benchmark -> method -> fields that differ again for that benchmark's run
    unlearn_overrides: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    # arithmetic of training and answering, on a CPU or a GPU (unpactlib.models.mixed_precision):
    # "fp32", or "bf16" autocast with float32 weights. Attribution is float32 either way.
    precision: str = "fp32"
    # training (targets, unlearning) recomputes the activations of every n-th decoder layer in
    # the backward pass instead of keeping them (unpactlib.models.activation_checkpointing);
    # 0: keeps them all. Memory and time only: the weights come out the same bit for bit.
    activation_checkpointing: int = 0

    def unlearn_config(self, benchmark: str, method: str) -> UnlearnConfig:
        """The unlearning settings of one run: ``unlearn``, then the method's
        ``unlearn_settings``, then the benchmark's ``unlearn_overrides`` for that method."""
        own = self.unlearn_settings.get(method, {})
        return replace(
            self.unlearn, **own | self.unlearn_overrides.get(benchmark, {}).get(method, {})
        )


# The embedded profile's per-method settings (the book's "Unlearning settings" page).
EMBEDDED_SETTINGS: dict[str, dict[str, float]] = {
    "ga_gdr": {"lr": 2e-5},
    "ga_klr": {"lr": 1e-5},
    "npo_gdr": {"lr": 1e-5},
    "npo_klr": {"lr": 1e-5},
    "tv": {"tv_lr": 1e-4, "tv_alpha": 0.5},
    "rmu": {"rmu_lr": 3e-3, "epochs": 9, "rmu_alpha": 10.0, "rmu_c": 100.0},
}

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
        # every item of every split
        n_per_split=None,
        # replay of the base model's own answers keeps the target's general knowledge
        # of the corpus only the forget documents (VerbMem quotes them): the QA pairs carry
        # the facts, and the other documents would double the tokens of every epoch
        target=TargetConfig(
            eval_every=2,
            batch_size=8,
            max_epochs=16,
            replay=32,
            replay_questions=64,
            corpus="forget",
            freeze_embeddings=True,
            interpolate=0.7,
        ),
        unlearn=UnlearnConfig(
            lr=4e-5, epochs=3, batch_size=8, retain_weight=1.0, npo_beta=0.1, tv_epochs=3
        ),
        # chosen by unpactlib.tuning.choose from the search on news's tuning splits
        # (scripts/tune_unlearning.py, data/results/embedded/tuning/news.jsonl) and used
        # unchanged on books and wmdp
        unlearn_settings=EMBEDDED_SETTINGS,
        generation_batch_size=32,
        # float32: on a CPU without bfloat16 instructions bf16 autocast is about 3x slower,
        # and its rounding differs from CPU to CPU (measure/bench_precision.py)
        precision="fp32",
        # every second layer: half the recomputation of every layer, and still a training
        # process small enough that two run side by side (make -j2) within 8 GB
        # (measure/bench_memory.py measures the peaks)
        activation_checkpointing=2,
    ),
    # Paper scale (book/methods.md, "Profiles"): the MUSE 7B target models and Zephyr-7B-beta,
    # the hub datasets, MUSE / WMDP script defaults. Needs GPUs and hub access; run with
    # ``accelerate launch`` (configs/accelerate/). Not run in this repository.
    "paper": Profile(
        name="paper",
        model="HuggingFaceH4/zephyr-7b-beta",
        n_per_split=None,
        target=TargetConfig(),
        unlearn=UnlearnConfig(
            lr=1e-5,
            epochs=10,
            batch_size=8,  # per optimiser step x grad_accum_steps: 32 sequences
            grad_accum_steps=4,
            retain_weight=1.0,
            npo_beta=0.1,
            tv_alpha=5.0,
            tv_epochs=10,
            tv_lr=1e-5,
            rmu_layer=7,
            rmu_c=6.5,
            rmu_alpha=1200.0,
            rmu_lr=5e-5,
        ),
        attribution_batch_size=32,
        generation_batch_size=32,
        source="hub",
        target_models={
            "news": "muse-bench/MUSE-news_target",
            "books": "muse-bench/MUSE-books_target",
            "wmdp": "HuggingFaceH4/zephyr-7b-beta",
        },
        precision="bf16",  # the paper's models run in bf16 on GPUs; weights stay float32
    ),
}


def get_profile(name: str, model: str = "") -> Profile:
    """Return the profile called ``name``; a :class:`ParameterError` names the allowed ones.

    With ``model`` (a hub id or a local folder; empty keeps the profile's own), the profile
    runs on that base model instead and is named ``<name>@<model>`` (``/`` written as ``--``),
    so its results go to their own folder beside the others.
    """
    check_choice("profile", name, PROFILES)
    profile = PROFILES[name]
    if not model or model == profile.model:
        return profile
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", model.strip("/").replace("/", "--"))[-80:]
    return replace(profile, model=model, name=f"{name}@{slug}")
