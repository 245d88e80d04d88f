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
from tqdm import tqdm
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from ..prompting import ChatFormat
from ..training import batches, qa_batch, to_device

Batch = dict[str, torch.Tensor]
StepLoss = Callable[[Batch, Batch | None], torch.Tensor]


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
    desc: str = "unlearning",
) -> list[float]:
    """Minimise ``step_loss(forget_batch, retain_batch)`` with AdamW; return every step's loss.

    The random draws are, in this order: ``torch.manual_seed(seed)``; one shuffle of the retain
    set (when ``retain`` is not None); one shuffle of the forget set per epoch, all from
    ``random.Random(seed)``.

    Args:
        retain: None when the loss needs no retain data (``step_loss`` then gets None).
        params: the parameters the optimiser updates (default: all of ``model``'s).
    """
    torch.manual_seed(seed)
    rng = random.Random(seed)
    opt = torch.optim.AdamW(model.parameters() if params is None else params, lr=lr)
    retain_batches = (
        itertools.cycle(list(batches(retain, batch_size, rng))) if retain is not None else None
    )
    steps = epochs * -(-len(forget) // batch_size)
    losses: list[float] = []
    model.train()
    with tqdm(total=steps, desc=desc, unit="step") as bar:
        for _ in range(epochs):
            for chunk in batches(forget, batch_size, rng):
                f = to_device(qa_batch(tok, fmt, chunk), model.device)
                r = None
                if retain_batches is not None:
                    r = to_device(qa_batch(tok, fmt, next(retain_batches)), model.device)
                loss = step_loss(f, r)
                loss.backward()
                opt.step()
                opt.zero_grad(set_to_none=True)
                losses.append(loss.item())
                bar.set_postfix(loss=f"{losses[-1]:.3f}")
                bar.update()
    model.eval()
    return losses
