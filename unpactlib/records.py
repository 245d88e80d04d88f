"""Stage records and this machine's stamps: how a stage knows its results are done.

A stage writes its result files into a run folder, then a *record* (``config.json``,
``attribution_config.json``, ...) that holds the stage's input key and the SHA-256 of every
result file, then a *stamp* of that record in the cache folder. The record changes only when
the results do; what differs between runs (wall time, versions, device) goes to
``provenance.json`` beside it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

from .paths import default_cache_dir
from .results import environment, read_json, write_json

PROVENANCE = "provenance.json"  # a stage's wall time and software: the one file runs differ in


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes (hex)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def stamp_folder(cache_dir: Path | str | None = None) -> Path:
    """Where this machine's stamps of finished stages live: a stage that did work (rather than
    find its results done) leaves a new or rewritten stamp there."""
    return Path(cache_dir or default_cache_dir()) / "stages"


def _stamp(folder: Path, name: str, cache_dir: Path | str | None) -> Path:
    """This machine's note that it finished the stage recorded in ``folder/name``."""
    where = str((Path(folder) / name).resolve())
    digest = hashlib.sha256(where.encode()).hexdigest()[:20]
    return stamp_folder(cache_dir) / f"{digest}.json"


def _as_json(key: dict) -> object:
    return json.loads(json.dumps(key, default=str))


def _intact(folder: Path, files: dict[str, str]) -> bool:
    """True when ``files`` (a record's result files and their SHA-256) is not empty and every
    one of them exists in ``folder`` with that digest."""
    return bool(files) and all(file_digest(Path(folder) / f) == d for f, d in files.items())


def stage_done(folder: Path, name: str, key: dict, cache_dir: Path | str | None = None) -> bool:
    """True when the stage recorded in ``folder/name`` is finished, for the same inputs, on
    this machine, and its result files are intact.

    A stage counts as done only when all of these hold (else it runs again and overwrites):

    * its record (written last by :func:`finish_stage`) parses and holds the same ``key``;
    * every result file the record lists exists with the SHA-256 it had when the stage ended,
      so a truncated, damaged or half-copied file is recomputed, never read as data;
    * the cache folder holds this machine's stamp of that very record. Results committed to
      git carry no stamp, so a fresh clone recomputes them, and a second run on the same
      machine skips them.
    """
    try:
        record = read_json(Path(folder) / name)
        if record.get("key") != _as_json(key):
            return False
        if not _intact(folder, record["files"]):
            return False
        stamp = read_json(_stamp(folder, name, cache_dir))
        return stamp["record"] == file_digest(Path(folder) / name)
    except (OSError, ValueError, AttributeError, KeyError, TypeError):
        return False


def superset_record(folder: Path, name: str, key: dict, field: str = "ids") -> dict | None:
    """The key of the record in ``folder/name`` when it was made for inputs that equal
    ``key`` except that their list ``field`` holds every item of ``key[field]`` and more, and
    its result files are intact (the SHA-256 it lists), whichever machine wrote it; else None.
    """
    try:
        record = read_json(Path(folder) / name)
        stored, wanted = record["key"], _as_json(key)
        if {**stored, field: wanted[field]} != wanted:
            return None
        if not set(map(str, wanted[field])) < set(map(str, stored[field])):
            return None
        return stored if _intact(folder, record["files"]) else None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def stage_covers(
    folder: Path, name: str, key: dict, cache_dir: Path | str | None = None, field: str = "ids"
) -> bool:
    """True when the stage recorded in ``folder/name`` is done (:func:`stage_done`) for inputs
    that equal ``key`` except that their list ``field`` holds every item of ``key[field]``
    and maybe more: a run over a subset of the items can read those results instead of
    computing them again (and overwriting the larger set)."""
    if stage_done(folder, name, key, cache_dir):
        return True
    stored = superset_record(folder, name, key, field)
    return stored is not None and stage_done(folder, name, stored, cache_dir)


def finish_stage(
    folder: Path,
    name: str,
    key: dict,
    files: Sequence[str],
    cache_dir: Path | str | None = None,
    seconds: float | None = None,
    **extra: object,
) -> None:
    """Close a stage: write its record, then this machine's stamp of it.

    Call it after every result file is written. The record holds the input ``key``, the
    SHA-256 of each of ``files`` (names in ``folder``) and ``extra``; it changes only when the
    results do, so two runs of the same code write identical records. What does differ
    between runs (``seconds`` of wall time, versions, device, git revision) goes to
    ``provenance.json`` beside it.
    """
    folder = Path(folder)
    digests = {f: file_digest(folder / f) for f in sorted(files)}
    provenance = read_json(folder / PROVENANCE) if (folder / PROVENANCE).exists() else {}
    stage = Path(name).stem
    provenance[stage] = {"environment": environment(), "seconds": seconds}
    write_json(folder / PROVENANCE, provenance)
    write_json(folder / name, {"key": key, "files": digests, **extra})
    stamp = {"record": file_digest(folder / name), "results": folder.name}
    write_json(_stamp(folder, name, cache_dir), stamp)


def stage_seconds(folder: Path, name: str) -> float | None:
    """The wall time :func:`finish_stage` noted for the stage recorded in ``folder/name``."""
    try:
        return read_json(Path(folder) / PROVENANCE)[Path(name).stem]["seconds"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
