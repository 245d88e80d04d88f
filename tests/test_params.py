"""Bad parameter values stop with an error naming the parameter and the allowed values."""

from __future__ import annotations

import pytest

from unpactlib import ParameterError, get_profile, load_benchmark
from unpactlib.models import mixed_precision, resolve_device
from unpactlib.recovery import emphasise


@pytest.mark.parametrize(
    "call,pattern",
    [
        (lambda: get_profile("big"), r"profile='big'.*'smoke', 'embedded'"),
        (lambda: load_benchmark("muse"), r"benchmark='muse'.*'news'"),
        (lambda: load_benchmark("news", source="web"), r"source='web'.*'synthetic'"),
        (lambda: resolve_device("tpu"), r"device='tpu'.*'auto', 'cpu', 'cuda'"),
        (lambda: mixed_precision("fp16"), r"precision='fp16'.*'fp32', 'bf16'"),
        (lambda: emphasise("q", ["w"], template="bold"), r"template='bold'.*'key_line'"),
    ],
)
def test_bad_value_names_parameter_and_allowed(call, pattern):
    with pytest.raises(ParameterError, match=pattern):
        call()
