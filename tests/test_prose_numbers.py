"""No page of the book types a number by hand: every number in its prose is glued from the
results, sits in a table, a figure, math or code, or is on a line that
``scripts/prose_numbers.py`` allows with a reason."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from unpactlib.paths import REPO_ROOT


@pytest.fixture(scope="module")
def pn():
    spec = importlib.util.spec_from_file_location(
        "prose_numbers", REPO_ROOT / "scripts" / "prose_numbers.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["prose_numbers"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def numbers(pn, text: str, allowed=()) -> list[str]:
    return [s.number for s in pn.stray_numbers(text, "page.md", allowed)]


def test_prose_numbers_are_found(pn):
    text = "Unlearning forgot 37 of 48 items, 77 %, and ran 3.1x faster.\nNo number here."
    assert numbers(pn, text) == ["37", "48", "77", "3.1"]
    strays = pn.stray_numbers(text, "page.md", ())
    assert [s.line_no for s in strays] == [1, 1, 1, 1]


def test_glue_code_math_and_links_are_not_prose(pn):
    text = (
        "Forgot {glue:text}`n_lost` items ({glue:text}`rate_2`), see {doc}`00_benchmarks`, "
        "`lr=1e-5` and $s = 1$, [paper](https://arxiv.org/abs/2509.24675).\n"
        "$$\nC = LP(x) - 1\n$$\n"
        "```python\nx = 12\n```\n"
        "| method | rate |\n|---|---|\n| tv | 40 % |\n"
        ":width: 80%\n"
    )
    assert numbers(pn, text) == []


def test_names_with_digits_are_not_numbers(pn):
    text = "T1, F4 and RQ2 on SmolLM2-135M-Instruct (a 7B model), in bf16; see 01_target.\n"
    assert numbers(pn, text) == []
    assert numbers(pn, "1. first item\n2. second item\n") == []
    # a number before a letter is still a number: "4x" is a measurement
    assert numbers(pn, "the engine is 4x faster\n") == ["4"]


def test_an_allowed_line_needs_its_page_and_text(pn):
    text = "Zhang et al., 2025, proposed it.\n"
    allowed = [("page.md", "Zhang et al., 2025", "a citation")]
    assert numbers(pn, text, allowed) == []
    assert numbers(pn, text, [("other.md", "Zhang et al., 2025", "a citation")]) == ["2025"]


def test_no_page_types_a_number(pn):
    strays = pn.all_strays()
    assert not strays, "numbers typed by hand (glue them, or allow the line with a reason):\n" + (
        "\n".join(str(s) for s in strays)
    )


def test_every_allowed_line_exists_and_has_a_reason(pn):
    sources = pn.page_sources()
    for page, text, reason in pn.ALLOWED:
        assert reason.strip(), (page, text)
        assert page in sources, f"allowed line on a page that is not there: {page}"
        assert text in sources[page], f"{page}: no line holds {text!r} (drop the entry)"
