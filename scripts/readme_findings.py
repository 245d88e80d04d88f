"""Write the study's answer into README.md, between the findings markers.

The three lines are :func:`unpactlib.claims.headline` on the committed results (the first
page's answer), so the README states what the book finds without typing a number by hand.
``make reproduce`` runs this on the embedded profile before it builds the book; ``--check``
exits 1 when README.md is stale.

    python scripts/readme_findings.py [--profile embedded] [--check]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from unpactlib import claims
from unpactlib.paths import REPO_ROOT, RESULTS_DIR

START = "<!-- findings: written by scripts/readme_findings.py from data/results -->"
END = "<!-- /findings -->"
PARTS = {
    "key words": "Key words (claim 1)",
    "recovery": "Recovery (claim 2)",
    "forgetting": "Forgetting (claim 3)",
}


def block(root: Path, profile: str, seed: int = 0, template: str = "key_line") -> str:
    """The findings block: the markers around one bullet per part of the headline."""
    inputs = claims.collect(root, profile, seed=seed, template=template)
    answer = claims.headline(inputs, claims.judge(inputs, seed=seed), seed=seed)
    lines = [f"- **{PARTS[part]}.** {answer[part]}" for part in PARTS]
    return "\n".join([START, *lines, END])


def replace_block(readme: str, new: str) -> str:
    """``readme`` with the text from START to END replaced by ``new``."""
    head, sep, rest = readme.partition(START)
    if not sep or END not in rest:
        raise ValueError(f"README.md lacks the findings markers {START!r} ... {END!r}")
    return head + new + rest.split(END, 1)[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="embedded")
    parser.add_argument("--check", action="store_true", help="exit 1 when README.md is stale")
    args = parser.parse_args(argv)
    path = REPO_ROOT / "README.md"
    old = path.read_text()
    new = replace_block(old, block(RESULTS_DIR, args.profile))
    if args.check:
        if new != old:
            print("README.md's findings are stale: run python scripts/readme_findings.py")
            return 1
        return 0
    path.write_text(new)
    return 0


if __name__ == "__main__":
    sys.exit(main())
