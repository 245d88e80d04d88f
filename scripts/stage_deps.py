"""Write make's list of the result files a finished stage stands for: ``python
scripts/stage_deps.py STAMP [--exclude TEXT] PATTERN ...``.

``STAMP`` is the Makefile's stamp of a stage notebook that ran to the end (``.cache/make/
<profile>/<stage>-<benchmark>.done``); each ``PATTERN`` (a glob) matches stage records that
:func:`unpactlib.records.finish_stage` wrote (``config.json``, ``recovery_config.json`` ...); a
pattern may match none (a record the stage writes only with some parameters), but one of them
must match.
The file ``STAMP.d`` (read by the Makefile's ``-include``) makes the stamp depend on every
record and on every result file a record lists, each with an empty rule, the way a compiler's
``-MP`` dependency files do. So make runs the stage again when one of them is deleted (the
empty rule counts as an update) or rewritten after the stamp, and skips it otherwise. Records
whose path contains an ``--exclude`` text are left out (the unlearning stage's
``<benchmark>__*__s0/config.json`` matches the target's record too).

make only compares times; the hashes are checked by the stage notebook itself
(:func:`unpactlib.records.stage_done`) whenever make runs it. The file is written atomically.
"""

from __future__ import annotations

import glob
import json
import os
import sys
from pathlib import Path


def stage_files(records: list[Path]) -> list[Path]:
    """Each record, followed by the result files it lists (names relative to its folder)."""
    files: list[Path] = []
    for record in records:
        files.append(record)
        listed = json.loads(record.read_text())["files"]
        files.extend(record.parent / name for name in sorted(listed))
    return files


def dependency_text(stamp: str, files: list[Path]) -> str:
    """Make rules: ``stamp`` depends on ``files``, and each file has an empty rule."""
    lines = [f"# written by scripts/stage_deps.py: the results {stamp} stands for", f"{stamp}: \\"]
    lines += [f"  {f} \\" for f in files]
    lines.append("")
    lines += [f"{f}:" for f in files]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    if not argv or argv[0].startswith("-"):
        print(__doc__.split("\n\n")[0], file=sys.stderr)
        return 2
    stamp, rest = argv[0], argv[1:]
    excluded: list[str] = []
    while len(rest) >= 2 and rest[0] == "--exclude":
        excluded.append(rest[1])
        rest = rest[2:]
    matched = sorted({m for pattern in rest for m in glob.glob(pattern)})
    records = [Path(m) for m in matched if not any(text in m for text in excluded)]
    if not records:
        print(f"stage_deps.py: no stage record matches {' '.join(rest)}", file=sys.stderr)
        return 1
    target = Path(f"{stamp}.d")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(dependency_text(stamp, stage_files(records)))
    os.replace(tmp, target)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
