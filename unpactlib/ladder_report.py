"""Examples from the recovery ladder's tables, as the ladder page shows them: one item per
attack, and F4, one item per method with every attack's answer.

A ladder table (``ladder.csv`` of one method, :func:`unpactlib.stages.run_ladder`) has one
row per lost item and model (``unlearned``, ``target``, ``base``): per attack a correctness
column (``True``/``False``, NaN where the attack was not asked) and, where the attack gives
one answer, ``"<attack> answer"``; ``question`` is the plain question.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

EXAMPLE_COLUMNS = ["attack", "method", "question", "gold", "target", "unlearned", "attacked"]


def _by_model(table: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return {m: part.set_index("id") for m, part in table.groupby("model")}


def _said(row: pd.Series, attack: str) -> str:
    """The answer an attack got from one model (empty where the table keeps none)."""
    said = row.get(f"{attack} answer", "")
    return "" if pd.isna(said) else str(said)


def _hit(row: pd.Series, attack: str) -> bool | None:
    value = row.get(attack)
    return None if value is None or pd.isna(value) else bool(value)


def attack_examples(
    tables: Mapping[str, pd.DataFrame],
    prompts: Mapping[str, dict],
    attacks: Sequence[str],
) -> pd.DataFrame:
    """One lost item per attack: the first item (over the methods, in order) that the
    attack recovered on the unlearned model and that no earlier attack's row shows, else
    the first such item it did not recover, else any. Columns :data:`EXAMPLE_COLUMNS` and
    ``recovered`` (None where the attack was not asked).

    Args:
        tables: ladder tables by method.
        prompts: the forget items as prompt/answer pairs by id (``bench.prompts("forget")``).
        attacks: the attack columns to show.
    """
    rows, used = [], set()
    for attack in attacks:
        found = None
        for method, table in tables.items():
            by = _by_model(table)
            if "unlearned" not in by or attack not in by["unlearned"]:
                continue
            hits = by["unlearned"][attack].dropna().astype(bool)
            fresh = [i for i in hits.index if i not in used]
            order = [i for i in fresh if hits[i]] + fresh + list(hits.index)
            if order and (found is None or hits[order[0]]):
                found = (method, order[0], by)
                if hits[order[0]]:
                    break
        if found is None:
            continue
        method, item, by = found
        used.add(item)
        unlearned = by["unlearned"].loc[item]
        rows.append(
            {
                "attack": attack,
                "method": method,
                "question": prompts[item]["question"],
                "gold": prompts[item]["answer"],
                "target": _said(by["target"].loc[item], "question") if "target" in by else "",
                "unlearned": _said(unlearned, "question"),
                "attacked": _said(unlearned, attack),
                "recovered": _hit(unlearned, attack),
            }
        )
    return pd.DataFrame(rows, columns=[*EXAMPLE_COLUMNS, "recovered"]).set_index("attack")


def method_examples(
    tables: Mapping[str, pd.DataFrame],
    prompts: Mapping[str, dict],
    attacks: Sequence[str],
) -> pd.DataFrame:
    """F4: one lost item per method, a different item for each method where it has one (the
    item that the most attacks recovered on that method's unlearned model, the first of
    those in table order), with the gold answer, the target's and the unlearned model's
    answers to the plain question, and per attack ``"✓ answer"`` (recovered), ``"✗ answer"``
    (not recovered) or ``""`` (not asked); an attack that keeps no answer shows the mark
    alone. Methods that lost no item are left out.
    """
    rows, used = [], set()
    for method, table in tables.items():
        by = _by_model(table)
        if "unlearned" not in by or not len(by["unlearned"]):
            continue
        unlearned = by["unlearned"]
        shown = [a for a in attacks if a in unlearned]
        recovered = unlearned[shown].fillna(False).astype(bool).sum(axis=1)
        fresh = [i for i in unlearned.index if i not in used] or list(unlearned.index)
        item = max(fresh, key=lambda i: (recovered[i], -fresh.index(i)))
        used.add(item)
        row = unlearned.loc[item]
        out = {
            "method": method,
            "question": prompts[item]["question"],
            "gold": prompts[item]["answer"],
            "target": _said(by["target"].loc[item], "question") if "target" in by else "",
            "unlearned": _said(row, "question"),
        }
        for attack in attacks:
            hit = _hit(row, attack) if attack in row else None
            mark = "" if hit is None else ("✓" if hit else "✗")
            out[attack] = f"{mark} {_said(row, attack)}".strip()
        rows.append(out)
    columns = ["method", "question", "gold", "target", "unlearned", *attacks]
    return pd.DataFrame(rows, columns=columns).set_index("method")


def ladder_finding(net: pd.DataFrame, methods: Sequence[str], benchmark: str) -> str:
    """The ladder page's opening sentences: per method, its attack of largest net recovery
    (the unlearned model's share of the lost items answered under the attack minus the base
    model's) with its interval, and the methods for which some attack's interval lies above
    zero (each attack on its own; the claims page corrects for the number of attacks).

    Args:
        net: one row per method and attack with ``n`` (lost items asked), ``net``, ``low``,
            ``high`` (shares), as :func:`unpactlib.stages.run_ladder` gives it.
        methods: the methods, in the order to name them.
        benchmark: the benchmark's name, for the sentence.
    """
    best, above, none = [], [], []
    for method in methods:
        part = net[(net.method == method) & (net.n > 0)]
        if not len(part):
            none.append(method)
            continue
        row = part.loc[part.net.idxmax()]
        best.append(
            f"{method}: {row.attack}, {100 * row.net:+.0f} pp [{100 * row.low:+.0f}, "
            f"{100 * row.high:+.0f}]"
        )
        if (part.low > 0).any():
            above.append(method)
    if not best:
        return f"On {benchmark} no method lost a forget item the target knew: nothing to recover."
    text = (
        f"On {benchmark}, the strongest attack per method, net of the base model: "
        f"{'; '.join(best)}. "
    )
    if above:
        text += (
            f"For {len(above)} of {len(best)} methods ({', '.join(above)}) some attack's "
            "interval lies above zero."
        )
    else:
        text += f"For none of the {len(best)} methods does any attack's interval lie above zero."
    if none:
        text += f" No lost item: {', '.join(none)}."
    return text
