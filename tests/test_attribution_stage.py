"""The attribution stage's reuse of stored contributions: a run over fewer prompts on a
fresh cache leaves the larger set another machine wrote as it was."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np

from unpactlib import keys, records
from unpactlib.attribution import Attribution
from unpactlib.stages import attribution as stage


def _prompts(ids: list[str]) -> list[dict]:
    return [{"id": i, "split": "forget", "question": f"Who is {i}?", "answer": i} for i in ids]


def _fake_contributions(score: float, calls: list):
    """A stand-in for the attribution engine: every prompt gets two tokens scored ``score``
    and 0; ``calls`` collects the ids it was asked for."""

    def contributions(model, tok, prompts, **_):
        calls.append([r["id"] for r in prompts])
        return [
            Attribution(
                r["question"],
                "x",
                ["Who", "is"],
                [1, 2],
                [(0, 3), (4, 6)],
                np.array([score, 0.0]),
                -1.0,
                [0, 1],
            )
            for r in prompts
        ]

    return contributions


def _study(cache: Path) -> SimpleNamespace:
    return SimpleNamespace(
        cache_dir=cache,
        device="cpu",
        profile=SimpleNamespace(attribution_batch_size=2),
        bench=SimpleNamespace(name="news"),
    )


def _settings(ids: list[str]) -> dict:
    return {"alpha": 0.5, "beta": 1, "answer": "gold", "mc_span": "stem", "ids": ids}


def test_a_smaller_run_on_a_fresh_cache_keeps_the_larger_set(tmp_path, monkeypatch):
    folder = tmp_path / "news__target__s0"
    folder.mkdir()
    model = Path("target-model")
    load = lambda path, device: (None, None)  # noqa: E731
    calls: list = []
    everything, few = ["a", "b", "c", "d"], ["b", "d"]

    # the full set, written on another machine (say, committed to git)
    monkeypatch.setattr(stage, "contributions", _fake_contributions(1.0, calls))
    once = (_prompts(everything), _settings(everything), 0.5, 1)
    stage._attribute_once(_study(tmp_path / "elsewhere"), folder, "original", model, load, *once)
    written = {
        f: (folder / f).read_bytes() for f in ("contributions.jsonl", "attribution_config.json")
    }

    # a run over two of the prompts on a fresh cache computes those two, writes nothing
    monkeypatch.setattr(stage, "contributions", _fake_contributions(2.0, calls))
    once = (_prompts(few), _settings(few), 0.5, 1)
    fresh = _study(tmp_path / "fresh")
    rows = stage._attribute_once(fresh, folder, "original", model, load, *once)

    assert calls == [everything, few]
    assert [r["id"] for r in rows] == few and all(r["scores"][0] == 2.0 for r in rows)
    assert {f: (folder / f).read_bytes() for f in written} == written
    # on the machine that wrote the larger set, the same run reads it instead
    rows = stage._attribute_once(
        _study(tmp_path / "elsewhere"), folder, "original", model, load, *once
    )
    assert calls == [everything, few] and all(r["scores"][0] == 1.0 for r in rows)
    # the larger set is not this machine's: a full run here computes every prompt again
    key = keys.attribution_record(model.name, _settings(everything))
    assert not records.stage_done(folder, "attribution_config.json", key, tmp_path / "fresh")
