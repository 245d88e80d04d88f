"""The frontier stage: the dilemma of unlearning as curves. Each method's unlearning update is
applied at several strengths, and each strength is scored on forget efficacy, on how much of
what it removed the strongest attack brings back (net of the base model), on the destruction
of retain-eval and utility items, and on RQ1's and RQ3's contribution measures."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, replace

import numpy as np
import pandas as pd
import torch
from safetensors.torch import load_file

from .. import keys, records, tracking
from ..attribution import TOKEN_BUDGET, contributions
from ..cache import DELTA_FILE, load_target
from ..config import ParameterError, check_choice, parse_numbers
from ..evaluation import answer_table
from ..ladder import PROMPT_ATTACKS, WEIGHT_ATTACKS, LadderSettings, prompt_attacks, weight_attacks
from ..metrics import destructive_rate, forget_efficacy
from ..models import mixed_precision
from ..results import read_json, read_table, write_jsonl, write_table
from ..stats import paired, wilson
from ..token_classes import class_change_table
from ..unlearn import parse_methods
from .attribution import _ablated, spread
from .study import Study

FRONTIER_ATTACKS = tuple(a for a in PROMPT_ATTACKS + WEIGHT_ATTACKS if a != "question")
SCORED = ("forget", "retain", "utility")


@dataclass
class FrontierResult:
    """The frontier stage's outputs."""

    methods: list[str]
    strengths: list[float]
    points: pd.DataFrame  # one row per method and strength (see :func:`run_frontier`)


@torch.no_grad()
def scale_update(model, target: dict[str, torch.Tensor], delta: dict[str, torch.Tensor], s: float):
    """Set ``model``'s parameters to ``target + s * delta`` (``delta``: the unlearning update,
    float16 as stored; parameters it does not name keep the target's value)."""
    for name, p in model.named_parameters():
        value = target[name].float()
        if name in delta:
            value = value + s * delta[name].float()
        p.copy_(value.to(p.dtype))


def _strongest(study: Study, method: str, seed: int) -> str:
    """The ladder's strongest attack for ``method`` among :data:`FRONTIER_ATTACKS`."""
    from .ladder import net_table

    table = read_table(study.run_dir(method, seed) / "ladder.csv")
    net = pd.DataFrame(net_table(table, method))
    net = net[net.attack.isin(FRONTIER_ATTACKS) & (net.n > 0)]
    return str(net.loc[net.net.idxmax(), "attack"]) if len(net) else "few-shot"


def ladder_settings(out, tau: float) -> LadderSettings:
    """The settings the ladder stage ran with for one method (its ``ladder_config.json``),
    with the frontier's ``tau``: the frontier repeats the ladder's attack as the ladder ran
    it (the same number of samples, bits, relearning steps), not with defaults."""
    recorded = read_json(out / "ladder_config.json")["key"]["ladder"]
    return replace(LadderSettings(**recorded), tau=tau)


def _share(rate) -> dict[str, object]:
    low, high = wilson(rate.numerator, rate.denominator)
    return {"k": rate.numerator, "n": rate.denominator, "low": low, "high": high}


def _retain_train(study: Study) -> list[dict]:
    """What relearning and few-shot prompts use: retain-train, or retain-eval without it."""
    bench = study.bench
    return bench["retain_train"] if "retain_train" in bench.splits else bench["retain"]


def _scores(model, tok, study: Study, before: pd.Series, tau: float) -> tuple[dict, pd.Series]:
    """Forget efficacy and the destructive rates against the target's answers ``before``
    (indexed by split and id), and the forget items' correctness now."""
    row: dict[str, object] = {}
    now = {}
    for split in SCORED:
        items = study.bench[split]
        table = answer_table(
            model,
            tok,
            items,
            tau=tau,
            batch_size=study.profile.generation_batch_size,
            mc_scoring=study.bench.mc_scoring(split),
        )
        now[split] = pd.Series(table["correct"].values, index=[r["id"] for r in items])
        was = before.loc[split].reindex(now[split].index).astype(bool)
        measure = forget_efficacy if split == "forget" else destructive_rate
        rate = measure(was.tolist(), now[split].astype(bool).tolist())
        name = "forget efficacy" if split == "forget" else f"{split} destructive"
        for k, v in _share(rate).items():
            row[f"{name} {k}"] = v
    return row, now["forget"]


def _recoverability(
    model,
    tok,
    study: Study,
    lost: list[dict],
    attack: str,
    base: pd.DataFrame,
    settings: LadderSettings,
) -> dict[str, object]:
    """``attack`` on the ``lost`` items, against the base model's answers on the same items."""
    batch = study.profile.generation_batch_size
    if not lost:
        hit = pd.Series(dtype=object)
    elif attack in PROMPT_ATTACKS:
        table = prompt_attacks(
            model, tok, lost, _retain_train(study), settings, attacks=[attack], batch_size=batch
        )
        hit = table[attack]
    else:
        table = weight_attacks(
            model,
            tok,
            lost,
            retain_train=_retain_train(study),
            forget_pool=study.bench["forget"],
            settings=settings,
            attacks=[attack],
            batch_size=batch,
        )
        hit = table[attack]
    both = pd.DataFrame({"x": hit, "y": base[attack].reindex(hit.index)}).dropna()
    pair = paired(both.x.astype(bool).tolist(), both.y.astype(bool).tolist())
    return {
        "lost": len(lost),
        "recovered": pair.both + pair.x_only,
        "base": pair.both + pair.y_only,
        "net": pair.diff,
        "net low": pair.low,
        "net high": pair.high,
    }


def _measures(original: list[dict], now: list[dict], name: str) -> dict[str, float]:
    """RQ1's and RQ3's means at one strength: the KeyTokens' and random tokens' change on
    forget prompts, the function and content words' and every token's change on retain-eval
    prompts (after minus the target's contributions)."""
    track = tracking.prompt_tracking(original + now, name)
    forget, retain = track[track.split == "forget"], track[track.split == "retain"]
    row = {
        "key change": float(forget["key change"].mean()),
        "random change": float(forget["random change"].mean()),
        "mean change": float(retain["mean change"].mean()),
    }
    classes = class_change_table([r for r in original + now if r["split"] == "retain"])
    for cls in ("function", "content"):
        part = classes[classes["class"] == cls] if len(classes) else classes
        row[f"{cls} change"] = float(part.change.mean()) if len(part) else np.nan
    return row


def run_frontier(
    study: Study,
    methods: str = "all",
    *,
    seed: int = 0,
    target_seed: int = 0,
    strengths: str = "0.25,0.5,0.75,1,1.5",
    attack: str = "auto",
    n_attributed: int = 24,
    tau: float = 0.5,
) -> FrontierResult:
    """Each method's unlearning update ``delta`` (unlearned minus target weights) applied at
    each of ``strengths`` (``target + s * delta``: 0 is the target, 1 the unlearned model,
    above 1 an extrapolation), scored at each strength on:

    * forget efficacy and the retain-eval and utility destructive rates (against the
      target's answers from the target stage), each ``k/n`` with a Wilson interval;
    * recoverability: ``attack`` (``"auto"``: the ladder's strongest attack for the method
      at full strength, among :data:`FRONTIER_ATTACKS`), with the settings the ladder ran
      it with (:func:`ladder_settings`), on the forget items lost at that strength, and
      its net recovery over the base model on the same items (the ladder's reference
      answers; Newcombe's paired interval);
    * RQ1's and RQ3's measures on ``n_attributed`` forget and retain-eval prompts (spread
      over documents; 0: all the attribution stage scored): the KeyTokens' and random
      tokens' mean contribution change, and the function and content words' change.

    Needs the target, unlearning, attribution and ladder stages. Writes ``frontier.csv``
    and ``frontier_contributions.jsonl`` into each method's run folder.
    """
    method_list = parse_methods(methods)
    levels = parse_numbers("strengths", strengths, float, 0.0, 4.0)
    if attack != "auto":
        check_choice("attack", attack, FRONTIER_ATTACKS)
    target_dir = study.run_dir("target", target_seed)
    for needed in ("items.csv", "contributions.jsonl", "ladder_reference.csv"):
        if not (target_dir / needed).exists():
            raise FileNotFoundError(f"{target_dir / needed} is missing: run the earlier stages")
    attr_settings = read_json(target_dir / "attribution_config.json")["key"]
    target_rows = [r for r in tracking.read_rows(target_dir / "contributions.jsonl")]
    by_split = {s: [r for r in target_rows if r["split"] == s] for s in ("forget", "retain")}
    chosen = {s: {r["id"] for r in spread(rows, n_attributed)} for s, rows in by_split.items()}
    prompts = {
        r["id"]: dict(r, split=s)
        for s in ("forget", "retain")
        for r in study.bench.prompts(s)
        if r["id"] in chosen[s]
    }
    original = [dict(r, model="original") for r in target_rows if r["id"] in prompts]
    before = read_table(target_dir / "items.csv")
    before = before[before.model == "target"].set_index(["split", "id"])["correct"]
    reference = read_table(target_dir / "ladder_reference.csv")
    base_ref = reference[reference.model == "base"].set_index("id")
    target_path, _ = study.target(target_seed)
    points = []
    for method in method_list:
        out = study.run_dir(method, seed)
        ladder = ladder_settings(out, tau)
        used = _strongest(study, method, seed) if attack == "auto" else attack
        key = {
            "unlearned": read_json(out / "config.json")["key"],
            "strengths": levels,
            "attack": used,
            "ladder": asdict(ladder),
            "attributed": sorted(prompts),
            "code": keys.code_digest(("stages.frontier", "ladder", "attacks")),
        }
        files = ["frontier.csv", "frontier_contributions.jsonl"]
        if not records.stage_done(out, "frontier_config.json", key, study.cache_dir):
            start = time.perf_counter()
            path, _ = study.unlearned(method, seed, target_seed)
            delta = load_file(str(path / DELTA_FILE))
            model, tok = load_target(target_path, study.device)
            start_weights = {n: p.detach().clone() for n, p in model.named_parameters()}
            rows, attributed = [], []
            for s in levels:
                scale_update(model, start_weights, delta, s)
                name = f"{method}@{s:g}"
                with mixed_precision(study.profile.precision):
                    row, forget_now = _scores(model, tok, study, before, tau)
                    known = before.loc["forget"].astype(bool)
                    lost = [
                        r
                        for r in study.bench["forget"]
                        if known.get(r["id"], False) and not forget_now[r["id"]]
                    ]
                    row |= _recoverability(model, tok, study, lost, used, base_ref, ladder)
                    attrs = contributions(
                        model,
                        tok,
                        list(prompts.values()),
                        answer=attr_settings["answer"],
                        span=lambda r: _ablated(r, attr_settings["mc_span"]),
                        token_budget=TOKEN_BUDGET,
                        batch_size=study.profile.attribution_batch_size,
                        desc=f"{study.bench.name}: {name}",
                    )
                now = tracking.attribution_rows(
                    list(prompts.values()),
                    attrs,
                    name,
                    attr_settings["alpha"],
                    attr_settings["beta"],
                )
                attributed += now
                rows.append(
                    {"method": method, "strength": s, "attack": used, **row}
                    | _measures(original, now, name)
                )
            del model
            write_table(out / "frontier.csv", pd.DataFrame(rows))
            write_jsonl(out / "frontier_contributions.jsonl", attributed)
            records.finish_stage(
                out,
                "frontier_config.json",
                key,
                files=files,
                cache_dir=study.cache_dir,
                seconds=round(time.perf_counter() - start, 1),
            )
        points.append(read_table(out / "frontier.csv"))
    if not points:
        raise ParameterError("methods names no method")
    return FrontierResult(method_list, levels, pd.concat(points, ignore_index=True))
