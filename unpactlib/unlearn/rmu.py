"""``rmu`` (representation misdirection for unlearning).

At decoder layer ``l`` (``cfg.rmu_layer``, 0-based index into ``model.model.layers``; its
output hidden state ``h_l``), forget activations are pushed towards ``c * u`` (``u`` a fixed
random unit vector drawn from the seed, ``c = cfg.rmu_c``) while retain activations are held at
those of the model before unlearning (``h_l^frozen``, recorded on every retain batch before the
first step, :class:`.losses.BatchMemo`):

    loss = mean_f ||h_l(x) - c u||^2 / d  +  alpha * mean_r ||h_l(x) - h_l^frozen(x)||^2 / d

Each mean runs over the tokens with attention mask 1; the squared L2 distance of a token is
divided by the hidden size ``d`` (so each term is a per-element mean squared error, as in the
RMU paper); ``alpha = cfg.rmu_alpha``. Only the MLP output projections (``mlp.down_proj``) of
layers ``l-2 .. l`` are trained, at ``cfg.rmu_lr``; every other parameter is frozen.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from ..config import UnlearnConfig, check_range
from ..prompting import ChatFormat
from .loop import train
from .losses import BatchMemo


class _Reached(Exception):
    """Raised by the hook once the wanted layer has run, to skip the rest of the forward."""


def layer_output(
    model: torch.nn.Module, batch: dict[str, torch.Tensor], layer: int
) -> torch.Tensor:
    """Output hidden state of ``model.model.layers[layer]``, ``[batch, seq, hidden]``.

    Read through a forward hook; the forward pass stops at that layer. ``model`` may be
    wrapped for distributed training (DDP / FSDP keep the causal LM as ``.module``).
    """
    inner = getattr(model, "module", model)
    seen: list[torch.Tensor] = []

    def hook(_module, _args, output):
        seen.append(output[0] if isinstance(output, tuple) else output)
        raise _Reached

    handle = inner.model.layers[layer].register_forward_hook(hook)
    try:
        model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], use_cache=False)
    except _Reached:
        pass
    finally:
        handle.remove()
    return seen[0]


def steering_vector(hidden: int, seed: int) -> torch.Tensor:
    """The fixed random unit vector ``u``: uniform on ``[0, 1)^hidden`` from ``seed``, scaled
    to norm 1 (drawn from its own generator: the global random state is untouched)."""
    u = torch.rand(hidden, generator=torch.Generator().manual_seed(seed))
    return u / u.norm()


def _masked_mean(per_token: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    mask = mask.to(per_token.dtype)
    return (per_token * mask).sum() / mask.sum()


def rmu_loss(
    h_forget: torch.Tensor,
    forget_mask: torch.Tensor,
    target: torch.Tensor,
    h_retain: torch.Tensor,
    h_frozen: torch.Tensor,
    retain_mask: torch.Tensor,
    alpha: float,
) -> torch.Tensor:
    """The RMU objective from layer activations (see the module docstring).

    Args:
        h_forget: model activations on forget tokens, ``[batch, seq, d]``.
        forget_mask: attention mask of the forget batch, ``[batch, seq]``.
        target: ``c * u``, ``[d]``.
        h_retain: model activations on retain tokens.
        h_frozen: the frozen model's activations on the same retain tokens.
        retain_mask: attention mask of the retain batch.
        alpha: weight of the retain term.
    """
    forget_term = _masked_mean((h_forget.float() - target.float()).pow(2).mean(-1), forget_mask)
    retain_term = _masked_mean((h_retain.float() - h_frozen.float()).pow(2).mean(-1), retain_mask)
    return forget_term + alpha * retain_term


def trained_parameters(model: PreTrainedModel, layer: int) -> list[torch.nn.Parameter]:
    """The parameters RMU updates: ``mlp.down_proj`` of layers ``layer-2 .. layer``."""
    layers = model.model.layers
    return [
        p for i in range(max(0, layer - 2), layer + 1) for p in layers[i].mlp.down_proj.parameters()
    ]


def run(
    model: PreTrainedModel,
    tok: PreTrainedTokenizerBase,
    fmt: ChatFormat,
    forget: Sequence[dict],
    retain: Sequence[dict],
    cfg: UnlearnConfig,
    seed: int = 0,
) -> list[float]:
    """Unlearn with RMU in place (``cfg.epochs`` over the forget set, batches paired with retain
    batches as in the shared loop); return every step's loss.

    The ``requires_grad`` flags of the model's parameters are restored afterwards.

    Raises:
        ParameterError: ``cfg.rmu_layer`` is not a layer of the model.
    """
    layer = cfg.rmu_layer
    check_range("rmu_layer", layer, 0, len(model.model.layers) - 1)
    frozen = BatchMemo(lambda m, batch: layer_output(m, batch, layer))
    flags = {name: p.requires_grad for name, p in model.named_parameters()}
    params = trained_parameters(model, layer)
    model.requires_grad_(False)
    for p in params:
        p.requires_grad_(True)
    target = cfg.rmu_c * steering_vector(model.config.hidden_size, seed).to(model.device)

    def step(
        m: torch.nn.Module, f: dict[str, torch.Tensor], r: dict[str, torch.Tensor] | None
    ) -> torch.Tensor:
        assert r is not None
        return rmu_loss(
            layer_output(m, f, layer),
            f["attention_mask"],
            target,
            layer_output(m, r, layer),
            frozen(r),
            r["attention_mask"],
            cfg.rmu_alpha,
        )

    try:
        return train(
            model,
            tok,
            fmt,
            forget,
            retain,
            step,
            epochs=cfg.epochs,
            batch_size=cfg.batch_size,
            lr=cfg.rmu_lr,
            seed=seed,
            grad_accum_steps=cfg.grad_accum_steps,
            params=params,
            desc="unlearning (rmu)",
            before=lambda m, _f, r: frozen.record(m, r) if r is not None else None,
        )
    finally:
        for name, p in model.named_parameters():
            p.requires_grad_(flags[name])
