"""Numbers typed by hand in the book's prose.

Every number a page states about the study is glued from its results (``{glue:text}`` and
the other glue roles), so it changes when the results change. This script finds the numbers
that are not: a *stray number* is a run of digits in the markdown of a page's source (the
``book/*.md`` pages and the markdown cells of ``notebooks/*.ipynb``) that is not inside

- a glue role, a cross-reference role (``{doc}``, ``{ref}``, ``{numref}``) or inline code;
- inline or display math (``$...$``, ``$$...$$``);
- a table row (a line that starts with ``|``) or a directive's options (``:width: 80%``);
- a link's target, or a name that starts with a letter (``T1``, ``RQ2``, ``bf16``,
  ``SmolLM2-135M-Instruct``, ``F4``): names, not measurements;
- a line that :data:`ALLOWED` names, each with its reason (a year in a citation, the
  paper's arXiv number, a definition's constant).

    python scripts/prose_numbers.py          # one line per stray number; exit 1 if any
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]

# Lines that may hold a typed number: (page, a substring of the line, why). A page is a path
# relative to the repository root.
CITATION = "a citation: the paper's year and arXiv number, or a cited work's year"
FORMULA = "a formula's constants, not a measurement"
DEFINITION = "a constant of a definition or a default setting, stated where it is defined"
INTERVAL = "the confidence level of the intervals, a definition"
ALLOWED: list[tuple[str, str, str]] = [
    ("book/methods.md", "[arXiv 2509.24675]", CITATION),
    ("book/methods.md", "chance is 25 %", "four options: chance, a property of the format"),
    ("book/methods.md", "rows of at most 1024 tokens", DEFINITION),
    ("book/methods.md", "all n + 1 prompts separately", FORMULA),
    ("book/methods.md", "**α = 0.5** and **β = 3**", DEFINITION),
    ("book/methods.md", "C > 0 before and C ≤ 0 after", FORMULA),
    ("book/methods.md", "unlearning, 1 when both are empty", FORMULA),
    ("book/methods.md", "at most **32 new tokens**", DEFINITION),
    ("book/methods.md", "at least **τ = 0.5**", DEFINITION),
    ("book/methods.md", "a–z and 0–9 a separator", "a character class of the tokenizer"),
    ("book/methods.md", "at most 48 new", DEFINITION),
    ("book/methods.md", "NaN when the denominator is 0", FORMULA),
    ("book/methods.md", "ROUGE-L recall 1, so", FORMULA),
    ("book/methods.md", "α_ProbAb = 0.5 and β_ProbAb = 3", DEFINITION),
    ("book/methods.md", "(0: the most likely)", DEFINITION),
    ("book/methods.md", "(0 is the target, 1 the unlearned model)", DEFINITION),
    ("notebooks/10_frontier.ipynb", "*s* = 0 is the target, *s* = 1 the unlearned", DEFINITION),
    ("book/methods.md", "betas (0.9, 0.999)", DEFINITION),
    ("book/methods.md", "ε 1e-8, weight decay 0.01", DEFINITION),
    ("book/methods.md", "(2/b) · mean softplus", FORMULA),
    ("book/methods.md", "uniform on [0, 1)^d", FORMULA),
    ("book/methods.md", "scaled to norm 1)", FORMULA),
    ("book/methods.md", "attention mask 1 (chat template", FORMULA),
    ("book/methods.md", "of layers l − 2 … l", FORMULA),
    ("book/methods.md", "(layers 5, 6 and 7 of SmolLM2-135M's 30", "the model's architecture"),
    ("book/methods.md", "cut at 256 tokens", DEFINITION),
    ("book/methods.md", "weight decay 0). With", DEFINITION),
    ("book/methods.md", "With `interpolate` below 1", DEFINITION),
    ("book/methods.md", "2022), and the stop rule", CITATION),
    ("book/methods.md", "**95 % Wilson score interval**", INTERVAL),
    ("book/methods.md", "the 97.5 % normal quantile", FORMULA),
    ("book/methods.md", "(p + z²/2n ± z", FORMULA),
    ("book/methods.md", "0/n gives 0 to z²/(n + z²)", FORMULA),
    ("book/methods.md", "n/(n + z²) to 1", FORMULA),
    ("book/methods.md", "(1998) hybrid score interval", CITATION),
    ("book/methods.md", "95 % percentile interval from 2,000 resamples", DEFINITION),
    ("book/methods.md", "√((1 + ρ²/2)/(n − 3))", FORMULA),
    ("notebooks/00_benchmarks.ipynb", "keep at least 90 % of the base model", "the study's aim"),
    ("notebooks/03_attribution.ipynb", "replaced by id 0, not deleted", DEFINITION),
    ("notebooks/04_recovery.ipynb", "with its 95 % Wilson score interval", INTERVAL),
    ("notebooks/06_reproduce.ipynb", "Python 3.11", "the Python version the set-up needs"),
    ("notebooks/06_reproduce.ipynb", "exit status 0 when", "an exit status"),
    ("notebooks/06_reproduce.ipynb", "the reasons and exit status 1", "an exit status"),
    ("notebooks/06_reproduce.ipynb", "the plain batched forward of all n + 1", FORMULA),
    ("notebooks/09_ladder.ipynb", "quantised to 8 or 4 bits", "the attacks' names: int8, int4"),
    ("notebooks/09_ladder.ipynb", "paired 95 % interval", INTERVAL),
]

# what is removed before digits are looked for, in this order
_MASKS = [
    re.compile(r"\{(glue|glue:text|glue:md|glue:figure|glue:any|doc|ref|numref|eq)\}`[^`]*`"),
    re.compile(r"``[^`]+``|`[^`]*`"),
    re.compile(r"\$\$.*?\$\$|\$[^$\n]+\$"),
    re.compile(r"\]\([^)]*\)"),  # a link's target; its text is prose
    re.compile(r"https?://\S+"),
    re.compile(r"\(\{?[a-z]+:[^)]*\)"),
    # a name: letters first, then letters, digits, hyphens, dots or underscores
    re.compile(r"(?<![\w.])[A-Za-z][\w.\-]*\d[\w\-]*"),
    re.compile(r"<[^>]+>"),  # HTML tags and their attributes
    re.compile(r"\b\d+_\w+"),  # a notebook's name (01_target)
    re.compile(r"\b\d+(?:\.\d+)?[BM]\b"),  # a model's size in parameters (7B, 135M)
    re.compile(r"^\s*\d+\.\s"),  # an ordered list's marker
]
_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")


@dataclass(frozen=True)
class Stray:
    """One hand-typed number: the page, the line's number in the page's markdown, the line."""

    page: str
    line_no: int
    number: str
    line: str

    def __str__(self) -> str:
        return f"{self.page}:{self.line_no}: {self.number!r} in {self.line.strip()[:100]!r}"


def stray_numbers(markdown: str, page: str = "", allowed=ALLOWED) -> list[Stray]:
    """The stray numbers of one page's markdown (see the module's docstring)."""
    out: list[Stray] = []
    fence = ""
    in_math = False
    for no, line in enumerate(markdown.splitlines(), start=1):
        stripped = line.strip()
        if fence:
            if stripped.startswith(fence):
                fence = ""
            continue
        match = re.match(r"(`{3,}|~{3,})", stripped)
        if match:  # a code block or a directive (figures, tables, notes)
            fence = match.group(1)
            continue
        if stripped.startswith("$$"):
            in_math = not (stripped.endswith("$$") and len(stripped) > 2) and not in_math
            continue
        if in_math:
            continue
        if stripped.startswith("|") or re.match(r":[\w-]+:", stripped):
            continue
        if any(page == p and text in line for p, text, _ in allowed):
            continue
        masked = line
        for mask in _MASKS:
            masked = mask.sub(" ", masked)
        for number in _DIGITS.findall(masked):
            out.append(Stray(page, no, number, line))
    return out


def notebook_markdown(path: Path) -> str:
    """The markdown cells of a notebook, one after another."""
    cells = json.loads(path.read_text())["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


def page_sources(root: Path = REPO_ROOT) -> dict[str, str]:
    """Every page's markdown by its path: ``book/*.md`` and the notebooks' markdown cells."""
    sources = {str(p.relative_to(root)): p.read_text() for p in sorted(root.glob("book/*.md"))}
    for nb in sorted((root / "notebooks").glob("*.ipynb")):
        sources[str(nb.relative_to(root))] = notebook_markdown(nb)
    return sources


def all_strays(root: Path = REPO_ROOT) -> list[Stray]:
    """The stray numbers of every page."""
    return [s for page, text in page_sources(root).items() for s in stray_numbers(text, page)]


def main() -> int:
    strays = all_strays()
    for stray in strays:
        print(stray)
    print(f"{len(strays)} stray numbers", file=sys.stderr)
    return 1 if strays else 0


if __name__ == "__main__":
    sys.exit(main())
