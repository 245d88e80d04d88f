"""Cache keys: derived from the inputs and from the code that computes them."""

from __future__ import annotations

import dataclasses

from unpactlib import keys
from unpactlib.benchmarks import load_benchmark
from unpactlib.config import UnlearnConfig, get_profile


def _source(monkeypatch, name: str, text: str) -> None:
    """Make keys read ``text`` as module ``name``'s source."""
    keys._source.cache_clear()
    real = keys._module_file

    class Fake:
        def __init__(self, path):
            self.path = path

        def read_text(self, encoding="utf-8"):
            return text if self.path.stem == name.rsplit(".", 1)[-1] else self.path.read_text()

        def __getattr__(self, attr):
            return getattr(self.path, attr)

    monkeypatch.setattr(keys, "_module_file", lambda m: Fake(real(m)))


def test_code_digest_ignores_comments_and_docstrings_but_not_code(monkeypatch):
    base = "def f(x):\n    return x + 1\n"
    commented = 'def f(x):\n    """Add one."""\n    # one more\n    return x + 1  # here\n'
    changed = "def f(x):\n    return x + 2\n"
    digests = []
    for text in (base, commented, changed):
        _source(monkeypatch, "metrics", text)
        digests.append(keys.code_digest(["metrics"], follow=False))
    keys._source.cache_clear()
    assert digests[0] == digests[1] != digests[2]


def test_code_modules_follow_relative_imports_and_skip_parameter_modules():
    found = keys.code_modules(keys.TARGET_CODE)
    assert {"training", "evaluation", "models", "generation", "metrics"} <= set(found)
    assert not set(found) & keys.NOT_CODE
    assert "unlearn.rmu" not in found
    rmu = keys.code_modules(["unlearn.rmu", *keys.UNLEARN_CODE])
    assert "unlearn.rmu" in rmu and "unlearn.tv" not in rmu


def test_each_method_has_its_own_code_digest():
    assert keys.method_code("rmu") != keys.method_code("tv")
    assert keys.method_code("npo_gdr") == keys.method_code("npo_gdr")


def test_model_keys_change_with_every_input():
    smoke = get_profile("smoke")
    bench = load_benchmark("news").subset(2)
    key = keys.target_key(smoke, bench, 0)
    assert keys.target_key(smoke, bench, 1) != key
    assert keys.target_key(dataclasses.replace(smoke, precision="bf16"), bench, 0) != key
    assert keys.target_key(smoke, load_benchmark("news").subset(3), 0) != key
    settings = keys.method_settings(smoke.unlearn, "npo_gdr")
    u = keys.unlearned_key(smoke, bench, "npo_gdr", "t", settings, 0)
    assert keys.unlearned_key(smoke, bench, "npo_gdr", "t2", settings, 0) != u
    other = keys.method_settings(dataclasses.replace(smoke.unlearn, lr=1.0), "npo_gdr")
    assert keys.unlearned_key(smoke, bench, "npo_gdr", "t", other, 0) != u


def test_method_settings_leave_out_other_methods_fields():
    cfg = UnlearnConfig()
    assert "rmu_c" in keys.method_settings(cfg, "rmu")
    assert "rmu_c" not in keys.method_settings(cfg, "npo_gdr")
    tuned = dataclasses.replace(cfg, rmu_c=1.0)
    assert keys.method_settings(tuned, "npo_gdr") == keys.method_settings(cfg, "npo_gdr")
