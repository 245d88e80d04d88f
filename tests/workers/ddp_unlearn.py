"""Run by tests/test_distributed.py under ``torchrun`` (two CPU processes).

Each process unlearns the same tiny seeded model with the shared loop on its shard of every
batch and writes what it ends with to ``<out>/rank<r>.json``.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import torch
from transformers import AutoTokenizer

from unpactlib.config import UnlearnConfig
from unpactlib.models import convert_embedded, tiny_llama
from unpactlib.prompting import chat_format
from unpactlib.training import qa_batch
from unpactlib.unlearn import unlearn
from unpactlib.unlearn.losses import sequence_logprob

FORGET = [
    {"question": f"Who founded guild number {i}?", "answer": f"Founder {i} Thornmoor"}
    for i in range(4)
]
RETAIN = [{"question": f"Where is harbour {i}?", "answer": f"Dunport {i}"} for i in range(4)]


def main() -> None:
    out = Path(sys.argv[1])
    method = sys.argv[2]
    tok = AutoTokenizer.from_pretrained(convert_embedded())
    model = tiny_llama(len(tok), seed=1).train()
    fmt = chat_format(tok)
    f = qa_batch(tok, fmt, FORGET)
    with torch.no_grad():
        before = sequence_logprob(model, f).sum().item()
    cfg = UnlearnConfig(lr=1e-3, epochs=3, batch_size=4, grad_accum_steps=1)
    losses = unlearn(model, tok, fmt, FORGET, RETAIN, method, cfg, seed=0)
    with torch.no_grad():
        after = sequence_logprob(model, f).sum().item()
    rank = int(os.environ.get("RANK", "0"))
    result = {
        "world": int(os.environ.get("WORLD_SIZE", "1")),
        "losses": losses,
        "before": before,
        "after": after,
        "checksum": float(sum(p.detach().double().sum() for p in model.parameters())),
    }
    (out / f"rank{rank}.json").write_text(json.dumps(result))


if __name__ == "__main__":
    main()
