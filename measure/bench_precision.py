"""CPU arithmetic: fp32 against bf16 autocast (a profile's ``precision``), side by side.

On the embedded model and real news prompts, in one process and alternating the two settings,
it times what the embedded profile does in the chosen arithmetic:

* ``train step``: one AdamW-free forward + backward of a QA batch (``qa_batch``, 8 items);
* ``answer``: greedy answers to the forget questions (``greedy_answers``, batches of 32);
* ``letters``: option-letter scores of the WMDP-analog forget items (``option_logprobs``);
* ``attribution``: token contributions of 12 news and 12 WMDP-analog forget prompts
  (``unpactlib.attribution.contributions``), which the profile keeps in float32. The contributions
  under each setting are compared: Spearman correlation per prompt and whether the KeyTokens
  (alpha 0.5, beta 3) are the same.

Each is warmed up once, then timed ``--repeats`` times per setting (the median is kept); the
answers given under each setting are compared. Prints a table and writes it to
``data/results/bench/precision_<device>.md`` and ``.json``. Usage::

    python measure/bench_precision.py [--repeats 3] [--threads 2]
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

import unpactlib
from common import median_seconds, parser, ratio, use_threads, write_bench
from unpactlib.attribution import contributions, key_tokens, stem_span
from unpactlib.generation import greedy_answers
from unpactlib.models import PRECISIONS, mixed_precision
from unpactlib.multiple_choice import option_logprobs
from unpactlib.prompting import chat_format
from unpactlib.training import qa_batch


def main() -> None:
    args = parser(__doc__, "repeats", "threads").parse_args()
    threads = use_threads(args.threads)
    model, tok = unpactlib.load_model("embedded", device="cpu")
    fmt = chat_format(tok)
    news = unpactlib.load_benchmark("news")
    wmdp = unpactlib.load_benchmark("wmdp")
    questions = [r["question"] for r in news["forget"]]
    batch = qa_batch(tok, fmt, news["forget"][:8])

    def train_step() -> None:
        model.train()
        model(**batch).loss.backward()
        model.zero_grad(set_to_none=True)
        model.eval()

    work: dict[str, Callable[[], object]] = {
        "train step (8 QA items)": train_step,
        f"answer ({len(questions)} questions)": lambda: greedy_answers(
            model, tok, questions, batch_size=32, progress=False
        ),
        f"letters ({len(wmdp['forget'])} MC items)": lambda: option_logprobs(
            model, tok, wmdp["forget"], batch_size=32
        ),
    }
    attributed = news.prompts("forget")[:12] + wmdp.prompts("forget")[:12]

    def attribute() -> list:
        return contributions(
            model, tok, attributed, span=lambda r: stem_span(r) if "choices" in r else None
        )

    work[f"attribution ({len(attributed)} prompts)"] = attribute
    rows = []
    for name, fn in work.items():
        seconds = {
            p: median_seconds(fn, args.repeats, lambda p=p: mixed_precision(p)) for p in PRECISIONS
        }
        rows.append(
            {
                "work": name,
                "fp32 s": round(seconds["fp32"], 3),
                "bf16 s": round(seconds["bf16"], 3),
                "fp32 / bf16": ratio(seconds["fp32"], seconds["bf16"]),
            }
        )
    answers = {}
    for p in PRECISIONS:
        with mixed_precision(p):
            answers[p] = greedy_answers(model, tok, questions, batch_size=32, progress=False)
    same = sum(a == b for a, b in zip(answers["fp32"], answers["bf16"]))
    scores = {}
    for p in PRECISIONS:
        with mixed_precision(p):
            scores[p] = [np.array(a.scores) for a in attribute()]
    rho = [spearmanr(a, b).statistic for a, b in zip(scores["fp32"], scores["bf16"])]
    same_keys = [
        set(key_tokens(a, 0.5, 3)) == set(key_tokens(b, 0.5, 3))
        for a, b in zip(scores["fp32"], scores["bf16"])
    ]
    agreement = {
        "prompts": len(attributed),
        "spearman_median": round(float(np.nanmedian(rho)), 3),
        "spearman_min": round(float(np.nanmin(rho)), 3),
        "same_key_tokens": int(sum(same_keys)),
    }
    table = pd.DataFrame(rows)
    device = "cpu"
    note = (
        f"Embedded model (base SmolLM2-135M-Instruct), {threads} threads, median "
        f"of {args.repeats}. Same greedy answer under both: {same} of {len(questions)}. "
        f"Contributions in bf16 against float32: median Spearman "
        f"{agreement['spearman_median']} (lowest {agreement['spearman_min']}), same KeyTokens "
        f"for {agreement['same_key_tokens']} of {agreement['prompts']} prompts."
    )
    record = {"rows": rows, "same_answers": [same, len(questions)], "attribution": agreement}
    write_bench(f"precision_{device}", table, note, {**record, "threads": threads})


if __name__ == "__main__":
    main()
