"""What the stages of one benchmark share: the profile, its items, folders and device."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..benchmarks import Benchmark, load_benchmark
from ..cache import ensure_target, ensure_unlearned
from ..config import Profile, get_profile
from ..paths import RESULTS_DIR
from ..results import run_dir

# the splits T1 scores before and after unlearning (retain: the retain-eval split)
SPLITS = ("forget", "retain", "utility", "forget_paraphrase", "retain_paraphrase")
ANSWERS = ("gold", "greedy")  # the answer y that attribution scores
MC_SPANS = ("stem", "question")  # what of a multiple-choice prompt attribution ablates


@dataclass(frozen=True)
class Study:
    """What the stages of one benchmark share."""

    profile: Profile
    bench: Benchmark  # the profile's items (``n_per_split`` of every split)
    results_dir: Path  # run folders go under results_dir / profile.name
    cache_dir: Path | None  # model cache and stamps (None: .cache of the checkout)
    device: str

    def run_dir(self, method: str, seed: int) -> Path:
        """The run folder of ``method`` (``"target"`` for the target model) and ``seed``."""
        return run_dir(self.results_dir, self.profile.name, self.bench.name, method, seed)

    def target(self, seed: int) -> tuple[Path, dict]:
        """The target model's folder and training record (trained once)."""
        return ensure_target(
            self.profile, self.bench, seed=seed, device=self.device, cache_dir=self.cache_dir
        )

    def unlearned(self, method: str, seed: int, target_seed: int) -> tuple[Path, dict]:
        """The unlearned model's folder and record (unlearned once)."""
        return ensure_unlearned(
            self.profile,
            self.bench,
            method,
            self.target(target_seed)[0],
            seed=seed,
            device=self.device,
            cache_dir=self.cache_dir,
        )


def setup(
    profile: str,
    benchmark: str,
    *,
    model: str = "",
    results_dir: str | Path = "",
    cache_dir: str | Path = "",
    device: str = "auto",
) -> Study:
    """The :class:`Study` of one benchmark under one profile; empty folders mean the
    checkout's ``data/results`` and ``.cache``. Bad names raise a ParameterError."""
    prof = get_profile(profile, model=model)
    bench = load_benchmark(benchmark, source=prof.source).subset(prof.n_per_split)
    return Study(
        prof,
        bench,
        Path(results_dir) if results_dir else RESULTS_DIR,
        Path(cache_dir) if cache_dir else None,
        device,
    )
