"""unpactlib: prompt attribution and contribution tracking for LLM unlearning.

A reproduction of arXiv 2509.24675 ("Understanding the Dilemma of Unlearning for Large
Language Models", unPact). The public face::

    import unpactlib as up
    model, tok = up.load_model("embedded", device="auto")
    bench = up.load_benchmark("news", source="synthetic")
    attr = up.contribution(model, tok, prompt, answer)
    keys = up.key_tokens(attr.scores, alpha=0.5, beta=3)
"""

import logging
import warnings

# transformers imports tqdm.auto, which warns inside Jupyter when ipywidgets is absent; our
# progress bars are plain text on purpose (they render in executed notebooks and logs).
warnings.filterwarnings("ignore", message="IProgress not found")
# transformers imports torchao when it is installed (the ladder's quantisation); torchao then
# logs that its CUDA-only kernels do not load, and torch that torchao registers enums the old
# way: neither matters on any device here, and both would print into every executed page
for _name in ("torchao", "torch.utils._pytree"):
    logging.getLogger(_name).setLevel(logging.ERROR)

from .attribution import (  # noqa: E402
    Attribution,
    contribution,
    contributions,
    key_tokens,
    mean_logprob,
)
from .benchmarks import Benchmark, load_benchmark
from .config import ParameterError, check_choice, check_range, get_profile, parse_choices
from .generation import greedy_answers
from .metrics import (
    Rate,
    accuracy,
    destructive_rate,
    forget_efficacy,
    is_correct,
    recovery_rate,
    rouge_l_recall,
)
from .models import load_model
from .recovery import TEMPLATES, focus_on_key, random_control
from .unlearn import METHODS, unlearn

__all__ = [
    "Attribution",
    "Benchmark",
    "METHODS",
    "ParameterError",
    "Rate",
    "TEMPLATES",
    "accuracy",
    "check_choice",
    "check_range",
    "parse_choices",
    "contribution",
    "contributions",
    "destructive_rate",
    "focus_on_key",
    "forget_efficacy",
    "get_profile",
    "greedy_answers",
    "is_correct",
    "key_tokens",
    "load_benchmark",
    "load_model",
    "mean_logprob",
    "random_control",
    "recovery_rate",
    "rouge_l_recall",
    "unlearn",
]
