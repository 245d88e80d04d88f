"""The README's findings are the first page's answer on the committed results
(``scripts/readme_findings.py``), rewritten whenever the pages are."""

from __future__ import annotations

import importlib.util

import pytest

from unpactlib.paths import REPO_ROOT, RESULTS_DIR


@pytest.fixture(scope="module")
def rf():
    spec = importlib.util.spec_from_file_location(
        "readme_findings", REPO_ROOT / "scripts" / "readme_findings.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_replace_block_swaps_only_the_text_between_the_markers(rf):
    readme = f"intro\n{rf.START}\nold line\n{rf.END}\n## Two commands\n"
    new = f"{rf.START}\n- new\n{rf.END}"
    assert rf.replace_block(readme, new) == f"intro\n{new}\n## Two commands\n"
    with pytest.raises(ValueError, match="findings markers"):
        rf.replace_block("no markers here", new)


def test_the_readme_states_the_committed_results_answer(rf):
    if not (RESULTS_DIR / "embedded").is_dir():
        pytest.skip("no committed embedded results")
    readme = (REPO_ROOT / "README.md").read_text()
    expected = rf.block(RESULTS_DIR, "embedded")
    assert expected in readme, "README.md is stale: run python scripts/readme_findings.py"
    assert expected.count("\n- **") == 3
