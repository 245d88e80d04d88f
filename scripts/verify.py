"""Compare a re-run of the study with a reference (the committed results, or another run) and
say which numbers moved, whether each stayed inside its 95 % confidence interval, and whether
every verdict is the same: ``python scripts/verify.py [--profile embedded] [--ref HEAD |
--against DIR] [--results DIR] [--report FILE] [--no-claims]``.

The results compared are ``<results>/<profile>`` (``--results``, default ``data/results``);
the reference is ``data/results/<profile>`` at git revision ``--ref`` (extracted with
``git archive`` into a temporary folder), or ``<against>/<profile>`` on disk. Runs (folders
``<bench>__<method>__s<seed>``) present on both sides are compared table by table:

* T1, ``metrics.json`` of every unlearned run: the scores before and after, forget efficacy
  and the destructive rates. A number that differs has moved; it moved inside when it lies in
  the Wilson 95 % interval of the reference's counts k/n (stored as ``<name> counts``, or
  counted in the reference's ``items.csv``); without counts, any move is outside.
* T2, ``recovery.json`` of every unlearned run: each recovery rate and its top-1 rate,
  against the interval stored with the reference's rate.
* Attribution, ``contributions.jsonl`` of every run: a prompt moved when one token's
  contribution differs by more than 1e-4 nats; it moved outside when its KeyToken set
  (:func:`unpactlib.attribution.key_tokens` with its defaults) changed.
* Answers, ``items.csv``: predictions that differ (reported, not judged).
* Verdicts: ``notebooks/07_claims.ipynb`` run on each side; the verdicts ``v1``, ``v2``,
  ``v3`` must be equal, other glued values that differ are reported (``--no-claims`` skips
  this).

It also counts the result files that are byte-identical, differ or are missing on either
side, and reads each side's environment (CPU included) from its ``provenance.json`` files.
The exit status is 1 when a verdict changed or a number moved outside its interval, else 0;
``--report FILE`` also writes the whole comparison as JSON.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import math
import re
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from scipy.stats import binomtest

from unpactlib.attribution import key_tokens
from unpactlib.config import PROFILES
from unpactlib.paths import REPO_ROOT, RESULTS_DIR
from unpactlib.results import claims, read_json, read_table, write_json
from unpactlib.tracking import read_rows

RUN_NAME = re.compile(r"^(?P<bench>[^_]+)__(?P<method>.+)__s(?P<seed>\d+)$")
# files that record where and how long a run took, never what it computed
IGNORED_FILES = frozenset({"provenance.json", "timings.json", "fresh_clone.json"})
IGNORED_PREFIXES = ("verify_",)  # earlier comparisons (--report), kept beside the results
# a contribution that differs by more than this many nats has moved
SCORE_TOLERANCE = 1e-4
CONFIDENCE = 0.95
# T1's rates; the scores are "<split> score" and "<split> score before" for every split
T1_RATES = ("forget efficacy", "destructive rate", "utility destructive rate")
T1_SCORE = re.compile(r"^(?P<split>.+) score(?P<before> before)?$")
VERDICT = re.compile(r"^v\d")
# prompts with changed KeyTokens listed per run in the text (the JSON report lists all)
SHOWN_PER_RUN = 3


@dataclass
class Moved:
    """One compared number (or prompt, or prediction) whose value differs between the sides.

    ``inside`` is whether it lies inside ``interval`` (the reference's 95 % interval); None
    for values that are reported and not judged.
    """

    run: str
    name: str
    reference: Any
    result: Any
    interval: list[float] | None = None
    inside: bool | None = None
    note: str = ""
    difference: float | None = None


@dataclass
class Table:
    """The comparison of one table over the runs of both sides: how many values were compared
    (``count``, and per run in ``per_run``), and each value that moved."""

    name: str
    file: str
    runs: int = 0
    count: int = 0
    unit: str = "numbers"
    judged: bool = True
    moved: list[Moved] = field(default_factory=list)
    per_run: dict[str, int] = field(default_factory=dict)

    @property
    def same(self) -> int:
        return self.count - len(self.moved)

    @property
    def outside(self) -> int:
        return sum(1 for m in self.moved if m.inside is False)

    @property
    def inside(self) -> int:
        return sum(1 for m in self.moved if m.inside)

    def record(self) -> dict[str, Any]:
        """The comparison as JSON-ready data, with the counts."""
        return {
            **asdict(self),
            "same": self.same,
            "moved_count": len(self.moved),
            "inside": self.inside,
            "outside": self.outside,
        }


@dataclass
class Report:
    """The whole comparison of two results folders of one profile."""

    profile: str
    reference: str
    results: str
    tables: list[Table]
    files: dict[str, Any]
    environment: dict[str, list[dict[str, Any]]]
    verdicts: dict[str, Any] | None = None
    runs_only_in: dict[str, list[str]] = field(default_factory=dict)

    @property
    def reasons(self) -> list[str]:
        """Why the comparison fails: changed verdicts and numbers outside their interval."""
        out = []
        if self.verdicts:
            for key in self.verdicts["changed"]:
                out.append(f"verdict {rq_name(key)} changed")
        for t in self.tables:
            if t.judged and t.outside and t.name == "Attribution":
                out.append(f"{t.name}: {t.outside} KeyToken sets changed or missing")
            elif t.judged and t.outside:
                out.append(f"{t.name}: {t.outside} moved outside their 95 % interval")
        return out

    @property
    def ok(self) -> bool:
        return not self.reasons

    def record(self) -> dict[str, Any]:
        """The comparison as JSON-ready data (what ``--report`` writes)."""
        return {
            "profile": self.profile,
            "reference": self.reference,
            "results": self.results,
            "ok": self.ok,
            "reasons": self.reasons,
            "tables": {t.name: t.record() for t in self.tables},
            "verdicts": self.verdicts,
            "environment": self.environment,
            "files": self.files,
            "runs_only_in": self.runs_only_in,
        }

    def text(self) -> str:
        """The comparison as readable text, one block per table, ending with the outcome."""
        lines = [f"Reference: {self.reference}", f"Results:   {self.results}"]
        for side, envs in self.environment.items():
            cpus = sorted({str(e["cpu"]) for e in envs if "cpu" in e}) or ["not recorded"]
            lines.append(f"CPU ({side}): {'; '.join(cpus)}")
        for side, runs in self.runs_only_in.items():
            if runs:
                lines.append(f"Runs only in the {side} (not compared): {', '.join(runs)}")
        for t in self.tables:
            lines += ["", *table_text(t)]
        lines += ["", verdict_text(self.verdicts)]
        if self.verdicts:
            for key, (a, b) in self.verdicts["other_differ"].items():
                lines.append(f"  {key}: {a} -> {b}  (reported, not judged)")
        f = self.files
        lines.append(
            f"Files: {f['identical']} identical, {f['differ']} differ, "
            f"{f['missing_in_results']} missing in the results, "
            f"{f['missing_in_reference']} missing in the reference"
        )
        if self.ok:
            said = "no verdict changed" if self.verdicts else "verdicts not compared"
            lines.append(f"verify: OK ({said}, every number inside its interval)")
        else:
            lines.append(f"verify: FAILED ({'; '.join(self.reasons)})")
        return "\n".join(lines)


# --- intervals and values ------------------------------------------------------------------


def wilson(k: int, n: int, confidence: float = CONFIDENCE) -> list[float] | None:
    """Wilson score interval of the share ``k / n`` (None when ``n`` is 0)."""
    if n <= 0:
        return None
    ci = binomtest(int(k), int(n)).proportion_ci(confidence_level=confidence, method="wilson")
    return [float(ci.low), float(ci.high)]


def _missing(x: Any) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def same_value(a: Any, b: Any) -> bool:
    """Whether two stored values are equal (None and NaN count as equal to each other)."""
    if _missing(a) or _missing(b):
        return _missing(a) and _missing(b)
    return a == b


def within(value: Any, interval: list[float] | None) -> bool:
    """Whether ``value`` is a number inside ``interval`` (ends included)."""
    if interval is None or _missing(value) or not isinstance(value, int | float):
        return False
    return interval[0] - 1e-12 <= value <= interval[1] + 1e-12


def run_label(run: str) -> str:
    """``news npo_gdr s0`` for the run folder ``news__npo_gdr__s0``."""
    m = RUN_NAME.match(run)
    return f"{m['bench']} {m['method']} s{m['seed']}" if m else run


def rq_name(key: str) -> str:
    """``RQ1`` for the verdict key ``v1``."""
    return "RQ" + key[1:]


def _short(x: Any) -> str:
    if isinstance(x, float):
        return f"{x:.3f}" if not math.isnan(x) else "nan"
    return str(x)


# --- runs ----------------------------------------------------------------------------------


def runs(folder: Path) -> list[str]:
    """Names of the run folders (``<bench>__<method>__s<seed>``) in a profile folder."""
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and RUN_NAME.match(p.name))


def common_runs(reference: Path, results: Path) -> list[str]:
    """Run folders present in both profile folders."""
    return sorted(set(runs(reference)) & set(runs(results)))


def is_unlearned(run: str) -> bool:
    """Whether a run folder holds an unlearned model (its method is not ``target``)."""
    m = RUN_NAME.match(run)
    return bool(m) and m["method"] != "target"


# --- T1 ------------------------------------------------------------------------------------


def t1_counts(metrics: dict[str, Any], items: pd.DataFrame | None, name: str) -> list[int] | None:
    """k and n behind the T1 number ``name``: its stored ``<name> counts``, else the correct
    answers of its split in ``items`` (``correct_before`` for a ``... before`` score), provided
    k / n equals the stored number; None when neither gives them."""
    if isinstance(metrics.get(f"{name} counts"), list):
        k, n = metrics[f"{name} counts"]
        return [int(k), int(n)]
    m = T1_SCORE.match(name)
    if m is None or items is None or "split" not in items:
        return None
    column = "correct_before" if m["before"] else "correct_after"
    part = items[items["split"] == m["split"]]
    if column not in part or not len(part):
        return None
    correct = part[column].astype(str).str.lower() == "true"
    k, n = int(correct.sum()), len(part)
    stored = metrics.get(name)
    if not isinstance(stored, int | float) or not math.isclose(k / n, stored, abs_tol=1e-9):
        return None
    return [k, n]


def t1_names(metrics: dict[str, Any]) -> list[str]:
    """The T1 numbers in a ``metrics.json``: every ``<split> score`` (and ``... before``) and
    the rates of :data:`T1_RATES`."""
    return sorted(n for n in metrics if T1_SCORE.match(n) or n in T1_RATES)


def _read_items(folder: Path) -> pd.DataFrame | None:
    path = folder / "items.csv"
    return read_table(path) if path.exists() else None


def compare_t1(reference: Path, results: Path) -> Table:
    """T1: the ``metrics.json`` numbers of every unlearned run in both profile folders, each
    judged against the Wilson 95 % interval of the reference's counts."""
    table = Table("T1", "metrics.json")
    for run in filter(is_unlearned, common_runs(reference, results)):
        ref_path = reference / run / "metrics.json"
        if not ref_path.exists():
            continue
        table.runs += 1
        ref = read_json(ref_path)
        res_path = results / run / "metrics.json"
        res = read_json(res_path) if res_path.exists() else {}
        items = None
        for name in t1_names(ref):
            table.count += 1
            a, b = ref[name], res.get(name)
            if name in res and same_value(a, b):
                continue
            if items is None:
                items = _read_items(reference / run)
            counts = t1_counts(ref, items, name)
            interval = wilson(*counts) if counts else None
            note = "" if name in res else "missing"
            if counts is None:
                note = note or "no counts: no interval"
            else:
                note = note or f"{counts[0]}/{counts[1]}"
            table.moved.append(Moved(run, name, a, b, interval, within(b, interval), note))
    return table


# --- T2 ------------------------------------------------------------------------------------


def rate_interval(rate: dict[str, Any]) -> tuple[list[float] | None, str]:
    """The interval a stored recovery rate is judged against, with how it was obtained: its
    stored ``ci_low``/``ci_high``, or the Wilson interval of its counts when the stored
    interval has zero width."""
    low, high = rate.get("ci_low"), rate.get("ci_high")
    if _missing(low) or _missing(high):
        return None, "no interval"
    if high > low:
        return [float(low), float(high)], "stored"
    # The stored intervals are percentile bootstraps, which collapse to the point itself when
    # every item agrees (0/8 gives [0, 0]): then any move would be outside. The Wilson
    # interval of the same counts has a width for every k/n with n > 0.
    return wilson(rate["numerator"], rate["denominator"]), "Wilson (stored has zero width)"


def _rates(recovery: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every rate of a ``recovery.json``: ``"<template> <kind>"`` and ``"<template> <kind>
    top1"`` -> its record."""
    out = {}
    for template, kinds in recovery.get("rates", {}).items():
        for kind, rate in kinds.items():
            out[f"{template} {kind}"] = rate
            if isinstance(rate.get("top1"), dict):
                out[f"{template} {kind} top1"] = rate["top1"]
    return out


def _rate_text(rate: dict[str, Any] | None) -> str | None:
    if rate is None:
        return None
    return f"{_short(rate.get('value'))} ({rate.get('numerator')}/{rate.get('denominator')})"


def compare_t2(reference: Path, results: Path) -> Table:
    """T2: the recovery rates in ``recovery.json`` of every unlearned run in both profile
    folders, each judged against the reference's interval (:func:`rate_interval`)."""
    table = Table("T2", "recovery.json", unit="rates")
    for run in filter(is_unlearned, common_runs(reference, results)):
        ref_path = reference / run / "recovery.json"
        if not ref_path.exists():
            continue
        table.runs += 1
        res_path = results / run / "recovery.json"
        ref = _rates(read_json(ref_path))
        res = _rates(read_json(res_path)) if res_path.exists() else {}
        for name, a in ref.items():
            table.count += 1
            b = res.get(name)
            keys = ("value", "numerator", "denominator")
            if b is not None and all(same_value(a.get(k), b.get(k)) for k in keys):
                continue
            interval, how = rate_interval(a)
            value = b.get("value") if b else None
            note = how if b is not None else "missing"
            table.moved.append(
                Moved(
                    run, name, _rate_text(a), _rate_text(b), interval, within(value, interval), note
                )
            )
    return table


# --- attribution ---------------------------------------------------------------------------


def compare_prompt(
    run: str, name: str, a: dict[str, Any], b: dict[str, Any] | None
) -> Moved | None:
    """One prompt's contributions on both sides: None when no token moved by more than
    :data:`SCORE_TOLERANCE` and the KeyTokens are the same; else the largest difference, and
    whether the KeyToken set stayed (inside) or changed (outside)."""
    if b is None:
        return Moved(run, name, a["keys"], None, None, False, "missing")
    if a.get("tokens") != b.get("tokens") or len(a["scores"]) != len(b["scores"]):
        return Moved(run, name, a.get("tokens"), b.get("tokens"), None, False, "tokens differ")
    largest = max((abs(x - y) for x, y in zip(a["scores"], b["scores"])), default=0.0)
    keys_a, keys_b = key_tokens(a["scores"]), key_tokens(b["scores"])
    if largest <= SCORE_TOLERANCE and keys_a == keys_b:
        return None
    note = "same KeyTokens" if keys_a == keys_b else "KeyTokens changed"
    return Moved(run, name, keys_a, keys_b, None, keys_a == keys_b, note, largest)


def compare_attribution(reference: Path, results: Path) -> Table:
    """Attribution: per prompt of every ``contributions.jsonl`` in both profile folders, the
    largest change of a token's contribution, and whether the KeyToken set changed."""
    table = Table("Attribution", "contributions.jsonl", unit="prompts")
    for run in common_runs(reference, results):
        ref_path = reference / run / "contributions.jsonl"
        if not ref_path.exists():
            continue
        table.runs += 1
        res = {(r["id"], r["model"]): r for r in read_rows(results / run / "contributions.jsonl")}
        for a in read_rows(ref_path):
            table.count += 1
            table.per_run[run] = table.per_run.get(run, 0) + 1
            b = res.get((a["id"], a["model"]))
            moved = compare_prompt(run, f"{a['id']} ({a['model']})", a, b)
            if moved is not None:
                table.moved.append(moved)
    return table


# --- answers -------------------------------------------------------------------------------


def compare_answers(reference: Path, results: Path) -> Table:
    """Answers: the predictions (every ``prediction*`` column) of each ``items.csv`` in both
    profile folders that differ; reported, not judged."""
    table = Table("Answers", "items.csv", unit="predictions", judged=False)
    for run in common_runs(reference, results):
        ref_items, res_items = _read_items(reference / run), _read_items(results / run)
        if ref_items is None or "id" not in ref_items:
            continue
        table.runs += 1
        keys = [c for c in ("id", "model", "split") if c in ref_items]
        predictions = [c for c in ref_items.columns if c.startswith("prediction")]
        index = {}
        if res_items is not None and all(k in res_items for k in keys):
            index = {tuple(r[k] for k in keys): r for r in res_items.to_dict("records")}
        for row in ref_items.to_dict("records"):
            other = index.get(tuple(row[k] for k in keys))
            for column in predictions:
                table.count += 1
                table.per_run[run] = table.per_run.get(run, 0) + 1
                a = "" if _missing(row[column]) else str(row[column])
                b = None if other is None else other.get(column)
                b = b if b is None else ("" if _missing(b) else str(b))
                if a != b:
                    name = f"{' '.join(str(row[k]) for k in keys if k != 'split')} {column}"
                    table.moved.append(Moved(run, name, a, b))
    return table


# --- verdicts ------------------------------------------------------------------------------


def compare_verdicts(reference: dict[str, str], results: dict[str, str]) -> dict[str, Any]:
    """The verdicts (glued keys ``v<digit>...``) of both sides, those that changed, and the
    other glued values that differ (name -> [reference, results])."""
    names = sorted(set(reference) | set(results))
    verdicts = [n for n in names if VERDICT.match(n)]
    return {
        "reference": {n: reference.get(n) for n in verdicts},
        "results": {n: results.get(n) for n in verdicts},
        "changed": [n for n in verdicts if reference.get(n) != results.get(n)],
        "other_differ": {
            n: [reference.get(n), results.get(n)]
            for n in names
            if not VERDICT.match(n) and reference.get(n) != results.get(n)
        },
    }


# --- files and environment -----------------------------------------------------------------


def shown_path(folder: Path) -> str:
    """``folder`` relative to the repository root when it lies inside it (a report then names
    no machine's paths), else as given."""
    try:
        return Path(folder).resolve().relative_to(REPO_ROOT.resolve()).as_posix()
    except ValueError:
        return str(folder)


def result_files(folder: Path) -> set[str]:
    """Paths (relative to ``folder``) of its result files: every file except hidden ones,
    :data:`IGNORED_FILES` and reports of earlier comparisons (:data:`IGNORED_PREFIXES`)."""
    if not folder.is_dir():
        return set()
    return {
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file()
        and p.name not in IGNORED_FILES
        and not p.name.startswith(IGNORED_PREFIXES)
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    }


def compare_files(reference: Path, results: Path) -> dict[str, Any]:
    """How many result files of two profile folders are byte-identical, differ, or are missing
    on one side, with the paths of the last three kinds."""
    ref, res = result_files(reference), result_files(results)
    both = sorted(ref & res)
    differ = [p for p in both if not filecmp.cmp(reference / p, results / p, shallow=False)]
    return {
        "identical": len(both) - len(differ),
        "differ": len(differ),
        "missing_in_results": len(ref - res),
        "missing_in_reference": len(res - ref),
        "differ_paths": differ,
        "missing_in_results_paths": sorted(ref - res),
        "missing_in_reference_paths": sorted(res - ref),
    }


def environments(folder: Path) -> list[dict[str, Any]]:
    """The distinct environments recorded in the ``provenance.json`` files of a profile
    folder's runs, each with the number of stages that ran in it."""
    seen: dict[str, dict[str, Any]] = {}
    for path in sorted(folder.glob("*/provenance.json")):
        try:
            stages = read_json(path)
        except (OSError, ValueError):
            continue
        for entry in stages.values() if isinstance(stages, dict) else []:
            env = entry.get("environment") if isinstance(entry, dict) else None
            if not isinstance(env, dict):
                continue
            key = json.dumps(env, sort_keys=True)
            seen.setdefault(key, {**env, "stages": 0})["stages"] += 1
    return list(seen.values())


# --- the comparison ------------------------------------------------------------------------


def compare_tables(reference: Path, results: Path) -> list[Table]:
    """T1, T2, attribution and answers of two profile folders."""
    return [
        compare_t1(reference, results),
        compare_t2(reference, results),
        compare_attribution(reference, results),
        compare_answers(reference, results),
    ]


def compare(
    reference_root: Path,
    results_root: Path,
    profile: str,
    *,
    with_claims: bool = True,
    reference_name: str = "",
) -> Report:
    """Compare ``<results_root>/<profile>`` with ``<reference_root>/<profile>``: every table,
    the files, the environments, and (``with_claims``) the verdicts of the claims notebook."""
    ref, res = Path(reference_root) / profile, Path(results_root) / profile
    verdicts = None
    if with_claims:
        verdicts = compare_verdicts(claims(reference_root, profile), claims(results_root, profile))
    return Report(
        profile=profile,
        reference=reference_name or str(ref),
        results=shown_path(res),
        tables=compare_tables(ref, res),
        files=compare_files(ref, res),
        environment={"reference": environments(ref), "results": environments(res)},
        verdicts=verdicts,
        runs_only_in={
            "reference": sorted(set(runs(ref)) - set(runs(res))),
            "results": sorted(set(runs(res)) - set(runs(ref))),
        },
    )


# --- text ----------------------------------------------------------------------------------


def largest_difference(moved: Sequence[Moved]) -> float:
    """The largest contribution difference (nats) among moved prompts (0 when none)."""
    return max((m.difference for m in moved if m.difference is not None), default=0.0)


def table_text(t: Table, shown: int = SHOWN_PER_RUN) -> list[str]:
    """A table's block of text: its counts, then one line per moved number (T1, T2), or one
    line per run with moved prompts or predictions, followed by up to ``shown`` of its prompts
    whose KeyTokens changed."""
    head = f"{t.name} ({t.file}, {t.runs} runs): {t.count} {t.unit}, {t.same} same, "
    head += f"{len(t.moved)} moved"
    if t.name == "Attribution":
        head += f" (largest {largest_difference(t.moved):.2g} nats)"
        head += f": {t.inside} same KeyTokens, {t.outside} KeyTokens changed or missing"
    elif t.judged:
        head += f": {t.inside} inside their 95 % interval, {t.outside} outside"
    else:
        head += " (reported, not judged)"
    lines = [head]
    if t.per_run:
        by_run: dict[str, list[Moved]] = {}
        for m in t.moved:
            by_run.setdefault(m.run, []).append(m)
        for run, moved in by_run.items():
            line = f"  {run_label(run)}  {len(moved)} of {t.per_run[run]} {t.unit} moved"
            changed = [m for m in moved if m.inside is False]
            if t.name == "Attribution":
                line += f" (largest {largest_difference(moved):.2g} nats)"
                line += f", {len(changed)} KeyToken sets changed or missing"
            lines.append(line)
            for m in changed[:shown]:
                lines.append(f"    {m.name}  {m.reference} -> {m.result}  ({m.note})")
            if len(changed) > shown:
                lines.append(f"    ... {len(changed) - shown} more (--report lists them all)")
        return lines
    for m in t.moved:
        interval = f"[{m.interval[0]:.2f}, {m.interval[1]:.2f}]" if m.interval else "[no interval]"
        verdict = "inside" if m.inside else "outside"
        note = f"  ({m.note})" if m.note else ""
        lines.append(
            f"  {run_label(m.run)}  {m.name}  {_short(m.reference)} -> {_short(m.result)}"
            f"  {interval}  {verdict}{note}"
        )
    return lines


def verdict_text(verdicts: dict[str, Any] | None) -> str:
    """``Verdicts: RQ1 same (agrees), ...``, or that they were not compared."""
    if verdicts is None:
        return "Verdicts: not compared (--no-claims)"
    parts = []
    for key, a in verdicts["reference"].items():
        b = verdicts["results"][key]
        parts.append(
            f"{rq_name(key)} same ({a})" if a == b else f"{rq_name(key)} CHANGED ({a} -> {b})"
        )
    return "Verdicts: " + (", ".join(parts) or "none glued")


# --- command line --------------------------------------------------------------------------


def git(*args: str, repo: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    """``git ARGS`` run in ``repo`` (default: the repository root), its output captured."""
    return subprocess.run(["git", *args], cwd=repo or REPO_ROOT, capture_output=True, check=False)


def extract_reference(ref: str, profile: str, dest: Path, repo: Path | None = None) -> Path:
    """Extract ``data/results/<profile>`` of git revision ``ref`` into ``dest``; return the
    results root there (``dest/data/results``). A ValueError names ``--ref`` when git does not
    know the revision or it has no such folder."""
    repo = repo or REPO_ROOT
    if git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", repo=repo).returncode:
        raise ValueError(f"--ref {ref!r}: git does not know this revision in {repo}")
    folder = f"data/results/{profile}"
    if git("cat-file", "-e", f"{ref}:{folder}", repo=repo).returncode:
        raise ValueError(f"--ref {ref!r}: the revision has no {folder}")
    archive = git("archive", ref, folder, repo=repo)
    if archive.returncode:
        raise ValueError(f"--ref {ref!r}: git archive failed: {archive.stderr.decode().strip()}")
    dest.mkdir(parents=True, exist_ok=True)
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive.stdout, check=True)
    return dest / "data" / "results"


def check_profile(profile: str) -> None:
    """Raise ValueError naming ``--profile`` and the allowed values unless ``profile`` is a
    profile (or ``<profile>@<model>``, a profile on another base model)."""
    if profile.split("@", 1)[0] not in PROFILES or profile.endswith("@"):
        allowed = ", ".join(PROFILES)
        raise ValueError(
            f"--profile {profile!r} is not a profile; choose one of: {allowed} "
            "(or <profile>@<model>)"
        )


def parser() -> argparse.ArgumentParser:
    """The command line (see the module's docstring)."""
    out = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    out.add_argument("--profile", default="embedded", help="the profile, as in results/PROFILE")
    source = out.add_mutually_exclusive_group()
    source.add_argument(
        "--ref", default="HEAD", help="git revision whose committed results are the reference"
    )
    source.add_argument(
        "--against", type=Path, help="a results root on disk to use as the reference instead"
    )
    out.add_argument(
        "--results",
        type=Path,
        default=RESULTS_DIR,
        help="the results root compared (default: %(default)s)",
    )
    out.add_argument("--report", type=Path, help="also write the comparison to this JSON file")
    out.add_argument("--no-claims", action="store_true", help="do not compare the verdicts")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the arguments, compare, print the comparison; return 1 when it failed, else 0."""
    p = parser()
    args = p.parse_args(argv)
    try:
        check_profile(args.profile)
    except ValueError as e:
        p.error(str(e))
    results_root = Path(args.results)
    if not (results_root / args.profile).is_dir():
        p.error(f"--results: no results folder {results_root / args.profile}")
    with tempfile.TemporaryDirectory(prefix="verify-") as tmp:
        if args.against is not None:
            reference_root = Path(args.against)
            if not (reference_root / args.profile).is_dir():
                p.error(f"--against: no results folder {reference_root / args.profile}")
            name = str(reference_root / args.profile)
        else:
            try:
                reference_root = extract_reference(args.ref, args.profile, Path(tmp))
            except ValueError as e:
                p.error(str(e))
            commit = git("rev-parse", "--short", args.ref).stdout.decode().strip()
            name = f"data/results/{args.profile} at {args.ref} ({commit})"
        report = compare(
            reference_root,
            results_root,
            args.profile,
            with_claims=not args.no_claims,
            reference_name=name,
        )
    print(report.text())
    if args.report:
        write_json(args.report, report.record())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
