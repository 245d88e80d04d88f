"""The inputs of the verdict rules, read from a results folder, and the verdicts.

:func:`collect` turns the run folders of one profile and seed into the tidy tables that
:mod:`unpactlib.verdicts` judges; :func:`judge` applies the three rules. The claims page
(``notebooks/07_claims.ipynb``) is these two calls and the sentences of :data:`SENTENCES`,
chosen by each verdict.

Clusters: a forget, retain or holdout item belongs to its source document
(``<benchmark>/<doc_id>``, from the benchmark's files; an item without one is its own
document); a utility item is the same question on every benchmark, so it is its own cluster
across benchmarks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import results, tracking
from .benchmarks import BENCHMARKS, load_benchmark
from .recovery import CONTROLS
from .stats import fmt_rate, pooled_rate
from .token_classes import class_change_table
from .unlearn import METHODS
from .verdicts import (
    Effect,
    Verdict,
    frontier_verdict,
    ladder_verdict,
    rq1_verdict,
    rq2_verdict,
    rq3_verdict,
)

PROBES = ("FocusOnKey", "ProbAb")


@dataclass
class ClaimInputs:
    """What the verdict rules read, one row per prompt or item and unlearned model."""

    runs: list[tuple[str, str]]  # (benchmark, method) with finished recovery
    rq1_forget: pd.DataFrame  # forget prompts: key_change, random_change, cluster
    rq1_retain: pd.DataFrame  # retain-eval prompts: the same
    rq2_items: pd.DataFrame  # lost forget items: <probe>, <probe> control, cluster
    positive: tuple[int, int]  # the target's correct answers to its emphasis prompts, of n
    rq3_prompts: pd.DataFrame  # retain and utility prompts: function_change, content_change
    rq3_runs: pd.DataFrame  # per run: mean_change, destructive
    # the ladder: lost items with <attack> and <attack> base per attack, cluster (empty
    # without ladder results); the target's share correct under each attack on every forget
    # item (the positive control); the attacks, in ladder order
    ladder_items: pd.DataFrame = field(default_factory=pd.DataFrame)
    ladder_controls: dict[str, float] = field(default_factory=dict)
    ladder_attacks: list[str] = field(default_factory=list)
    frontier_points: pd.DataFrame = field(default_factory=pd.DataFrame)  # run_frontier's rows


def clusters_of(benchmark: str) -> dict[str, str]:
    """Item id -> cluster of every item of a synthetic benchmark's files (utility items:
    ``utility/<id>``)."""
    bench = load_benchmark(benchmark)
    out = {}
    for split, rows in bench.splits.items():
        for r in rows:
            if split == "utility":
                out[r["id"]] = f"utility/{r['id']}"
            else:
                out[r["id"]] = f"{benchmark}/{r.get('doc_id', r['id'])}"
    return out


def _cluster(ids: Sequence[str], benchmark: str, known: dict[str, str]) -> list[str]:
    return [known.get(i, f"{benchmark}/{i}") for i in ids]


def finished_runs(root: Path, profile: str, seed: int = 0) -> list[tuple[str, str]]:
    """(benchmark, method) pairs whose recovery stage finished, in registry order."""
    return [
        (b, m)
        for b in BENCHMARKS
        for m in METHODS
        if (results.run_dir(root, profile, b, m, seed) / "recovery.json").exists()
    ]


def collect(root: Path, profile: str, seed: int = 0, template: str = "key_line") -> ClaimInputs:
    """Read every finished run of ``profile`` and ``seed`` under ``root`` into the inputs of
    the verdict rules (FocusOnKey and the positive control under ``template``)."""
    runs = finished_runs(root, profile, seed)
    f_rows, r_rows, lost, p_rows, run_rows = [], [], [], [], []
    positive = [0, 0]
    for b in sorted({b for b, _ in runs}, key=list(BENCHMARKS).index):
        known = clusters_of(b)
        target = results.run_dir(root, profile, b, "target", seed)
        before = tracking.read_rows(target / "contributions.jsonl")
        counted_positive = False
        for m in [m for bb, m in runs if bb == b]:
            folder = results.run_dir(root, profile, b, m, seed)
            rows = before + tracking.read_rows(folder / "contributions.jsonl")
            pp = tracking.prompt_tracking(rows, m)
            pp["cluster"] = _cluster(pp["id"], b, known)
            pp = pp.assign(benchmark=b, method=m).rename(
                columns={"key change": "key_change", "random change": "random_change"}
            )
            f_rows.append(pp[pp.split == "forget"])
            r_rows.append(pp[pp.split == "retain"])
            # RQ3: class changes per prompt on retain and utility prompts
            part = [r for r in rows if r["split"] in ("retain", "utility")]
            classes = class_change_table(part)
            classes = classes[classes.model == m]
            per = classes.pivot_table(index="id", columns="class", values="change", aggfunc="mean")
            per = per.reindex(columns=["function", "content"])
            per = per.rename(columns=lambda c: f"{c}_change").reset_index()
            per["cluster"] = _cluster(per["id"], b, known)
            p_rows.append(per.assign(benchmark=b, method=m))
            metrics = results.read_json(folder / "metrics.json")
            run_rows.append(
                {
                    "benchmark": b,
                    "method": m,
                    "mean_change": float(classes["change"].mean()),
                    "destructive": float(metrics["destructive rate"]),
                }
            )
            # RQ2: lost items under each probe and its control
            table = results.read_table(folder / f"recovery__{template}.csv")
            gone = table[table.correct_before.astype(bool) & ~table.correct_after.astype(bool)]
            cols = {}
            for probe in PROBES:
                for name, column in ((probe, probe), (f"{probe} control", CONTROLS[probe])):
                    key = f"correct_{column}"
                    cols[name] = gone[key].astype(bool) if key in gone else np.nan
            items = pd.DataFrame(cols, index=gone.index).assign(
                id=gone["id"].values, benchmark=b, method=m
            )
            items["cluster"] = _cluster(items["id"], b, known)
            lost.append(items)
            if not counted_positive:  # the target's answers: the same for every method
                known_items = table[table.correct_before.astype(bool)]
                col = "original_correct_FocusOnKey"
                if col in known_items:
                    positive[0] += int(known_items[col].astype(bool).sum())
                    positive[1] += len(known_items)
                    counted_positive = True

    def cat(parts: list[pd.DataFrame]) -> pd.DataFrame:
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()

    ladder_items, controls, attacks = collect_ladder(root, profile, seed)
    return ClaimInputs(
        runs,
        cat(f_rows),
        cat(r_rows),
        cat(lost),
        (positive[0], positive[1]),
        cat(p_rows),
        pd.DataFrame(run_rows),
        ladder_items,
        controls,
        attacks,
        collect_frontier(root, profile, seed),
    )


def collect_ladder(
    root: Path, profile: str, seed: int = 0, benchmarks: Sequence[str] | None = None
) -> tuple[pd.DataFrame, dict[str, float], list[str]]:
    """The ladder's lost items of every finished ladder run (one row per item and method:
    ``<attack>`` for the unlearned model, ``<attack> base`` for the base model, ``cluster``),
    the target's share correct under each attack on every forget item of the benchmarks
    read, and the attacks in ladder order; ``benchmarks`` limits what is read (default:
    every benchmark)."""
    from .ladder import control_counts
    from .stages.ladder import ladder_columns

    parts, references, targets, attacks = [], [], [], []
    for b in benchmarks if benchmarks is not None else BENCHMARKS:
        known = None
        for m in METHODS:
            path = results.run_dir(root, profile, b, m, seed) / "ladder.csv"
            if not path.exists():
                continue
            known = known or clusters_of(b)
            table = results.read_table(path)
            cols = [a for a in ladder_columns(table) if a != "question"]
            attacks += [a for a in cols if a not in attacks]  # benchmarks may ask fewer
            by = {name: t.set_index("id") for name, t in table.groupby("model")}
            if "unlearned" not in by:
                continue
            targets.append(by["target"][cols])
            rows = by["unlearned"][cols].join(by["base"][cols], rsuffix=" base")
            rows = rows.reset_index().assign(benchmark=b, method=m)
            rows["cluster"] = _cluster(rows["id"], b, known)
            parts.append(rows)
        reference = results.run_dir(root, profile, b, "target", seed) / "ladder_reference.csv"
        if known is not None and reference.exists():
            references.append(results.read_table(reference))
    controls: dict[str, float] = {}
    if references:
        reference = pd.concat(references, ignore_index=True)
        shared = [a for a in attacks if a in reference]
        counts = control_counts(reference, shared)
        for a in shared:
            n = counts.loc[a, "target n"]
            controls[a] = counts.loc[a, "target k"] / n if n else 0.0
    # the recovery stage's prompts were asked of the target on lost items only: their
    # positive control is the target's share correct among those answers
    asked = pd.concat(targets) if targets else pd.DataFrame()
    for a in attacks:
        if a not in controls and a in asked:
            answered = asked[a].dropna().astype(bool)
            controls[a] = float(answered.mean()) if len(answered) else 0.0
    items = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    return items, controls, attacks


def ladder_by_benchmark(root: Path, profile: str, seed: int = 0) -> dict[str, Verdict]:
    """The ladder's rule (:func:`unpactlib.verdicts.ladder_verdict`) applied to each
    benchmark's ladder runs alone, with that benchmark's own positive controls: a
    description beside the pooled verdict, which stays the claim's verdict."""
    out = {}
    for b in BENCHMARKS:
        items, controls, attacks = collect_ladder(root, profile, seed, benchmarks=[b])
        if attacks and len(items):
            out[b] = ladder_verdict(items, controls, attacks, seed=seed)
    return out


def ladder_breakdown(per_benchmark: dict[str, Verdict]) -> str:
    """A sentence giving :func:`ladder_by_benchmark`'s verdict per benchmark, each with its
    strongest recovering attack and net recovery; empty when no benchmark has a ladder."""
    parts = []
    for b, v in per_benchmark.items():
        recovering = [a for a in v.effects if v.numbers.get(f"{a} recovers")]
        best = max(recovering, key=lambda a: v.effects[a].estimate) if recovering else None
        strongest = f", strongest {best} {v.effects[best].text(digits=2)}" if best else ""
        parts.append(f"{b} {v.verdict}{strongest}")
    if not parts:
        return ""
    return (
        "By benchmark, the same rule on each one's own items and controls gives: "
        + "; ".join(parts)
        + ". The verdict pools them."
    )


def collect_frontier(root: Path, profile: str, seed: int = 0) -> pd.DataFrame:
    """Every finished frontier run's points (``frontier.csv``), with its benchmark."""
    parts = [
        results.read_table(path).assign(benchmark=b)
        for b in BENCHMARKS
        for m in METHODS
        if (path := results.run_dir(root, profile, b, m, seed) / "frontier.csv").exists()
    ]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def _missing(claim: str, stage: str) -> Verdict:
    """The verdict of a claim whose stage has no results: inconclusive, and marked
    (``numbers["missing"]``) so that :func:`sentence` says the stage was not run."""
    return Verdict(
        claim, "inconclusive", f"Inconclusive: no {stage} results.", {}, {"missing": 1.0}
    )


def judge(inputs: ClaimInputs, seed: int = 0) -> dict[str, Verdict]:
    """The three verdicts (:mod:`unpactlib.verdicts`) of ``inputs``, by claim."""
    items = inputs.rq2_items
    probes = [
        p for p in PROBES if all(c in items and items[c].notna().all() for c in (p, f"{p} control"))
    ]
    out = {
        "RQ1": rq1_verdict(inputs.rq1_forget, inputs.rq1_retain, seed=seed),
        "RQ2": rq2_verdict(inputs.rq2_items, inputs.positive, probes=probes, seed=seed),
        "RQ3": rq3_verdict(inputs.rq3_prompts, inputs.rq3_runs, seed=seed),
    }
    if inputs.ladder_attacks:
        out["ladder"] = ladder_verdict(
            inputs.ladder_items, inputs.ladder_controls, inputs.ladder_attacks, seed=seed
        )
    else:
        out["ladder"] = _missing("ladder", "ladder")
    if len(inputs.frontier_points):
        out["dilemma"] = frontier_verdict(inputs.frontier_points)
    else:
        out["dilemma"] = _missing("dilemma", "frontier")
    return out


# One sentence per claim and verdict, for the claims page: it never asserts agreement that
# the verdict does not give.
SENTENCES: dict[str, dict[str, str]] = {
    "RQ1": {
        "agrees": "Unlearning took the contribution off the key words of the forgotten "
        "prompts, beyond what random tokens and the retain prompts lost: our measurement "
        "agrees with the paper.",
        "partly": "The key words of the forgotten prompts lost more contribution than random "
        "tokens, but no more than key words on prompts that were not unlearned: part of the "
        "fall is what any change does to the largest contributions, so our measurement "
        "agrees only in part.",
        "does not": "The key words of the forgotten prompts lost no more contribution than "
        "random tokens: our measurement does not support the paper's first claim.",
        "inconclusive": "The measurement could not decide the first claim.",
    },
    "RQ2": {
        "agrees": "Emphasising the key words brought back much of what was forgotten, more "
        "than emphasising random words: our measurement agrees with the paper.",
        "partly": "A prompt-side probe brought back more forgotten answers than its random "
        "control, but not much of what was forgotten: our measurement agrees only in part.",
        "does not": "No prompt-side probe brought back more forgotten answers than its random "
        "control: at this scale our measurement does not support the paper's second claim.",
        "inconclusive": "The emphasis prompts stopped the target itself from answering, or "
        "nothing was forgotten: the second claim cannot be judged here.",
    },
    "RQ3": {
        "agrees": "Function and content words both lost contribution on prompts unlearning "
        "was not aimed at, and the runs whose tokens lost more destroyed more: our "
        "measurement agrees with the paper.",
        "partly": "Our measurement agrees with the paper's third claim only in part: the "
        "token contributions and the damage do not move together in every respect the "
        "claim needs.",
        "does not": "Function words did not lose contribution where unlearning destroyed "
        "knowledge: our measurement does not support the paper's third claim.",
        "inconclusive": "The measurement could not decide the third claim.",
    },
    "ladder": {
        "agrees": "An attack on the unlearned model brought back much of what was forgotten, "
        "beyond what the same attack makes a model that never knew the facts answer: the "
        "knowledge was still there.",
        "partly": "Some attacks brought back forgotten answers beyond what they make a model "
        "that never knew the facts answer, but not much of what was forgotten.",
        "does not": "No attack brought back more forgotten answers than it makes a model "
        "that never knew the facts answer: at this scale the forgotten knowledge was not "
        "recoverable by any key we tried.",
        "inconclusive": "The ladder could not decide whether the knowledge is still there.",
    },
    "dilemma": {
        "agrees": "No method at any strength forgot without leaving what it forgot "
        "recoverable or destroying what it should keep: the dilemma holds here.",
        "partly": "A method escaped the dilemma by its estimates, but not clearly enough to "
        "rule out that it does not.",
        "does not": "A method forgot without leaving what it forgot recoverable and without "
        "destroying what it should keep: here the dilemma does not hold.",
        "inconclusive": "No method forgot enough to put the dilemma to the test.",
    },
}


def sentence(verdict: Verdict) -> str:
    """The claims page's sentence for ``verdict`` (:data:`SENTENCES`); for a claim whose
    stage has no results, a sentence that says so."""
    if verdict.numbers.get("missing"):
        return "Its stage has not been run on these results, so it is not judged here."
    return SENTENCES[verdict.claim][verdict.verdict]


def pooled_text(items: pd.DataFrame, column: str, seed: int = 0) -> str:
    """``k/n = P % [L, H]``: the share of true values of ``items[column]``, with the cluster
    bootstrap's interval over ``items["cluster"]`` (:func:`unpactlib.stats.pooled_rate`), in
    whole percent; "not measured" when the column is missing, incomplete or empty."""
    if column not in items or not len(items) or not items[column].notna().all():
        return "not measured"
    k, n, low, high = pooled_rate(
        items[column].astype(bool).tolist(), items["cluster"].tolist(), seed=seed
    )
    return f"{k}/{n} = {100 * k / n:.0f} % [{100 * low:.0f}, {100 * high:.0f}]"


def _short(effect: Effect, unit: str = "nats") -> str:
    return f"{effect.estimate:+.2f} {unit} [{effect.low:+.2f}, {effect.high:+.2f}]"


def headline(inputs: ClaimInputs, verdicts: dict[str, Verdict], seed: int = 0) -> dict[str, str]:
    """The study's answer in three parts, for the first page: ``key words`` (RQ1),
    ``recovery`` (RQ2, then the ladder where it ran) and ``forgetting`` (RQ3, then the
    dilemma where the frontier ran). Each part is the verdict's :func:`sentence` followed by
    the numbers that decided it, so no part can read as agreement the verdict does not give."""
    out = {}
    e1 = verdicts["RQ1"].effects
    out["key words"] = sentence(verdicts["RQ1"])
    if "forget" in e1 and "retain" in e1:
        out["key words"] += (
            f" The KeyTokens' change of contribution minus that of random tokens: "
            f"{_short(e1['forget'])} on forget prompts, {_short(e1['retain'])} on retain "
            f"prompts."
        )
    items = inputs.rq2_items
    k, n = inputs.positive
    parts = [sentence(verdicts["RQ2"])]
    if len(items):
        probes = [
            f"{p} brought back {pooled_text(items, p, seed)} of the lost items, its control "
            f"{pooled_text(items, f'{p} control', seed)}"
            for p in PROBES
            if p in items
        ]
        parts.append(
            "; ".join(probes)
            + (f" (the target answers {fmt_rate(k, n)} of its emphasis prompts)." if n else ".")
        )
        parts[-1] = _capital(parts[-1])
    if not verdicts["ladder"].numbers.get("missing"):
        parts += [sentence(verdicts["ladder"]), _capital(verdicts["ladder"].reason)]
    out["recovery"] = " ".join(parts)
    e3 = verdicts["RQ3"].effects
    parts = [sentence(verdicts["RQ3"])]
    if "function" in e3 and "content" in e3:
        parts.append(
            f"On retain and utility prompts function words changed by {_short(e3['function'])}"
            f", content words by {_short(e3['content'])}."
        )
    if not verdicts["dilemma"].numbers.get("missing"):
        parts += [sentence(verdicts["dilemma"]), _capital(verdicts["dilemma"].reason)]
    out["forgetting"] = " ".join(parts)
    return out


def _capital(text: str) -> str:
    """``text`` with its first letter upper-case (a reason opening a sentence)."""
    return text[:1].upper() + text[1:]


def model_label(model: str) -> str:
    """A base model's name for prose: the embedded model's own name
    (``SmolLM2-135M-Instruct``), the smoke profile's tiny random model, or ``model`` as given
    (a hub id or a folder)."""
    from .models import GGUF_FILE

    return {"embedded": GGUF_FILE.split(".")[0], "smoke": "a tiny random model"}.get(model, model)
