"""Training steps: the library's loss and optimiser against ours, side by side.

On the embedded model and real QA items, in one process and alternating the two ways, it
times what the target fine-tuning and the unlearning methods do at every step:

* ``QA loss, forward + backward``: ``model(**batch).loss`` (logits and softmax at every
  position) against :func:`unpactlib.training.nll` (logits only where the next token is
  labelled), on 8 news and 8 WMDP-analog forget items, in the embedded profile's arithmetic;
* ``npo_klr loss, forward + backward``: the same two ways through the whole NPO + retain-KL
  loss (the model, and the frozen reference without gradients);
* ``AdamW step``: ``torch.optim.AdamW`` as constructed by default against
  :func:`unpactlib.training.adamw` (fused), over all 135M parameters.

Each is warmed up once, then timed ``--repeats`` times per way (the median is kept), and the
losses of both ways are compared. Prints a table and writes it to
``data/results/bench/training_<device>.md`` and ``.json``. Usage::

    python measure/bench_training.py [--repeats 3] [--threads 2]
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import pandas as pd
import torch
import torch.nn.functional as F

import unpactlib
from common import median_seconds, parser, ratio, use_threads, write_bench
from unpactlib.config import UnlearnConfig
from unpactlib.models import mixed_precision
from unpactlib.prompting import chat_format
from unpactlib.training import adamw, nll, qa_batch
from unpactlib.unlearn import get_method
from unpactlib.unlearn.losses import Reference, kl_ref_model, npo_loss

PRECISION = unpactlib.get_profile("embedded").precision


def training_seconds(fn: Callable[[], object], repeats: int) -> float:
    """Median wall time of ``fn()`` in the embedded profile's training arithmetic."""
    return median_seconds(fn, repeats, lambda: mixed_precision(PRECISION, training=True))


def library_npo_klr(model, reference, forget, retain) -> torch.Tensor:
    """npo_klr's loss from the full logits at every position."""

    def logprob(m, b):
        labels = b["labels"][:, 1:]
        logits = m(input_ids=b["input_ids"], attention_mask=b["attention_mask"]).logits
        logp = torch.log_softmax(logits[:, :-1].float(), -1)
        picked = logp.gather(-1, labels.clamp(min=0).unsqueeze(-1)).squeeze(-1)
        return (picked * (labels != -100)).sum(-1)

    inputs = {"input_ids": retain["input_ids"], "attention_mask": retain["attention_mask"]}
    mask = retain["labels"][:, 1:] != -100
    logits = model(**inputs).logits[:, :-1][mask].float()
    with torch.no_grad():
        ref_forget = logprob(reference, forget)
        ref_logits = reference(**inputs).logits[:, :-1][mask].float()
    kl = kl_ref_model(F.log_softmax(ref_logits, -1), F.log_softmax(logits, -1)).mean()
    return npo_loss(logprob(model, forget), ref_forget, 0.1) + kl


def npo_klr_recording_reference(model, reference, forget, retain, cfg) -> torch.Tensor:
    """unpactlib's npo_klr loss, its reference outputs recorded from the frozen model first
    (the shared loop records them once before training; here every step does it)."""
    recorded = Reference.needing(forget=True, retain=True)
    recorded.record(reference, forget, retain)
    return get_method("npo_klr").loss(model, recorded, forget, retain, cfg)


def main() -> None:
    args = parser(__doc__, "repeats", "threads").parse_args()
    threads = use_threads(args.threads)
    model, tok = unpactlib.load_model("embedded", device="cpu")
    model.requires_grad_(True)
    reference = copy.deepcopy(model).requires_grad_(False)
    fmt = chat_format(tok)
    batches = {
        b: qa_batch(tok, fmt, unpactlib.load_benchmark(b).prompts("forget")[:8])
        for b in ("news", "wmdp")
    }
    news = unpactlib.load_benchmark("news")
    forget = qa_batch(tok, fmt, news.prompts("forget")[:8])
    retain = qa_batch(tok, fmt, news.prompts("retain")[:8])
    cfg = UnlearnConfig(npo_beta=0.1, retain_weight=1.0)  # the weights library_npo_klr uses

    def backward(loss_fn: Callable[[], torch.Tensor]) -> Callable[[], float]:
        def run() -> float:
            loss = loss_fn()
            loss.backward()
            model.zero_grad(set_to_none=True)
            return loss.item()

        return run

    pairs: dict[str, tuple[Callable[[], float], Callable[[], float]]] = {
        f"QA loss, forward + backward ({b}, 8 items)": (
            backward(lambda batch=batch: model(**batch).loss),
            backward(lambda batch=batch: nll(model, batch)),
        )
        for b, batch in batches.items()
    }
    pairs["npo_klr loss, forward + backward (news, 8 + 8 items)"] = (
        backward(lambda: library_npo_klr(model, reference, forget, retain)),
        backward(lambda: npo_klr_recording_reference(model, reference, forget, retain, cfg)),
    )
    rows = []
    for name, (library, ours) in pairs.items():
        with mixed_precision("fp32", training=True):  # the two losses, in exact arithmetic
            gap = abs(library() - ours())
        rows.append(
            {
                "work": name,
                "library s": round(training_seconds(library, args.repeats), 3),
                "unpactlib s": round(training_seconds(ours, args.repeats), 3),
                "loss difference (fp32)": f"{gap:.1e}",
            }
        )
    for p in model.parameters():
        p.grad = torch.randn_like(p) * 1e-3
    optimisers = {
        "library": torch.optim.AdamW(model.parameters(), lr=1e-6),
        "unpactlib": adamw(model.parameters(), lr=1e-6),
    }
    step_seconds = {k: training_seconds(o.step, args.repeats) for k, o in optimisers.items()}
    rows.append(
        {
            "work": "AdamW step (all parameters)",
            "library s": round(step_seconds["library"], 3),
            "unpactlib s": round(step_seconds["unpactlib"], 3),
            "loss difference (fp32)": "",
        }
    )
    table = pd.DataFrame(rows)
    table.insert(3, "library / unpactlib", ratio(table["library s"], table["unpactlib s"]))
    note = (
        f"Embedded model (base SmolLM2-135M-Instruct), {threads} threads, "
        f"{PRECISION} autocast as in the embedded profile, median of {args.repeats}."
    )
    record = {"rows": table.to_dict(orient="records"), "threads": threads}
    write_bench("training_cpu", table, note, {**record, "precision": PRECISION})


if __name__ == "__main__":
    main()
