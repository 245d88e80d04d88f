"""The training loop shared by the unlearning methods.

:func:`train` walks the forget set in shuffled batches for a number of epochs, pairs each forget
batch with the next batch of the (cycled, shuffled once) retain set, and takes one optimiser
step on the loss a method computes from the two batches. Before the first step it can show
every pair of batches to the still unchanged model (``before``), so that a method records what
it compares with later instead of keeping a frozen copy of the model. Methods with their own
procedure (task vector, RMU) call it with their own loss, parameters and learning rate.
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
BeforeTraining = Callable[[torch.nn.Module, Batch, Batch | None], None]


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
    before: BeforeTraining | None = None,
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
        before: called once per step, with the step's forget and retain batches, before the
            first step: the model in eval mode, without gradients, in the arithmetic of the
            steps (a method records the frozen model's outputs here; see
            :class:`.losses.BatchMemo`).
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
    plan = [
        (chunk, next(retain_batches) if retain_batches is not None else None)
        for _ in range(epochs)
        for chunk in batches(forget, batch_size, rng)
    ]
    quiet = not accelerator.is_local_main_process
    if before is not None:
        wrapped.eval()
        with torch.no_grad(), accelerator.autocast():
            for chunk, other in tqdm(plan, desc=f"{desc}: reference", unit="batch", disable=quiet):
                before(wrapped, shard(chunk), shard(other) if other is not None else None)
    losses: list[float] = []
    wrapped.train()
    with tqdm(total=len(plan), desc=desc, unit="batch", disable=quiet) as bar:
        for chunk, other in plan:
            f = shard(chunk)
            r = shard(other) if other is not None else None
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
