"""The verdict rules: does our measurement agree with each of the paper's three claims?

Each rule takes tidy per-prompt (or per-item) measurements, tests an effect against its
baseline with an interval that resamples source documents
(:func:`unpactlib.stats.cluster_bootstrap`; the same item under six methods is one document,
not six), and returns a :class:`Verdict`:
``"agrees"``, ``"partly"``, ``"does not"`` or, where the measurement cannot decide,
``"inconclusive"``. Signs are part of every rule: an effect in the wrong direction never
supports a claim. The rules were written down before the results they judge; the book's claims
page states them as they are here.

Input tables carry a ``cluster`` column: the unit that is resampled, usually
``"<benchmark>/<document id>"`` (utility items, which are the same on every benchmark, are
their own clusters).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .stats import cluster_bootstrap, paired, pooled_rate, spearman

VERDICTS = ("agrees", "partly", "does not", "inconclusive")
CONFIDENCE = 0.95
# RQ2: the share of lost items an emphasis probe must bring back to count as "much of the
# forgotten knowledge" (the paper's wording); below it, a probe that beats its control
# counts as partial support.
MUCH = 0.25
# RQ2: the positive control. The target (before unlearning) must answer at least this share
# of the emphasis prompts correctly; otherwise the prompts themselves block answers and a
# failure to recover says nothing.
POSITIVE_CONTROL_MIN = 0.8
# RQ3: the significance level of the rank correlation between token contributions and damage.
ALPHA = 0.05


@dataclass(frozen=True)
class Effect:
    """A mean effect with its 95 % cluster-bootstrap interval and the count behind it."""

    estimate: float
    low: float
    high: float
    n: int  # rows
    clusters: int  # distinct clusters resampled

    @property
    def below_zero(self) -> bool:
        """The whole interval lies below zero."""
        return bool(self.high < 0)

    @property
    def above_zero(self) -> bool:
        """The whole interval lies above zero."""
        return bool(self.low > 0)

    def text(self, unit: str = "", digits: int = 3) -> str:
        """``+0.123 [+0.045, +0.201] nats (n = 96 prompts, 32 documents)``."""
        u = f" {unit}" if unit else ""
        return (
            f"{self.estimate:+.{digits}f} [{self.low:+.{digits}f}, {self.high:+.{digits}f}]{u} "
            f"(n = {self.n}, {self.clusters} clusters)"
        )


@dataclass(frozen=True)
class Verdict:
    """One claim's verdict, the numbers that decided it and the rule's reason in words."""

    claim: str  # "RQ1", "RQ2", "RQ3"
    verdict: str  # one of VERDICTS
    reason: str  # which branch of the rule fired, with its numbers
    effects: dict[str, Effect] = field(default_factory=dict)
    numbers: dict[str, float] = field(default_factory=dict)


def mean_effect(values: Sequence[float], clusters: Sequence[object], seed: int = 0) -> Effect:
    """The mean of ``values`` with its cluster-bootstrap interval (NaN rows dropped)."""
    v = np.asarray(values, dtype=float)
    c = np.asarray(list(clusters), dtype=object)
    keep = ~np.isnan(v)
    v, c = v[keep], c[keep]
    if v.size == 0:
        nan = float("nan")
        return Effect(nan, nan, nan, 0, 0)
    est, low, high = cluster_bootstrap(v, c, seed=seed, confidence=CONFIDENCE)
    return Effect(float(est), float(low), float(high), int(v.size), len(set(c.tolist())))


def difference_effect(
    a: Sequence[float],
    a_clusters: Sequence[object],
    b: Sequence[float],
    b_clusters: Sequence[object],
    seed: int = 0,
) -> Effect:
    """``mean(a) - mean(b)`` for two groups of different documents, with the interval of a
    cluster bootstrap that resamples the documents of both groups together (a group's
    clusters are tagged, so a document of ``a`` never counts for ``b``)."""
    va, vb = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    ca = [("a", x) for x in a_clusters]
    cb = [("b", x) for x in b_clusters]
    values = np.column_stack(
        [np.concatenate([va, vb]), np.concatenate([np.ones(va.size), np.zeros(vb.size)])]
    )
    keep = ~np.isnan(values[:, 0])
    values = values[keep]
    clusters = np.empty(len(ca) + len(cb), dtype=object)
    clusters[:] = ca + cb
    clusters = clusters[keep]

    def diff(rows: np.ndarray) -> float:
        in_a = rows[:, 1] == 1
        if in_a.all() or not in_a.any():
            return float("nan")
        return float(rows[in_a, 0].mean() - rows[~in_a, 0].mean())

    est, low, high = cluster_bootstrap(values, clusters, statistic=diff, seed=seed)
    return Effect(float(est), float(low), float(high), int(len(values)), len(set(clusters)))


def rq1_verdict(forget: pd.DataFrame, retain: pd.DataFrame, seed: int = 0) -> Verdict:
    """RQ1, "unlearning works by breaking the model's focus on the key prompt words".

    Inputs: one row per prompt and unlearned model, columns ``key_change`` (mean contribution
    change, after minus before unlearning, of the prompt's KeyTokens under the original
    model), ``random_change`` (the same for random tokens of the same count on the same
    prompt, averaged over draws) and ``cluster``. ``forget`` holds forget prompts, ``retain``
    the retain-eval prompts of the same runs, which unlearning was not meant to change.

    The effect is ``d = key_change - random_change``: how much more the KeyTokens lose than
    tokens picked at random. KeyTokens are the tokens with the largest contributions before
    unlearning, so they fall further than random tokens under any perturbation (regression
    to the mean); the retain prompts measure that baseline.

    Rule:

    * **agrees**: on forget prompts ``d`` is below zero (its interval too), the KeyTokens'
      own change is below zero, and ``d`` on forget prompts is below ``d`` on retain prompts
      (the interval of the difference below zero): unlearning takes focus off the key words
      of what it removes more than anywhere else;
    * **partly**: on forget prompts ``d`` and the KeyTokens' change are below zero (intervals
      too), but not more than on retain prompts;
    * **does not**: otherwise (the KeyTokens lose no more than random tokens, or gain).
    """
    d_f = mean_effect(forget["key_change"] - forget["random_change"], forget["cluster"], seed)
    key = mean_effect(forget["key_change"], forget["cluster"], seed)
    d_r = mean_effect(retain["key_change"] - retain["random_change"], retain["cluster"], seed)
    vs = difference_effect(
        forget["key_change"] - forget["random_change"],
        forget["cluster"],
        retain["key_change"] - retain["random_change"],
        retain["cluster"],
        seed,
    )
    effects = {"forget": d_f, "key": key, "retain": d_r, "forget - retain": vs}
    if d_f.below_zero and key.below_zero and vs.below_zero:
        verdict = "agrees"
        reason = (
            f"On forget prompts the KeyTokens' change minus that of random tokens of the same "
            f"count was {d_f.text('nats')}; minus the same on retain prompts, {vs.text('nats')}."
        )
    elif d_f.below_zero and key.below_zero:
        verdict = "partly"
        reason = (
            f"On forget prompts the KeyTokens' change minus that of random tokens of the same "
            f"count was {d_f.text('nats')}, but not lower than on retain prompts "
            f"(difference {vs.text('nats')})."
        )
    else:
        verdict = "does not"
        reason = (
            f"On forget prompts the KeyTokens changed by {key.text('nats')}, "
            f"{d_f.text('nats')} against random tokens of the same count: they did not lose "
            f"more than random tokens."
        )
    return Verdict("RQ1", verdict, reason, effects)


def rq2_verdict(
    items: pd.DataFrame,
    positive: tuple[int, int],
    probes: Sequence[str] = ("FocusOnKey", "ProbAb"),
    seed: int = 0,
) -> Verdict:
    """RQ2, "emphasising the key words brings much of the forgotten knowledge back".

    Inputs: one row per forget item lost to unlearning (correct under the target, wrong after)
    and unlearned model, with boolean columns ``<probe>`` and ``<probe> control`` for each of
    ``probes`` (is the answer correct under the probe's prompt, and under its control: random
    words emphasised for FocusOnKey, random words deleted for ProbAb, the same count), and
    ``cluster``. ``positive`` is the positive control: ``(k, n)``, the target's correct
    answers among its ``n`` emphasis prompts.

    The effect of a probe is its recovery minus its control's on the same items (paired),
    with the cluster bootstrap's interval; where every resample gives the same difference
    (e.g. no discordant item) Newcombe's paired interval of the pooled items stands in, so the
    interval never has zero width. The pooled exact McNemar p-value is reported beside it.

    Rule:

    * **inconclusive**: the target answers fewer than :data:`POSITIVE_CONTROL_MIN` of the
      emphasis prompts correctly (the prompts block known answers), or no item was lost;
    * **agrees**: FocusOnKey (the first probe) beats its control (interval of the paired
      difference above zero) and brings back at least :data:`MUCH` of the lost items;
    * **partly**: some probe beats its control, but FocusOnKey does not bring back
      :data:`MUCH`;
    * **does not**: no probe beats its control.
    """
    k, n = positive
    numbers: dict[str, float] = {"positive": k / n if n else float("nan"), "lost": len(items)}
    if not n or k / n < POSITIVE_CONTROL_MIN or items.empty:
        why = (
            "no forget item was lost"
            if items.empty
            else f"the target answers only {k}/{n} of the emphasis prompts correctly"
        )
        return Verdict("RQ2", "inconclusive", f"Inconclusive: {why}.", {}, numbers)
    effects = {}
    for probe in probes:
        x, y = items[probe].astype(bool), items[f"{probe} control"].astype(bool)
        e = mean_effect(x.astype(float) - y.astype(float), items["cluster"], seed)
        pair = paired(x.tolist(), y.tolist(), CONFIDENCE)
        if e.low == e.high:  # every resample alike: Newcombe's paired interval instead
            e = Effect(e.estimate, pair.low, pair.high, e.n, e.clusters)
        effects[probe] = e
        numbers[f"{probe} McNemar p"] = pair.p
        rk, rn, _, _ = pooled_rate(items[probe].astype(bool).tolist(), items["cluster"].tolist())
        numbers[probe] = rk / rn
        numbers[f"{probe} control"] = float(items[f"{probe} control"].astype(float).mean())
    first = probes[0]
    beat = [p for p in probes if effects[p].above_zero]
    if first in beat and numbers[first] >= MUCH:
        verdict = "agrees"
        reason = (
            f"{first} brought back {numbers[first]:.0%} of {len(items)} lost items, "
            f"{effects[first].text(digits=2)} more than its control."
        )
    elif beat:
        verdict = "partly"
        their = "its" if len(beat) == 1 else "their"
        reason = (
            f"{', '.join(beat)} brought back more lost items than {their} "
            f"control ({'; '.join(f'{p}: {effects[p].text(digits=2)}' for p in beat)}), but "
            f"{first} brought back {numbers[first]:.0%}, less than {MUCH:.0%}."
        )
    else:
        verdict = "does not"
        reason = (
            "No probe brought back more lost items than its control ("
            + "; ".join(f"{p}: {effects[p].text(digits=2)}" for p in probes)
            + ")."
        )
    return Verdict("RQ2", verdict, reason, effects, numbers)


def rq3_verdict(prompts: pd.DataFrame, runs: pd.DataFrame, seed: int = 0) -> Verdict:
    """RQ3, "catastrophic forgetting comes from lowering the contribution of every token".

    Inputs: ``prompts`` has one row per retain-eval or utility prompt and unlearned model,
    columns ``function_change`` and ``content_change`` (the mean contribution change, after
    minus before unlearning, of the prompt's function words and of its content words) and
    ``cluster``; ``runs`` has one row per unlearned model, columns ``mean_change`` (the mean
    contribution change of every token of those prompts) and ``destructive`` (its
    destructive rate on retain-eval items).

    Rule:

    * **agrees**: function words and content words both lose contribution (both intervals
      below zero), and runs whose tokens lose more are the runs that destroy more
      (Spearman's rho between ``mean_change`` and ``destructive`` below zero with p < ALPHA);
    * **partly**: both classes lose contribution but the rank correlation is not
      significant; or it is (negative) while the function words lose on average without
      their interval lying below zero;
    * **does not**: otherwise; in particular, function words that gain contribution never
      support the claim.
    """
    f = mean_effect(prompts["function_change"], prompts["cluster"], seed)
    c = mean_effect(prompts["content_change"], prompts["cluster"], seed)
    rho, low, high, p = spearman(runs["mean_change"], runs["destructive"])
    numbers = {"rho": rho, "rho_low": low, "rho_high": high, "p": p, "runs": len(runs)}
    tied = rho < 0 and p < ALPHA
    rho_text = f"Spearman's rho {rho:+.2f} [{low:+.2f}, {high:+.2f}], p = {p:.3f}, {len(runs)} runs"
    both = f.below_zero and c.below_zero
    if both and tied:
        verdict = "agrees"
        reason = (
            f"Function words changed by {f.text('nats')}, content words by {c.text('nats')}; "
            f"runs whose tokens lost more destroyed more ({rho_text})."
        )
    elif both or (tied and f.estimate < 0 and not f.above_zero):
        verdict = "partly"
        reason = (
            f"Function words changed by {f.text('nats')}, content words by {c.text('nats')}; "
            f"token loss and destruction: {rho_text}."
        )
    else:
        verdict = "does not"
        reason = (
            f"Function words changed by {f.text('nats')}, content words by {c.text('nats')}; "
            f"token loss and destruction: {rho_text}."
        )
    return Verdict("RQ3", verdict, reason, {"function": f, "content": c}, numbers)


# The ladder and the frontier (the dilemma issue): constants fixed before their results.
# A point of the frontier forgets when at least this share of the known forget items is lost
# (the lower end of its Wilson interval, so "surely at least half")...
ESCAPE_FORGET = 0.5
# ...is not recoverable when its strongest attack brings back at most this share net of the
# base model (the upper end of its paired interval; the same "much" as RQ2)...
ESCAPE_RECOVERY = MUCH
# ...and does not destroy when at most this share of the known retain-eval items is lost (the
# upper end of its Wilson interval).
ESCAPE_DESTRUCTION = 0.2


def ladder_verdict(
    items: pd.DataFrame, controls: dict[str, float], attacks: Sequence[str], seed: int = 0
) -> Verdict:
    """ "Is the forgotten knowledge still there?": does some attack of the recovery ladder
    bring back lost forget items beyond what it makes the base model get right?

    Inputs: ``items`` has one row per forget item lost to unlearning (correct under the
    target, wrong after) and unlearned model, with boolean columns ``<attack>`` (the
    unlearned model answers correctly under the attack) and ``<attack> base`` (the base
    model, which never saw the facts, does; NaN where the attack did not apply, e.g. no
    paraphrase) for each of ``attacks``, and ``cluster``. ``controls`` maps each attack to
    the target's share of correct answers under it on every forget item (the positive
    control).

    Only attacks whose positive control reaches :data:`POSITIVE_CONTROL_MIN` are judged (an
    attack that stops the target from answering says nothing about the unlearned model).
    The effect of an attack is its net recovery, the mean of ``<attack> - <attack> base``
    over its rows, with the cluster bootstrap's interval; an attack *recovers* when that
    interval lies above zero and its pooled exact McNemar p survives Holm's correction over
    the judged attacks at :data:`ALPHA`.

    Rule:

    * **inconclusive**: no item was lost, or no attack passes its positive control;
    * **agrees** (the knowledge is still there): some attack recovers, with a net recovery
      of at least :data:`MUCH`;
    * **partly**: some attack recovers, each by less than :data:`MUCH`;
    * **does not**: no attack recovers.
    """
    from statsmodels.stats.multitest import multipletests

    judged = [a for a in attacks if controls.get(a, 0.0) >= POSITIVE_CONTROL_MIN]
    numbers: dict[str, float] = {"lost": float(len(items)), "judged": float(len(judged))}
    if items.empty or not judged:
        why = "no forget item was lost" if items.empty else "no attack passed its positive control"
        return Verdict("ladder", "inconclusive", f"Inconclusive: {why}.", {}, numbers)
    effects, p_values = {}, []
    for attack in judged:
        rows = items[["cluster", attack, f"{attack} base"]].dropna()
        x, y = rows[attack].astype(bool), rows[f"{attack} base"].astype(bool)
        effect = mean_effect(x.astype(float) - y.astype(float), rows["cluster"], seed)
        pair = paired(x.tolist(), y.tolist(), CONFIDENCE)
        if effect.n and effect.low == effect.high:  # every resample alike: Newcombe's
            effect = Effect(effect.estimate, pair.low, pair.high, effect.n, effect.clusters)
        effects[attack] = effect
        p_values.append(pair.p if effect.n else 1.0)
        numbers[f"{attack} McNemar p"] = pair.p
    holm = multipletests(p_values, alpha=ALPHA, method="holm")[0]
    recovers = [a for a, ok in zip(judged, holm) if ok and effects[a].above_zero]
    for a in recovers:
        numbers[f"{a} recovers"] = 1.0
    best = max(recovers, key=lambda a: effects[a].estimate) if recovers else None
    if best is not None and effects[best].estimate >= MUCH:
        verdict = "agrees"
        reason = (
            f"{best} brought back {effects[best].text(digits=2)} of the lost items net of "
            f"the base model; attacks that recover: {', '.join(recovers)}."
        )
    elif best is not None:
        verdict = "partly"
        reason = (
            f"Attacks that recover ({', '.join(recovers)}) bring back less than {MUCH:.0%} net "
            f"of the base model; the strongest, {best}: {effects[best].text(digits=2)}."
        )
    else:
        verdict = "does not"
        strongest = max(judged, key=lambda a: np.nan_to_num(effects[a].estimate, nan=-1.0))
        reason = (
            f"No attack brought back more lost items than it makes the base model get right "
            f"(Holm-corrected at {ALPHA}); the largest net: {strongest}, "
            f"{effects[strongest].text(digits=2)}."
        )
    return Verdict("ladder", verdict, reason, effects, numbers)


def frontier_verdict(points: pd.DataFrame) -> Verdict:
    """ "The dilemma": can a method forget without leaving what it forgot recoverable or
    destroying what it should keep?

    Inputs: one row per method and strength (:func:`unpactlib.stages.run_frontier`'s rows),
    with ``forget efficacy low``/``high``, ``net``, ``net low``/``high``, ``retain
    destructive low``/``high``, their point estimates as ``forget efficacy k``/``n`` and
    ``retain destructive k``/``n``, and ``lost``.

    A point *escapes* the dilemma when the lower end of its forget efficacy's interval is at
    least :data:`ESCAPE_FORGET`, the upper end of its strongest attack's net recovery at most
    :data:`ESCAPE_RECOVERY`, and the upper end of its retain-eval destructive rate at most
    :data:`ESCAPE_DESTRUCTION`; it escapes *by its estimates* when the three point estimates
    meet the same bounds.

    Rule (the claim is that the dilemma holds):

    * **inconclusive**: no point surely forgets (every forget efficacy's lower end is below
      :data:`ESCAPE_FORGET`), so the frontier never reaches the region the claim is about;
    * **agrees**: no point escapes, not even by its estimates;
    * **partly**: some point escapes by its estimates, none by its intervals;
    * **does not**: some point escapes by its intervals.
    """
    p = points.copy()
    forget = p["forget efficacy k"] / p["forget efficacy n"].replace(0, np.nan)
    destroy = p["retain destructive k"] / p["retain destructive n"].replace(0, np.nan)
    net = p["net"].where(p["lost"] > 0)
    forgets = p["forget efficacy low"] >= ESCAPE_FORGET
    sure = (
        forgets
        & (p["net high"] <= ESCAPE_RECOVERY)
        & (p["retain destructive high"] <= ESCAPE_DESTRUCTION)
    )
    rough = (forget >= ESCAPE_FORGET) & (net <= ESCAPE_RECOVERY) & (destroy <= ESCAPE_DESTRUCTION)
    numbers = {
        "points": float(len(p)),
        "forgetting": float(forgets.sum()),
        "escape": float(sure.sum()),
        "escape by estimates": float(rough.sum()),
    }

    def named(mask: pd.Series) -> str:
        return ", ".join(f"{r.method} at s = {r.strength:g}" for r in p[mask].itertuples())

    if not forgets.any():
        return Verdict(
            "dilemma",
            "inconclusive",
            f"Inconclusive: no method at any strength surely forgets at least "
            f"{ESCAPE_FORGET:.0%} of the known forget items.",
            {},
            numbers,
        )
    if sure.any():
        verdict, reason = "does not", f"Escapes the dilemma by its intervals: {named(sure)}."
    elif rough.any():
        verdict = "partly"
        reason = f"Escapes by its estimates but not its intervals: {named(rough)}."
    else:
        verdict = "agrees"
        reason = (
            f"No point that forgets is both unrecoverable (net at most {ESCAPE_RECOVERY:.0%}) "
            f"and harmless (retain-eval destruction at most {ESCAPE_DESTRUCTION:.0%})."
        )
    return Verdict("dilemma", verdict, reason, {}, numbers)
