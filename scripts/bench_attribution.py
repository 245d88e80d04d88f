"""Attribution speed: our engine against captum and against the plain batched forward.

For a few real benchmark prompts (news QA, and WMDP-analog multiple choice attributed on the
question stem) and the embedded model, times per prompt, on the same numbers ``C(x_i, y)``:

* ``ours``: :func:`unpactlib.attribution.contribution` (packed prefix reuse);
* ``plain``: all ``n + 1`` full-length prompts in left-padded batches of 16
  (:func:`contribution_plain`, the former implementation);
* ``captum``: captum's deletion with ``forward_in_tokens=False`` (the correct path);
* ``captum default``: the same with captum's default ``forward_in_tokens=True``.

Every method is warmed up once, then each prompt is timed once. Prints a table and writes it to
``data/results/bench/attribution_<device>.md`` and ``.json``. Usage::

    python scripts/bench_attribution.py [--news 5] [--wmdp 3] [--threads 2]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
import pandas as pd
import torch

import unpactlib
from unpactlib.attribution import Attribution, contribution, contribution_plain, stem_span
from unpactlib.attribution_captum import captum_deletion
from unpactlib.paths import REPO_ROOT
from unpactlib.prompting import chat_format, encode_answer, encode_question
from unpactlib.results import environment, write_json, write_text_atomic


def timed(fn: Callable[[], Attribution]) -> tuple[float, Attribution]:
    """Wall-clock seconds of one call, and its result."""
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--news", type=int, default=5, help="news forget prompts")
    parser.add_argument("--wmdp", type=int, default=3, help="wmdp forget prompts (MC, stem)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    model, tok = unpactlib.load_model("embedded", device=args.device)
    fmt = chat_format(tok)
    records = [dict(r, bench="news") for r in unpactlib.load_benchmark("news").prompts("forget")][
        : args.news
    ]
    records += [dict(r, bench="wmdp") for r in unpactlib.load_benchmark("wmdp").prompts("forget")][
        : args.wmdp
    ]

    def methods(r: dict) -> dict[str, Callable[[], Attribution]]:
        q, a, span = r["question"], r["answer"], stem_span(r)
        kw = {"fmt": fmt, "span": span}
        return {
            "ours": lambda: contribution(model, tok, q, a, **kw),
            "plain": lambda: contribution_plain(model, tok, q, a, batch_size=16, **kw),
            "captum": lambda: captum_deletion(model, tok, q, a, with_lp=False, **kw),
            "captum default": lambda: captum_deletion(
                model, tok, q, a, forward_in_tokens=True, with_lp=False, **kw
            ),
        }

    for fn in methods(records[0]).values():  # warm-up, not timed
        fn()

    rows = []
    for r in records:
        times, attrs = {}, {}
        for name, fn in methods(r).items():
            times[name], attrs[name] = timed(fn)
        q = encode_question(tok, r["question"])
        n = len(attrs["ours"].scores)
        L = (
            len(fmt.prefix_ids)
            + len(q.ids)
            + len(fmt.suffix_ids)
            + len(encode_answer(tok, r["answer"]))
        )
        ref = attrs["captum"].scores
        rows.append(
            {
                "prompt": r["id"],
                "bench": r["bench"],
                "n": n,
                "L": L,
                "virtual tokens": (n + 1) * L,  # what the n + 1 full prompts hold
                **{f"{k} s": v for k, v in times.items()},
                "max diff, ours vs captum": float(np.abs(attrs["ours"].scores - ref).max()),
                "max diff, plain vs captum": float(np.abs(attrs["plain"].scores - ref).max()),
                "max diff, captum default vs captum": float(
                    np.abs(attrs["captum default"].scores - ref).max()
                ),
            }
        )
    df = pd.DataFrame(rows)
    total = df[["n", "virtual tokens", "ours s", "plain s", "captum s", "captum default s"]].sum()
    for k in ("plain", "captum", "captum default"):
        df[f"{k} / ours"] = df[f"{k} s"] / df["ours s"]
    summary = {
        "prompts": len(df),
        "attributed tokens": int(total["n"]),
        "seconds": {
            k: float(total[f"{k} s"]) for k in ("ours", "plain", "captum", "captum default")
        },
        "ratio to ours (totals)": {
            k: float(total[f"{k} s"] / total["ours s"])
            for k in ("plain", "captum", "captum default")
        },
        "virtual tokens per second": {
            k: float(total["virtual tokens"] / total[f"{k} s"]) for k in ("ours", "plain")
        },
        "max diff, ours vs captum": float(df["max diff, ours vs captum"].max()),
        "max diff, plain vs captum": float(df["max diff, plain vs captum"].max()),
        "max diff, captum default vs captum": float(df["max diff, captum default vs captum"].max()),
    }
    env = environment()
    device = "cpu" if model.device.type == "cpu" else "cuda"
    table = df.to_markdown(index=False, floatfmt=".3g")
    lines = [
        f"# Attribution speed ({device}, {args.threads} threads, {env['device']})",
        "",
        "One timed run per prompt after one warm-up per method; seconds of wall-clock time.",
        "captum = deletion with forward_in_tokens=False; captum default = forward_in_tokens=True.",
        "Virtual tokens = (n + 1) x L, the tokens of the n + 1 full-length prompts.",
        "",
        table,
        "",
        "| summary | value |",
        "|---|---|",
    ]
    for k, v in summary.items():
        if isinstance(v, dict):
            lines += [f"| {k}: {kk} | {vv:.4g} |" for kk, vv in v.items()]
        else:
            lines.append(f"| {k} | {v:.3g} |" if isinstance(v, float) else f"| {k} | {v} |")
    text = "\n".join(lines) + "\n"
    print(text)
    out = REPO_ROOT / "data" / "results" / "bench"
    write_text_atomic(out / f"attribution_{device}.md", text)
    write_json(
        out / f"attribution_{device}.json",
        {"rows": rows, "summary": summary, "environment": env, "threads": args.threads},
    )


if __name__ == "__main__":
    main()
