"""The training loop shared by the unlearning methods.

:func:`train` walks the forget set in shuffled batches for a number of epochs, pairs each forget
batch with the next batch of the (cycled, shuffled once) retain set, and takes one optimiser
step on the loss a method computes from the two batches. Methods with their own procedure
(task vector, RMU) call it with their own loss, parameters and learning rate.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterable, Sequence

import torch
from accelerate import Accelerator
from tqdm import tqdm
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from ..prompting import ChatFormat
from ..training import adamw, batches, qa_batch, to_device

Batch = dict[str, torch.Tensor]
StepLoss = Callable[[torch.nn.Module, Batch, Batch | None], torch.Tensor]


def train(
    model: PreTrainedModel,
    tok: PreTrainedTokenizerBase,
    fmt: ChatFormat,
    forget: Sequence[dict],
    retain: Sequence[dict] | None,
    step_loss: StepLoss,
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    seed: int,
    params: Iterable[torch.nn.Parameter] | None = None,
    grad_accum_steps: int = 1,
    desc: str = "unlearning",
) -> list[float]:
    """Minimise ``step_loss(model, forget_batch, retain_batch)`` with AdamW; return every
    batch's loss.

    Built on :class:`accelerate.Accelerator`, so the same loop runs on a CPU, one GPU or
    several processes started by ``accelerate launch`` (DDP, FSDP or
    DeepSpeed, from the launch configuration). ``batch_size`` is the global batch: with ``k``
    processes, process ``r`` takes records ``r, r + k, ...`` of every batch, and the
    gradients are averaged across processes. ``grad_accum_steps`` batches make one optimiser
    step (their losses are averaged); the loss list still has one entry per batch.

    The random draws are, in this order: ``torch.manual_seed(seed)``; one shuffle of the retain
    set (when ``retain`` is not None); one shuffle of the forget set per epoch, all from
    ``random.Random(seed)``: the data order is the same on every process and every run.

    Args:
        step_loss: computes the loss with the model it is given (the model as prepared by
            accelerate: the same object on one process, a DDP / FSDP wrapper on several).
        retain: None when the loss needs no retain data (``step_loss`` then gets None).
        params: the parameters the optimiser updates (default: all of ``model``'s).
    """
    torch.manual_seed(seed)
    rng = random.Random(seed)
    accelerator = Accelerator(
        cpu=model.device.type == "cpu",
        # the arithmetic is the caller's unpactlib.models.mixed_precision block; only an
        # ``accelerate launch`` configuration adds its own (FSDP / DeepSpeed bf16)
        gradient_accumulation_steps=grad_accum_steps,
    )
    opt = adamw(model.parameters() if params is None else params, lr=lr)
    # a single process gets its model back unwrapped; several get it wrapped (DDP / FSDP)
    wrapped, opt = accelerator.prepare(model, opt)
    rank, world = accelerator.process_index, accelerator.num_processes

    def shard(chunk: list[dict]) -> dict[str, torch.Tensor]:
        return to_device(qa_batch(tok, fmt, chunk[rank::world] or chunk), accelerator.device)

    retain_batches = (
        itertools.cycle(list(batches(retain, batch_size, rng))) if retain is not None else None
    )
    steps = epochs * -(-len(forget) // batch_size)
    losses: list[float] = []
    wrapped.train()
    with tqdm(
        total=steps, desc=desc, unit="batch", disable=not accelerator.is_local_main_process
    ) as bar:
        for _ in range(epochs):
            for chunk in batches(forget, batch_size, rng):
                f = shard(chunk)
                r = shard(next(retain_batches)) if retain_batches is not None else None
                with accelerator.accumulate(wrapped), accelerator.autocast():
                    loss = step_loss(wrapped, f, r)
                    accelerator.backward(loss)
                    opt.step()
                    opt.zero_grad(set_to_none=True)
                losses.append(accelerator.reduce(loss.detach(), reduction="mean").item())
                bar.set_postfix(loss=f"{losses[-1]:.3f}")
                bar.update()
    model.eval()
    accelerator.free_memory()
    return losses
