"""What caching the options' keys and values once per multiple-choice stem would cost.

A multiple-choice prompt is ``stem + options + instruction``, and the study attributes the stem.
Deleting a stem token changes every later position, so the exact contribution ``C(x_i, y)``
(:func:`unpactlib.attribution.contribution`) computes the options again for each deletion.
A faster scheme would compute the options' keys and values once, with the full stem, and
reuse them for every deletion: only the rest of the stem and the tokens after the options are
computed per deletion (the positions of the reused keys stay those of the full prompt).

This tool implements that scheme for the WMDP-analog forget prompts and prints, per prompt,
the largest difference of its contributions from the exact ones, and whether the KeyTokens
(alpha 0.5, beta 3) are the same. Usage::

    python measure/options_cache.py [--prompts 12] [--threads 1]
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from transformers import DynamicCache

import unpactlib
from common import parser, use_threads
from unpactlib.attribution import (
    _answer_logprob,
    _cache_kwarg,
    _job,
    contribution,
    key_tokens,
    span_positions,
    stem_span,
)
from unpactlib.prompting import chat_format


@torch.no_grad()
def options_cached(model, tok, record: dict) -> np.ndarray:
    """Contributions of the stem's tokens with the options' keys and values taken from the
    full prompt (an approximation of ``C(x_i, y)``)."""
    fmt = chat_format(tok)
    span = stem_span(record)
    job = _job(tok, record["question"], record["answer"], fmt, span)
    seq = job.prompt + job.answer_ids
    T = len(job.answer_ids)
    answer = torch.tensor(job.answer_ids)
    # the options start at the first question token after the stem
    stem_end = job.offset + max(span_positions(job.q, span)) + 1
    cache = DynamicCache()
    out = model(input_ids=torch.tensor([seq]), use_cache=True, **{_cache_kwarg(model): cache})
    full = float(_answer_logprob(out.logits[:, -T - 1 : -1], answer)[0])
    kv = [(layer.keys, layer.values) for layer in cache.layers]
    # the options, the instruction and the chat suffix are reused; the answer's predicting
    # token (the last prompt token) and the answer are computed with the ablated prompt
    reuse_end = len(job.prompt) - 1
    scores = []
    for i in job.positions:
        g = job.offset + i
        # the ablated prompt's own prefix: positions [0, g) unchanged, the stem's rest shifted
        own = DynamicCache(ddp_cache_data=[(k[:, :, :g], v[:, :, :g]) for k, v in kv])
        rest = seq[g + 1 : stem_end]
        if rest:
            model(
                input_ids=torch.tensor([rest]),
                position_ids=torch.arange(g, g + len(rest))[None],
                use_cache=True,
                **{_cache_kwarg(model): own},
            )
        # splice in the options' keys/values of the full prompt
        layers = [
            (
                torch.cat([layer.keys, k[:, :, stem_end:reuse_end]], dim=2),
                torch.cat([layer.values, v[:, :, stem_end:reuse_end]], dim=2),
            )
            for layer, (k, v) in zip(own.layers, kv)
        ]
        spliced = DynamicCache(ddp_cache_data=layers)
        tail = seq[reuse_end:]
        start = reuse_end - 1  # one token fewer before it than in the full prompt
        logits = model(
            input_ids=torch.tensor([tail]),
            position_ids=torch.arange(start, start + len(tail))[None],
            use_cache=True,
            **{_cache_kwarg(model): spliced},
        ).logits
        lp = float(_answer_logprob(logits[:, :T], answer)[0])
        scores.append(full - lp)
    return np.array(scores)


def main() -> None:
    cli = parser(__doc__, "threads")
    cli.add_argument("--prompts", type=int, default=12, help="WMDP-analog forget prompts")
    args = cli.parse_args()
    use_threads(args.threads, 1)
    model, tok = unpactlib.load_model("embedded", device="cpu")
    rows = []
    for r in unpactlib.load_benchmark("wmdp").prompts("forget")[: args.prompts]:
        exact = contribution(model, tok, r["question"], r["answer"], span=stem_span(r)).scores
        approx = options_cached(model, tok, r)
        rows.append(
            {
                "prompt": r["id"],
                "stem tokens": len(exact),
                "max |diff| (nats)": float(np.abs(exact - approx).max()),
                "largest exact |C|": float(np.abs(exact).max()),
                "same KeyTokens": key_tokens(exact) == key_tokens(approx),
            }
        )
    table = pd.DataFrame(rows)
    print(table.to_markdown(index=False, floatfmt=".3g"))
    print(
        f"\nmedian max |diff| {table['max |diff| (nats)'].median():.3g} nats; same KeyTokens "
        f"for {int(table['same KeyTokens'].sum())} of {len(table)} prompts"
    )


if __name__ == "__main__":
    main()
