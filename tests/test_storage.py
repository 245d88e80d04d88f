"""Unlearned models are stored as a float16 delta to their target and load back exactly."""

from __future__ import annotations

import copy

import torch

from unpactlib import study
from unpactlib.config import get_profile
from unpactlib.models import save_atomic, tiny_llama


def _changed(model, names, scale=1e-3):
    other = copy.deepcopy(model)
    with torch.no_grad():
        for n, p in other.named_parameters():
            if n in names:
                p.add_(scale * torch.randn(p.shape, generator=torch.Generator().manual_seed(3)))
    return other


def test_delta_holds_only_changed_tensors_and_reloads_exactly(tmp_path):
    base = tiny_llama(vocab_size=97, seed=0).eval()
    names = {"model.layers.1.mlp.down_proj.weight", "model.norm.weight"}
    model = _changed(base, names)
    delta = study.compact_like_storage(model, base)
    assert set(delta) == names and all(d.dtype == torch.float16 for d in delta.values())
    # compacted = base + float16(delta), tensor by tensor
    for n, p in model.named_parameters():
        expect = dict(base.named_parameters())[n].float()
        if n in names:
            expect = expect + delta[n].float()
        assert torch.equal(p, expect), n
    save_atomic(base, None, tmp_path / "targets" / "t")
    folder = tmp_path / "unlearned" / "u"
    record = {"target": "t", "target_source": str(tmp_path / "targets" / "t")}
    save_atomic(
        None, None, folder, extra={"unpact.json": record}, tensors={"delta.safetensors": delta}
    )
    assert study._complete(folder)
    loaded = study._load_saved(folder, "cpu")
    for n, p in model.named_parameters():
        assert torch.equal(dict(loaded.named_parameters())[n], p), n


def test_float16_delta_error_is_relative_to_the_update():
    base = tiny_llama(vocab_size=97, seed=0).eval()
    model = _changed(base, {n for n, _ in base.named_parameters()}, scale=4e-5)
    exact = {n: p.detach().clone() for n, p in model.named_parameters()}
    study.compact_like_storage(model, base)
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

    path, record = study.ensure_target(prof, Bench())
    assert str(path) == "HuggingFaceH4/zephyr-7b-beta" and record["epochs"] == 0
