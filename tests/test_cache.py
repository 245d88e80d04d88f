"""Unlearned models are stored as a float16 delta to their target and load back exactly."""

from __future__ import annotations

import copy

import pytest
import torch

from unpactlib import cache
from unpactlib.config import get_profile
from unpactlib.models import save_atomic, tiny_llama


def _changed(model, names, scale=1e-3):
    other = copy.deepcopy(model)
    with torch.no_grad():
        for n, p in other.named_parameters():
            if n in names:
                p.add_(scale * torch.randn(p.shape, generator=torch.Generator().manual_seed(3)))
    return other


def test_delta_holds_only_changed_tensors_and_reloads_exactly(tmp_path, tok):
    base = tiny_llama(vocab_size=97, seed=0).eval()
    names = {"model.layers.1.mlp.down_proj.weight", "model.norm.weight"}
    model = _changed(base, names)
    delta = cache.compact_like_storage(model, base)
    assert set(delta) == names and all(d.dtype == torch.float16 for d in delta.values())
    # compacted = base + float16(delta), tensor by tensor
    for n, p in model.named_parameters():
        expect = dict(base.named_parameters())[n].float()
        if n in names:
            expect = expect + delta[n].float()
        assert torch.equal(p, expect), n
    save_atomic(base, tok, tmp_path / "targets" / "t")
    folder = tmp_path / "unlearned" / "u"
    record = {"target": "t", "target_source": str(tmp_path / "targets" / "t")}
    save_atomic(
        None, tok, folder, extra={"unpact.json": record}, tensors={"delta.safetensors": delta}
    )
    assert cache._complete(folder)
    loaded, _ = cache.load_unlearned(folder, "cpu")
    with pytest.raises(ValueError, match="load_unlearned"):
        cache.load_target(folder, "cpu")
    with pytest.raises(ValueError, match="no unlearned model"):
        cache.load_unlearned(tmp_path / "targets" / "t", "cpu")
    for n, p in model.named_parameters():
        assert torch.equal(dict(loaded.named_parameters())[n], p), n


def test_float16_delta_error_is_relative_to_the_update():
    base = tiny_llama(vocab_size=97, seed=0).eval()
    model = _changed(base, {n for n, _ in base.named_parameters()}, scale=4e-5)
    exact = {n: p.detach().clone() for n, p in model.named_parameters()}
    cache.compact_like_storage(model, base)
    for n, p in model.named_parameters():
        update = (exact[n] - dict(base.named_parameters())[n]).abs().max()
        assert (p - exact[n]).abs().max() <= 2e-3 * update + 1e-8, n


def test_paper_profile_names_its_targets_and_does_not_train_them():
    prof = get_profile("paper")
    assert prof.source == "hub" and prof.unlearn.lr == 1e-5 and prof.unlearn.epochs == 10
    assert prof.unlearn.rmu_layer == 7 and prof.unlearn.rmu_c == 6.5
    assert prof.unlearn.rmu_alpha == 1200 and prof.unlearn.tv_alpha == 5

    class Bench:
        name = "wmdp"

    path, record = cache.ensure_target(prof, Bench())
    assert str(path) == "HuggingFaceH4/zephyr-7b-beta" and record["epochs"] == 0


def _resident_bytes() -> int:
    import os

    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_release_memory_returns_freed_heap_to_the_system():
    """Many small tensors (glibc serves them from its heap, which it keeps after they are
    freed), then freed: release_memory hands most of their 200 MB back."""
    import platform

    from unpactlib.models import release_memory

    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        pytest.skip("malloc_trim is glibc's")
    release_memory()
    before = _resident_bytes()
    held = [torch.ones(8 * 1024) for _ in range(6400)]  # 6400 x 32 KiB = 200 MiB
    grown = _resident_bytes() - before
    del held
    release_memory()
    left = _resident_bytes() - before
    assert grown > 150e6, grown
    assert left < 0.25 * grown, (grown, left)
