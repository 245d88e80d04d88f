"""The Methods page (book/methods.md) agrees with the code and the notebooks, and the
repository refers to no file outside itself.

The notebooks are read at test time, so a parameter added, renamed or given another default
in a stage notebook fails here until the page's table says the same.
"""

from __future__ import annotations

import ast
import inspect
import json
import re
import subprocess
from pathlib import Path

import pytest

from unpactlib.attribution import key_tokens
from unpactlib.config import PROFILES, TargetConfig
from unpactlib.paths import REPO_ROOT
from unpactlib.recovery import probab_tokens
from unpactlib.unlearn import METHODS

PAGE = REPO_ROOT / "book" / "methods.md"
STAGE_NOTEBOOKS = (
    "01_target",
    "02_unlearn",
    "03_attribution",
    "04_recovery",
    "09_ladder",
    "10_frontier",
)
OUTSIDE_FILES = ("STUDY" + ".md", "ENVIRONMENT" + ".md")  # not spelled out: this file is exempt


def notebook_parameters(path: Path) -> dict[str, object]:
    """``name -> default`` of the cell tagged ``parameters`` (``name: type = value  # ...``)."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    tagged = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, f"{path.name}: expected one cell tagged 'parameters'"
    source = "".join(tagged[0]["source"])
    params = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.AnnAssign | ast.Assign) and node.value is not None:
            target = node.target if isinstance(node, ast.AnnAssign) else node.targets[0]
            params[target.id] = ast.literal_eval(node.value)
    assert params, f"{path.name}: the parameters cell defines nothing"
    return params


def page_section(text: str, heading: str) -> str:
    """The text under the Markdown heading ``heading`` up to the next heading of any level."""
    match = re.search(rf"^#+ +{re.escape(heading)} *\n(.*?)(?=^#+ |\Z)", text, re.M | re.S)
    assert match, f"book/methods.md has no section {heading!r}"
    return match.group(1)


def table_rows(section: str) -> list[list[str]]:
    """Cells of a Markdown table's body rows (header and separator dropped), backticks off."""
    rows = [line.strip() for line in section.splitlines() if line.strip().startswith("|")]
    body = [r for r in rows[2:] if not set(r) <= set("|-: ")]
    return [[c.strip().strip("`") for c in r.strip("|").split("|")] for r in body]


def table_header(section: str) -> list[str]:
    first = next(line for line in section.splitlines() if line.strip().startswith("|"))
    return [c.strip().strip("`") for c in first.strip().strip("|").split("|")]


@pytest.fixture(scope="module")
def page() -> str:
    return PAGE.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", STAGE_NOTEBOOKS)
def test_every_notebook_parameter_is_on_the_page_with_its_default(page, name):
    params = notebook_parameters(REPO_ROOT / "notebooks" / f"{name}.ipynb")
    rows = table_rows(page_section(page, name))
    documented = {r[0]: r[1] for r in rows}
    missing = sorted(set(params) - set(documented))
    assert not missing, f"{name}: parameters not on book/methods.md: {missing}"
    stale = sorted(set(documented) - set(params))
    assert not stale, f"{name}: book/methods.md lists parameters the notebook lacks: {stale}"
    for param, default in params.items():
        written = ast.literal_eval(documented[param])
        assert written == default and type(written) is type(default), (
            f"{name}: {param} defaults to {default!r}, book/methods.md says {documented[param]}"
        )


def test_key_token_defaults_match_the_page(page):
    for fn in (key_tokens, probab_tokens):
        sig = inspect.signature(fn).parameters
        assert sig["alpha"].default == 0.5 and sig["beta"].default == 3, fn.__name__
    assert "α = 0.5" in page and "β = 3" in page
    assert "α_ProbAb = 0.5" in page and "β_ProbAb = 3" in page


def test_embedded_unlearning_settings_match_the_config(page):
    """One row per UnlearnConfig field (``name`` or ``name (symbol)``), one column per method;
    "–" where the method does not read the field."""
    section = page_section(page, "Settings of the `embedded` profile")
    methods = table_header(section)[1:]
    assert set(methods) == set(METHODS)
    profile = PROFILES["embedded"]
    for benchmark in ("news", "books", "wmdp"):
        for row in table_rows(section):
            field = row[0].split()[0]
            for method, cell in zip(methods, row[1:]):
                if cell != "–":
                    cfg = profile.unlearn_config(benchmark, method)
                    assert float(cell) == getattr(cfg, field), (benchmark, method, field)


def test_target_settings_match_the_config(page):
    rows = table_rows(page_section(page, "The target model"))
    embedded = PROFILES["embedded"].target
    assert {r[0] for r in rows} == set(TargetConfig.__dataclass_fields__)

    def read(text: str, like: object) -> object:
        if isinstance(like, bool):
            return {"true": True, "false": False}[text.lower()]
        return text if isinstance(like, str) else float(text)

    for setting, default, value in rows:
        assert read(default, getattr(TargetConfig(), setting)) == getattr(TargetConfig(), setting)
        assert read(value, getattr(embedded, setting)) == getattr(embedded, setting), setting


def test_methods_page_is_in_the_table_of_contents():
    toc = (REPO_ROOT / "_toc.yml").read_text(encoding="utf-8")
    assert re.search(r"^\s*-?\s*file: book/methods\s*$", toc, re.M)


def test_no_file_refers_to_files_outside_the_repository():
    """Nothing tracked (or about to be) points a reader at a file the repository lacks."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=REPO_ROOT,
            capture_output=True,
            check=True,
        ).stdout.decode()
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    this = Path(__file__).resolve()
    hits = []
    for name in filter(None, listed.split("\0")):
        path = REPO_ROOT / name
        if path.resolve() == this or not path.is_file():
            continue
        data = path.read_bytes()
        for outside in OUTSIDE_FILES:
            if outside.encode() in data:
                lines = data.decode("utf-8", "replace").splitlines()
                hits += [f"{name}:{i}" for i, line in enumerate(lines, 1) if outside in line]
    assert not hits, "references to files outside the repository: " + ", ".join(hits)
