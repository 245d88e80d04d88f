"""The ladder stage: every recovery attack on the forget items each method lost, answered by
the unlearned model, the base model (false positives) and the target (:mod:`unpactlib.ladder`),
with the logit lens of all three."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .. import keys, records
from ..attacks import logit_lens_ranks
from ..cache import load_target, load_unlearned
from ..config import parse_choices
from ..evaluation import Answered, answer
from ..ladder import (
    PROMPT_ATTACKS,
    WEIGHT_ATTACKS,
    LadderSettings,
    net_recovery,
    prompt_attacks,
    weight_attacks,
)
from ..models import load_model, mixed_precision
from ..results import read_json, read_table, write_json, write_table
from ..unlearn import parse_methods
from .study import Study

MODELS = ("unlearned", "base", "target")
NET_COLUMNS = ["method", "attack", "n", "unlearned", "base", "target", "target n", "net"]
NET_COLUMNS += ["low", "high", "p"]
# the recovery stage's prompt kinds the ladder carries over, and the column each becomes
RECOVERY_KINDS = {"FocusOnKey": "FocusOnKey", "control": "FocusOnKey control"}
PROBAB_KINDS = {"ProbAb": "ProbAb", "ProbAb control": "ProbAb control"}


@dataclass
class LadderResult:
    """The ladder stage's outputs."""

    methods: list[str]
    attacks: list[str]  # the columns of the tables, in ladder order
    net: pd.DataFrame  # one row per method and attack: counts, shares, net difference, p
    tables: dict[str, pd.DataFrame]  # method -> per item and model: success and answer
    lens: pd.DataFrame  # one row per method, model and layer: median rank of the gold token
    reference: pd.DataFrame  # base and target on every forget item (column ``model``)


def _ladder_code() -> str:
    return keys.code_digest(("ladder", "attacks", "stages.ladder"))


def _attack_tables(
    model, tok, records_: list[dict], study: Study, settings: LadderSettings, attacks: list[str]
) -> pd.DataFrame:
    shots = study.bench["retain_train"] if "retain_train" in study.bench.splits else []
    pool = study.bench["forget"]
    retain = shots or study.bench["retain"]
    table = prompt_attacks(
        model,
        tok,
        records_,
        shots,
        settings,
        attacks=[a for a in attacks if a in PROMPT_ATTACKS],
        batch_size=study.profile.generation_batch_size,
    )
    weights = [a for a in attacks if a in WEIGHT_ATTACKS]
    if weights:
        table = table.join(
            weight_attacks(
                model,
                tok,
                records_,
                retain_train=retain,
                forget_pool=pool,
                settings=settings,
                attacks=weights,
                batch_size=study.profile.generation_batch_size,
            )
        )
    return table


def _lens(model, tok, records_: list[dict]) -> pd.DataFrame:
    ranks = logit_lens_ranks(model, tok, records_)
    return pd.DataFrame(
        ranks,
        index=pd.Index([r["id"] for r in records_], name="id"),
        columns=[f"layer {i}" for i in range(ranks.shape[1])],
    )


def _reference(
    study: Study, settings: LadderSettings, attacks: list[str], target_seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Base and target model on every forget item (once per target, settings and code):
    ``ladder_reference.csv`` and ``lens_reference.csv`` in the target's run folder."""
    out = study.run_dir("target", target_seed)
    target_path, _ = study.target(target_seed)
    key = {"target": target_path.name, "ladder": asdict(settings), "attacks": attacks}
    key["code"] = _ladder_code()
    files = ["ladder_reference.csv", "lens_reference.csv"]
    if not records.stage_done(out, "ladder_reference.json", key, study.cache_dir):
        start = time.perf_counter()
        forget = study.bench["forget"]
        tables, lenses = [], []
        for name in ("base", "target"):
            if name == "base":
                model, tok = load_model(study.profile.model, device=study.device)
            else:
                model, tok = load_target(target_path, study.device)
            with mixed_precision(study.profile.precision):
                tables.append(_attack_tables(model, tok, forget, study, settings, attacks))
                lenses.append(_lens(model, tok, forget))
            tables[-1]["model"], lenses[-1]["model"] = name, name
            del model
        write_table(out / files[0], pd.concat(tables).reset_index())
        write_table(out / files[1], pd.concat(lenses).reset_index())
        records.finish_stage(
            out,
            "ladder_reference.json",
            key,
            files=files,
            cache_dir=study.cache_dir,
            seconds=round(time.perf_counter() - start, 1),
        )
    return read_table(out / files[0]), read_table(out / files[1])


def _recovery_columns(
    out: Path,
    lost: list[str],
    base,
    tok,
    prompts: dict[str, dict],
    memo: Answered,
    tau: float,
    batch_size: int,
) -> dict[str, pd.DataFrame]:
    """The recovery stage's prompts of each template as ladder columns, per model: the
    unlearned and target answers it recorded, the base model's asked here."""
    templates = read_json(out / "recovery_config.json")["key"]["templates"]
    by_model = {m: pd.DataFrame(index=pd.Index(lost, name="id")) for m in MODELS}
    for k, template in enumerate(templates):
        rec = read_table(out / f"recovery__{template}.csv").set_index("id").reindex(lost)
        kinds = dict(RECOVERY_KINDS)
        if k == 0 and "prompt_ProbAb" in rec:
            kinds |= PROBAB_KINDS
        for kind, column in kinds.items():
            name = column if k == 0 or kind not in RECOVERY_KINDS else f"{column} ({template})"
            asked = [prompts[i] for i in lost]
            base_answers = answer(
                base,
                tok,
                asked,
                rec[f"prompt_{kind}"].tolist(),
                tau=tau,
                batch_size=batch_size,
                memo=memo,
            )
            for model, correct, said in (
                ("unlearned", rec[f"correct_{kind}"], rec[f"prediction_{kind}"]),
                ("target", rec.get(f"original_correct_{kind}", np.nan), None),
                ("base", base_answers["correct"].values, base_answers["prediction"].values),
            ):
                by_model[model][name] = pd.Series(correct, index=lost, dtype=object)
                by_model[model][f"{name} answer"] = (
                    pd.Series(said, index=lost, dtype=object) if said is not None else None
                )
    return by_model


def run_ladder(
    study: Study,
    methods: str = "all",
    *,
    seed: int = 0,
    target_seed: int = 0,
    attacks: str = "all",
    n_samples: int = 16,
    temperature: float = 1.0,
    n_shots: int = 3,
    group_size: int = 32,
    relearn_steps: int = 10,
    relearn_lr: float = 1e-4,
    attack_seed: int = 0,
    tau: float = 0.5,
) -> LadderResult:
    """The recovery ladder on each method's lost forget items (known by the target, not by
    the unlearned model): the prompt and weight attacks of :mod:`unpactlib.ladder`
    (``attacks``: ``"all"`` or names from :data:`PROMPT_ATTACKS` and :data:`WEIGHT_ATTACKS`)
    and the recovery stage's FocusOnKey, ProbAb and their controls, each answered by the
    unlearned model, the base model and the target; the logit lens of all three.

    Needs the unlearning stage's ``items.csv`` and the recovery stage's tables. Writes
    ``ladder.csv``, ``lens.csv`` and ``ladder.json`` into each method's run folder and the
    base and target answers on every forget item into the target's. The other parameters
    are :class:`unpactlib.ladder.LadderSettings`'s (``attack_seed`` is its ``seed``).
    """
    settings = LadderSettings(
        n_samples=n_samples,
        temperature=temperature,
        n_shots=n_shots,
        group_size=group_size,
        relearn_steps=relearn_steps,
        relearn_lr=relearn_lr,
        tau=tau,
        seed=attack_seed,
    )
    method_list = parse_methods(methods)
    attack_list = parse_choices("attacks", attacks, PROMPT_ATTACKS + WEIGHT_ATTACKS)
    reference, reference_lens = _reference(study, settings, attack_list, target_seed)
    prompts = {r["id"]: r for r in study.bench.prompts("forget")}
    raw = {r["id"]: r for r in study.bench["forget"]}
    base = None
    base_memo: Answered = {}
    net_rows, tables, lens_rows = [], {}, []
    for method in method_list:
        out = study.run_dir(method, seed)
        key = {
            "unlearned": read_json(out / "config.json")["key"],
            "recovery": read_json(out / "recovery_config.json")["key"],
            "ladder": asdict(settings),
            "attacks": attack_list,
            "code": _ladder_code(),
        }
        files = ["ladder.csv", "lens.csv", "ladder.json"]
        if not records.stage_done(out, "ladder_config.json", key, study.cache_dir):
            start = time.perf_counter()
            items = read_table(out / "items.csv")
            items = items[items.split == "forget"].set_index("id")
            lost = [
                i
                for i in raw
                if items.loc[i, "correct_before"] and not items.loc[i, "correct_after"]
            ]
            path, _ = study.unlearned(method, seed, target_seed)
            model, tok = load_unlearned(path, study.device)
            if base is None:
                base, _ = load_model(study.profile.model, device=study.device)
            with mixed_precision(study.profile.precision):
                own = _attack_tables(
                    model, tok, [raw[i] for i in lost], study, settings, attack_list
                )
                lens = _lens(model, tok, [raw[i] for i in lost])
                extra = _recovery_columns(
                    out,
                    lost,
                    base,
                    tok,
                    prompts,
                    base_memo,
                    settings.tau,
                    study.profile.generation_batch_size,
                )
            del model
            parts = []
            for name in MODELS:
                part = (
                    own
                    if name == "unlearned"
                    else (
                        reference[reference.model == name]
                        .set_index("id")
                        .drop(columns="model")
                        .reindex(lost)
                    )
                )
                parts.append(part.join(extra[name]).assign(model=name))
            table = pd.concat(parts).reset_index()
            write_table(out / "ladder.csv", table)
            write_table(out / "lens.csv", lens.reset_index())
            write_json(out / "ladder.json", {"lost": len(lost)})
            records.finish_stage(
                out,
                "ladder_config.json",
                key,
                files=files,
                cache_dir=study.cache_dir,
                seconds=round(time.perf_counter() - start, 1),
            )
        table = read_table(out / "ladder.csv")
        tables[method] = table
        net_rows += net_table(table, method)
        lens = read_table(out / "lens.csv").assign(model="unlearned")
        ids = set(lens.id)
        for name in ("base", "target"):
            part = reference_lens[(reference_lens.model == name) & reference_lens.id.isin(ids)]
            lens = pd.concat([lens, part])
        layers = [c for c in lens.columns if c.startswith("layer ")]
        for name, part in lens.groupby("model"):
            for layer in layers:
                lens_rows.append(
                    {
                        "method": method,
                        "model": name,
                        "layer": int(layer.split()[1]),
                        "median rank": float(part[layer].median()),
                        "n": len(part),
                    }
                )
    attacks_shown = ladder_columns(next(iter(tables.values()))) if tables else []
    return LadderResult(
        method_list,
        attacks_shown,
        pd.DataFrame(net_rows, columns=NET_COLUMNS),
        tables,
        pd.DataFrame(lens_rows, columns=["method", "model", "layer", "median rank", "n"]),
        reference,
    )


def ladder_columns(table: pd.DataFrame) -> list[str]:
    """The attack columns of a ladder table, in ladder order (prompt attacks, weight
    attacks, then the recovery stage's kinds)."""
    skip = {"id", "model", "sampling share"}
    return [c for c in table.columns if c not in skip and not c.endswith(" answer")]


def net_table(table: pd.DataFrame, method: str) -> list[dict]:
    """One row per attack of a method's ladder table: items asked, successes of the
    unlearned model, the base model and the target, and the unlearned model's net recovery
    over the base model (:func:`unpactlib.ladder.net_recovery`)."""
    empty = table.iloc[0:0].set_index("id")  # a method that lost no item has no rows
    by_model = {m: part.set_index("id") for m, part in table.groupby("model")}
    by_model = {m: by_model.get(m, empty) for m in MODELS}
    rows = []
    for attack in ladder_columns(table):
        if attack == "question":
            continue
        net = net_recovery(by_model["unlearned"], by_model["base"], attack)
        target = by_model["target"][attack].dropna().astype(bool)
        rows.append(
            {
                "method": method,
                "attack": attack,
                "n": net.n,
                "unlearned": net.both + net.x_only,
                "base": net.both + net.y_only,
                "target": int(target.sum()),
                "target n": len(target),
                "net": net.diff,
                "low": net.low,
                "high": net.high,
                "p": net.p,
            }
        )
    return rows
