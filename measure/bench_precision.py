"""CPU arithmetic: what the kernel pin, the CPU's instructions and bf16 autocast cost and change.

Runs the embedded model's work once per setting of :data:`SETTINGS`, each in its own worker
process started with the setting's variables (torch, MKL and oneDNN read them once, when they
start), one process after the other, never side by side. The study's own setting (float32 with
the Makefile's pin: torch's kernels at AVX2, MKL's products in their AVX2 reproducible mode) is
the reference; every other is compared with it. Each worker, with ``--threads`` torch threads
(1, as the study runs each process):

* times (median of ``--repeats`` runs after one warm-up) a ``train step`` (loss, backward and
  AdamW step of a QA batch of 4 news forget items, ``qa_batch`` as the target fine-tuning
  batches them), ``answer`` (greedy answers to the news forget questions, batches of 32),
  ``letters`` (option-letter scores of the WMDP-analog forget items) and ``attribution``
  (contributions of 12 news and 12 WMDP-analog forget prompts, MC prompts on their stem), the
  first three in the setting's precision, attribution in float32 as in the study;
* keeps what they give: the answers, the argmax letters and the contributions;
* then trains the loaded model for a short trajectory (6 AdamW steps, lr 3e-4, on fixed
  batches of 4 news QA items) and keeps its final loss, a SHA-256 of its weights' bytes and
  its greedy answers to the forget questions: whether training gives the same bits.

The table gives per setting the times and their ratio to the reference, and how far its
results agree with the reference's: answers and letters that differ, the largest difference
of a contribution and the prompts whose KeyTokens (alpha 0.5, beta 3) differ, whether the
trained weights are identical and how many answers after training differ. Its note compares
the same setting on this CPU and limited to AVX2 (settings 2 against 1, 4 against 3). Writes
``data/results/bench/precision_cpu.md`` and ``.json``. Usage::

    python measure/bench_precision.py [--repeats 3] [--threads 1] [--settings 1,2,5]
        [--items N] [--keep DIR]

``--items N`` keeps the first N questions, MC items and attributed prompts of each benchmark
(a quick check); the training batches stay as they are.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import tempfile
import warnings
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

import unpactlib
from common import (
    median_seconds,
    one_thread_env,
    parser,
    ratio,
    use_threads,
    worker_command,
    write_bench,
)
from unpactlib.attribution import contributions, key_tokens
from unpactlib.generation import greedy_answers
from unpactlib.models import mixed_precision
from unpactlib.multiple_choice import LETTERS, option_logprobs
from unpactlib.prompting import chat_format
from unpactlib.results import cpu_kernels
from unpactlib.training import adamw, nll, qa_batch


@dataclass(frozen=True)
class Setting:
    """A worker's arithmetic: its ``precision`` and the variables its process starts with;
    None leaves a variable unset (each library then uses all this CPU has)."""

    name: str
    precision: str
    aten: str | None = None  # ATEN_CPU_CAPABILITY: torch's own vectorised kernels
    cbwr: str | None = None  # MKL_CBWR: MKL's reproducible mode for its matrix products
    mkl: str | None = None  # MKL_ENABLE_INSTRUCTIONS: MKL's highest instruction set
    onednn: str | None = None  # ONEDNN_MAX_CPU_ISA: oneDNN's highest instruction set

    @property
    def env(self) -> dict[str, str | None]:
        """Every variable a setting decides, with its value (None: unset)."""
        return {
            "ATEN_CPU_CAPABILITY": self.aten,
            "MKL_CBWR": self.cbwr,
            "MKL_ENABLE_INSTRUCTIONS": self.mkl,
            "ONEDNN_MAX_CPU_ISA": self.onednn,
        }


# The settings, numbered from 1 in --settings. The first is the study's (the Makefile's pin)
# and the reference of every comparison; "AVX2 CPU" limits MKL and oneDNN to AVX2, as on a
# CPU without AVX-512; "machine kernels" leaves torch and MKL to pick this CPU's own.
SETTINGS: tuple[Setting, ...] = (
    Setting("fp32, pinned (AVX2 kernels)", "fp32", aten="avx2", cbwr="AVX2"),
    Setting("fp32, pinned, AVX2 CPU", "fp32", aten="avx2", cbwr="AVX2", mkl="AVX2", onednn="AVX2"),
    Setting("fp32, machine kernels (AVX-512)", "fp32"),
    Setting("fp32, machine kernels, AVX2 CPU", "fp32", aten="avx2", mkl="AVX2", onednn="AVX2"),
    Setting("bf16 autocast, AVX512-BF16", "bf16"),
    Setting("bf16 autocast, no bf16 instructions", "bf16", onednn="AVX512_CORE"),
)
REFERENCE = SETTINGS[0]
REF = "pinned fp32"  # the reference in column names
# the same setting under two instruction limits (numbers in SETTINGS): (limited, this CPU's)
PAIRS = ((2, 1, "pinned fp32"), (4, 3, "unpinned fp32"))
# a pair of settings whose comparison the book's reproduce page shows (fp32 against bf16)
BOOK_PAIR = (1, 5)

# what a worker times, and how the table names it (with the number of items)
WORK = {
    "train step": "train step ({} QA items)",
    "answer": "answer ({} questions)",
    "letters": "letters ({} MC items)",
    "attribution": "attribution ({} prompts)",
}
STEP_ITEMS = 4  # QA items in a training batch (the embedded profile's target batch size)
ATTRIBUTED = 12  # attributed prompts of each benchmark
TRAJECTORY_STEPS = 6
TRAJECTORY_LR = 3e-4


def pick(choices: Sequence[str] | None) -> list[Setting]:
    """The settings ``--settings`` names: each choice a setting's name or its number (from 1),
    or numbers joined by commas (``1,2``); all when there are none. The reference is always
    run; the order is the table's."""
    if not choices:
        return list(SETTINGS)
    by_name = {s.name: s for s in SETTINGS}
    picked = {REFERENCE}
    for choice in choices:
        if choice in by_name:
            picked.add(by_name[choice])
            continue
        for part in choice.split(","):
            if not (part.strip().isdigit() and 1 <= int(part) <= len(SETTINGS)):
                names = "; ".join(f"{k} {s.name}" for k, s in enumerate(SETTINGS, 1))
                raise ValueError(f"no setting {part.strip()!r} (the settings: {names})")
            picked.add(SETTINGS[int(part) - 1])
    return [s for s in SETTINGS if s in picked]


def worker_env(setting: Setting, threads: int = 1) -> dict[str, str]:
    """This process's environment with ``threads`` OpenMP threads and the setting's variables
    set, or removed where the setting leaves them unset (the Makefile exports a pin)."""
    env = one_thread_env(**{k: v for k, v in setting.env.items() if v is not None})
    env["OMP_NUM_THREADS"] = str(threads)
    for k, v in setting.env.items():
        if v is None:
            env.pop(k, None)
    return env


# --- the worker -----------------------------------------------------------------------------


def weights_sha256(model) -> str:
    """SHA-256 of the bytes of every parameter, in the model's order."""
    digest = hashlib.sha256()
    for p in model.parameters():
        digest.update(p.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def measure(
    setting: Setting, *, model_name: str = "embedded", repeats: int = 3, items: int = 0
) -> dict[str, Any]:
    """Times and results of the work in ``setting``'s precision, in this process's kernels
    (see the module's docstring); ``items`` > 0 keeps that many of each list."""
    import torch

    p = setting.precision
    profile = unpactlib.get_profile("embedded")
    cut = slice(items or None)
    torch.manual_seed(0)
    model, tok = unpactlib.load_model(model_name, device="cpu")
    fmt = chat_format(tok)
    news = unpactlib.load_benchmark("news")
    wmdp = unpactlib.load_benchmark("wmdp")
    questions = [r["question"] for r in news["forget"]][cut]
    mc = wmdp["forget"][cut]
    n = min(items or ATTRIBUTED, ATTRIBUTED)
    attributed = news.prompts("forget")[:n] + wmdp.prompts("forget")[:n]
    step_batch = qa_batch(tok, fmt, news.prompts("forget")[:STEP_ITEMS])
    train = news.train_records()
    trajectory = [
        qa_batch(tok, fmt, train[STEP_ITEMS * k : STEP_ITEMS * (k + 1)])
        for k in range(TRAJECTORY_STEPS)
    ]

    kept: dict[str, Any] = {}

    def keeping(name: str, fn: Callable[[], Any]) -> Callable[[], None]:
        def run() -> None:
            kept[name] = fn()

        return run

    def answer() -> list[str]:
        return greedy_answers(
            model, tok, questions, batch_size=profile.generation_batch_size, progress=False
        )

    def in_precision() -> AbstractContextManager[None]:
        return mixed_precision(p)

    seconds = {
        "answer": median_seconds(keeping("answers", answer), repeats, in_precision),
        "letters": median_seconds(
            keeping("letters", lambda: option_logprobs(model, tok, mc, batch_size=32)),
            repeats,
            in_precision,
        ),
        "attribution": median_seconds(  # float32, as the study attributes
            keeping(
                "contributions",
                lambda: contributions(
                    model,
                    tok,
                    attributed,
                    span="stem",
                    batch_size=profile.attribution_batch_size,
                    progress=False,
                ),
            ),
            repeats,
        ),
    }

    def step(opt: torch.optim.Optimizer, batch: dict[str, torch.Tensor]) -> float:
        model.train()
        with mixed_precision(p, training=True):
            loss = nll(model, batch)
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        model.eval()
        return loss.item()

    model.requires_grad_(True)
    opt = adamw(model.parameters(), lr=TRAJECTORY_LR)
    losses = [step(opt, batch) for batch in trajectory]
    with mixed_precision(p):
        trained_answers = answer()
    trained = {
        "steps": TRAJECTORY_STEPS,
        "lr": TRAJECTORY_LR,
        "losses": losses,
        "final_loss": losses[-1],
        "weights_sha256": weights_sha256(model),
        "answers": trained_answers,
    }
    # timed last: its steps change the weights, which the trajectory starts without
    opt = adamw(model.parameters(), lr=TRAJECTORY_LR)
    seconds["train step"] = median_seconds(lambda: step(opt, step_batch), repeats)
    return {
        "setting": setting.name,
        "precision": p,
        "env": setting.env,
        "kernels": cpu_kernels(),
        "threads": torch.get_num_threads(),
        "repeats": repeats,
        "model": model_name,
        "counts": {
            "train step": STEP_ITEMS,
            "answer": len(questions),
            "letters": len(mc),
            "attribution": len(attributed),
        },
        "seconds": {w: round(seconds[w], 4) for w in WORK},
        "answers": kept["answers"],
        "letters": [LETTERS[int(k)] for k in np.argmax(kept["letters"], axis=1)],
        "letter_logprobs": np.asarray(kept["letters"], dtype=float).tolist(),
        "contributions": [
            np.asarray(a.scores, dtype=float).tolist() for a in kept["contributions"]
        ],
        "trained": trained,
    }


def worker(setting: Setting, out: Path, **kwargs: Any) -> None:
    """:func:`measure` in this process, with the warnings it gave, written to ``out``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = measure(setting, **kwargs)
    result["warnings"] = sorted({str(w.message) for w in caught})
    out.write_text(json.dumps(result, indent=1))


# --- the comparisons ------------------------------------------------------------------------


def differing(a: Sequence[Any], b: Sequence[Any]) -> tuple[int, int]:
    """How many entries of two lists differ, and of how many (a longer list's extra entries
    differ)."""
    n = max(len(a), len(b))
    return sum(x != y for x, y in zip(a, b)) + n - min(len(a), len(b)), n


def max_abs_diff(a: Sequence[Sequence[float]], b: Sequence[Sequence[float]]) -> float:
    """Largest ``|difference|`` between matching scores of two lists of score lists; NaN in
    both places counts as equal, NaN in one, or lists of different lengths, as infinite."""
    if len(a) != len(b):
        return float("inf")
    worst = 0.0
    for x, y in zip(a, b):
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        if x.shape != y.shape:
            return float("inf")
        gap = np.where(np.isnan(x) & np.isnan(y), 0.0, np.abs(x - y))
        if gap.size:
            worst = max(worst, float(np.nan_to_num(gap, nan=np.inf).max()))
    return worst


def key_tokens_differing(
    a: Sequence[Sequence[float]], b: Sequence[Sequence[float]]
) -> tuple[int, int]:
    """Prompts whose KeyTokens (:func:`key_tokens` defaults) differ between two lists of
    contributions, and of how many."""
    return differing([key_tokens(x) for x in a], [key_tokens(y) for y in b])


def spearman(
    a: Sequence[Sequence[float]], b: Sequence[Sequence[float]]
) -> tuple[float, float] | tuple[None, None]:
    """Median and lowest Spearman correlation of matching contributions (None when no prompt
    has one: fewer than two tokens, or constant scores)."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        rho = [spearmanr(x, y).statistic if len(x) > 1 else np.nan for x, y in zip(a, b)]
    rho = np.array(rho, dtype=float)
    if np.isnan(rho).all():
        return None, None
    return round(float(np.nanmedian(rho)), 3), round(float(np.nanmin(rho)), 3)


def compare(ref: dict[str, Any], other: dict[str, Any]) -> dict[str, Any]:
    """How far a worker's results (``other``) agree with the reference's (``ref``)."""
    median, lowest = spearman(ref["contributions"], other["contributions"])
    mine, theirs = ref["trained"], other["trained"]
    return {
        "answers_differing": differing(ref["answers"], other["answers"]),
        "letters_differing": differing(ref["letters"], other["letters"]),
        "letter_logprobs_max_diff": max_abs_diff(ref["letter_logprobs"], other["letter_logprobs"]),
        "contributions_max_diff": max_abs_diff(ref["contributions"], other["contributions"]),
        "key_tokens_differing": key_tokens_differing(ref["contributions"], other["contributions"]),
        "spearman_median": median,
        "spearman_min": lowest,
        "trained_weights_identical": mine["weights_sha256"] == theirs["weights_sha256"],
        "trained_loss_diff": abs(mine["final_loss"] - theirs["final_loss"]),
        "trained_answers_differing": differing(mine["answers"], theirs["answers"]),
    }


def of(counts: Sequence[int]) -> str:
    """``(k, n)`` as ``"k of n"``."""
    return f"{counts[0]} of {counts[1]}"


def gap(x: float) -> str:
    """A difference as the table shows it: 0 exactly, else two significant digits."""
    return "0" if x == 0 else f"{x:.2g}"


def agreement(c: dict[str, Any]) -> dict[str, str]:
    """A comparison's columns of the table."""
    return {
        "answers differ": of(c["answers_differing"]),
        "letters differ": of(c["letters_differing"]),
        "contributions max |diff|": gap(c["contributions_max_diff"]),
        "KeyTokens differ": of(c["key_tokens_differing"]),
        "trained weights identical": "yes" if c["trained_weights_identical"] else "no",
        "answers after training differ": of(c["trained_answers_differing"]),
    }


def pair_line(label: str, c: dict[str, Any]) -> str:
    """One pair's comparison as a clause of the note."""
    cols = agreement(c)
    return (
        f"{label}: answers {cols['answers differ']} differ, letters {cols['letters differ']}, "
        f"contributions max |diff| {cols['contributions max |diff|']}, KeyTokens "
        f"{cols['KeyTokens differ']}, trained weights identical: "
        f"{cols['trained weights identical']}, answers after training "
        f"{cols['answers after training differ']}"
    )


def summarise(outputs: Sequence[dict[str, Any]]) -> tuple[pd.DataFrame, str, dict[str, Any]]:
    """The table, its note and the JSON record of the workers' ``outputs`` (in the order they
    ran; the reference's among them, else the first, is the reference)."""
    by_name = {o["setting"]: o for o in outputs}
    ref = by_name.get(REFERENCE.name, outputs[0])
    for o in outputs:
        if (o["counts"], o["repeats"], o["model"]) != (ref["counts"], ref["repeats"], ref["model"]):
            raise ValueError(f"{o['setting']} did other work than {ref['setting']}")
    rows, table, settings = [], [], []
    for o in outputs:
        c = compare(ref, o)
        row: dict[str, Any] = {"setting": o["setting"], "kernels": o["kernels"]}
        for w in WORK:
            row[f"{w} s"] = round(o["seconds"][w], 3)
            row[f"{w} / {REF}"] = ratio(o["seconds"][w], ref["seconds"][w])
        table.append({**row, **agreement(c)})
        kept = ("setting", "precision", "env", "kernels", "threads", "seconds", "warnings")
        trained = {k: v for k, v in o["trained"].items() if k != "answers"}
        settings.append({**{k: o[k] for k in kept}, "trained": trained, "agreement": c})
    for w in WORK:  # per work, each setting's time: the rows the book's page reads
        row = {"work": WORK[w].format(ref["counts"][w])}
        row |= {f"{o['setting']} s": round(o["seconds"][w], 3) for o in outputs}
        rows.append(row)
    record: dict[str, Any] = {
        "threads": ref["threads"],
        "repeats": ref["repeats"],
        "counts": ref["counts"],
        "reference": ref["setting"],
        "table": table,
        "settings": settings,
        "rows": rows,
        "pairs": {},
    }
    note = [
        f"Model {ref['model']}, one worker process per setting run one after the "
        f"other, {ref['threads']} torch thread(s), median of {ref['repeats']} after a warm-up. "
        f"Reference ({REF}): {ref['setting']}. Training: {TRAJECTORY_STEPS} AdamW steps "
        f"(lr {TRAJECTORY_LR}) on batches of {STEP_ITEMS} news QA items from the loaded "
        "model; attribution always in float32. Same setting on this CPU and limited to AVX2:"
    ]
    names = [s.name for s in SETTINGS]
    for limited, own, label in PAIRS:
        a, b = by_name.get(names[own - 1]), by_name.get(names[limited - 1])
        if a and b:
            c = compare(a, b)
            record["pairs"][f"{limited} vs {own}"] = c
            note.append(f"{pair_line(f'{label} ({limited} vs {own})', c)}.")
    if not record["pairs"]:
        note.append("not run.")
    fp32, bf16 = (by_name.get(names[k - 1]) for k in BOOK_PAIR)
    if fp32 and bf16:  # what the book's reproduce page reads: float32 against bf16
        for row, w in zip(rows, WORK):
            row["fp32 s"] = round(fp32["seconds"][w], 3)
            row["bf16 s"] = round(bf16["seconds"][w], 3)
            row["fp32 / bf16"] = ratio(fp32["seconds"][w], bf16["seconds"][w])
        c = compare(fp32, bf16)
        same, n = c["answers_differing"]
        record["same_answers"] = [n - same, n]
        record["attribution"] = {
            "prompts": c["key_tokens_differing"][1],
            "same_key_tokens": c["key_tokens_differing"][1] - c["key_tokens_differing"][0],
            "spearman_median": c["spearman_median"],
            "spearman_min": c["spearman_min"],
        }
    return pd.DataFrame(table), " ".join(note), record


# --- the command ----------------------------------------------------------------------------


def main() -> None:
    options = parser(__doc__, "repeats", "threads")
    options.add_argument(
        "--settings",
        nargs="+",
        help="settings to run, by number (1,2,5) or name; default all (1 always runs)",
    )
    options.add_argument(
        "--items", type=int, default=0, help="first N questions, MC items and prompts (0: all)"
    )
    options.add_argument("--model", default="embedded", help="the model (tests: smoke)")
    options.add_argument("--keep", type=Path, help="a folder to keep each worker's JSON in")
    options.add_argument("--worker", help=argparse.SUPPRESS)
    options.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = options.parse_args()
    threads = args.threads or 1
    if args.worker:
        use_threads(threads)
        setting = {s.name: s for s in SETTINGS}[args.worker]
        worker(setting, args.out, model_name=args.model, repeats=args.repeats, items=args.items)
        return
    try:
        chosen = pick(args.settings)
    except ValueError as err:
        options.error(str(err))
    outputs = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for k, setting in enumerate(chosen, 1):
            number = SETTINGS.index(setting) + 1
            print(f"[{k}/{len(chosen)}] setting {number}: {setting.name}", flush=True)
            out = folder / f"setting{number}.json"
            command = worker_command(__file__, setting.name, "--out", str(out))
            command += ["--repeats", str(args.repeats), "--threads", str(threads)]
            command += ["--items", str(args.items), "--model", args.model]
            subprocess.run(command, env=worker_env(setting, threads), check=True)
            outputs.append(json.loads(out.read_text()))
    table, note, record = summarise(outputs)
    write_bench("precision_cpu", table, note, record)


if __name__ == "__main__":
    main()
