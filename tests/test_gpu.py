"""CUDA: the same arithmetic as on the CPU (skipped without a GPU; run by scripts/gpu_run.sh)."""

from __future__ import annotations

import pytest
import torch

import unpactlib as up
from unpactlib.models import WEIGHT_DTYPE, load_model, mixed_precision
from unpactlib.training import adamw

pytestmark = pytest.mark.gpu


def _one_step(model: torch.nn.Module, ids: torch.Tensor, lr: float) -> float:
    """Fraction of the first layer's q_proj weights one AdamW step of ``lr`` changes."""
    weight = model.model.layers[0].self_attn.q_proj.weight
    before = weight.detach().clone()
    opt = adamw(model.parameters(), lr=lr)
    with mixed_precision("bf16", training=True):
        logits = model(input_ids=ids).logits
        assert logits.dtype == torch.bfloat16  # autocast reaches CUDA operations
        loss = torch.nn.functional.cross_entropy(logits[0, :-1].float(), ids[0, 1:])
    loss.backward()
    opt.step()
    return (weight.detach() != before).float().mean().item()


def test_cuda_weights_stay_float32_so_small_updates_reach_them():
    model, tok = load_model("smoke", device="cuda")
    assert model.device.type == "cuda"
    assert {p.dtype for p in model.parameters()} == {WEIGHT_DTYPE}
    ids = torch.tensor([tok("The Eiffel tower is in Paris.")["input_ids"]], device="cuda")
    model.train()
    changed = _one_step(model, ids, lr=1e-5)
    assert changed > 0.99  # every weight moves by about lr
    # the same step on bfloat16 weights loses most updates to rounding (why WEIGHT_DTYPE)
    lossy, _ = load_model("smoke", device="cuda")
    lossy.to(torch.bfloat16).train()
    assert _one_step(lossy, ids, lr=1e-5) < 0.5 * changed


def test_cuda_attribution_matches_the_cpu():
    prompt, answer = "Where is the Eiffel tower?", "Paris"
    scores = {}
    for device in ("cpu", "cuda"):
        model, tok = load_model("smoke", device=device)
        scores[device] = up.contribution(model, tok, prompt, answer).scores
    assert torch.allclose(
        torch.as_tensor(scores["cuda"]).cpu(), torch.as_tensor(scores["cpu"]), atol=1e-4
    )
