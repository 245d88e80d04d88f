"""The book builds from the committed executed notebooks with warnings as errors, and every
page loads in headless Chromium without console errors and with all its figures."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

from unpactlib.paths import REPO_ROOT

pytestmark = pytest.mark.slow


def _load_check_pages():
    spec = importlib.util.spec_from_file_location(
        "check_pages", REPO_ROOT / "scripts" / "check_pages.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["check_pages"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def built_book(tmp_path_factory) -> Path:
    """The book built once into a fresh folder; returns its HTML folder."""
    tmp_path = tmp_path_factory.mktemp("book")
    jb = Path(sys.executable).parent / "jupyter-book"
    proc = subprocess.run(
        [
            str(jb),
            "build",
            str(REPO_ROOT),
            "-W",
            "-n",
            "--keep-going",
            "--path-output",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    return tmp_path / "_build" / "html"


def test_book_builds_without_warnings(built_book):
    html = built_book
    data = (html / "book" / "00_benchmarks.html").read_text()
    assert "The synthetic benchmarks" in data and "Base model and target model" in data
    for b in ("news", "books", "wmdp"):
        assert "knowmem" in (html / "book" / "targets" / f"{b}.html").read_text() or b == "wmdp"
    for b in ("news", "books", "wmdp"):
        t1 = (html / "book" / "unlearn" / f"{b}.html").read_text()
        assert "forget efficacy" in t1 and "destructive rate" in t1
    for b in ("news", "books", "wmdp"):
        f2 = (html / "book" / "attribution" / f"{b}.html").read_text()
        assert f2.count("<img") >= 2 and "F2" in f2 and "F3" in f2
        t2 = (html / "book" / "recovery" / f"{b}.html").read_text()
        assert "FocusOnKey" in t2 and "control" in t2 and "F4" in t2
    summary = (html / "book" / "05_summary.html").read_text()
    for label in ("T1.", "T2.", "F1.", "F3.", "F5.", "F6."):
        assert label in summary, label
    assert summary.count("<img") >= 5
    seeds = (html / "book" / "08_seeds.html").read_text()
    assert "over seeds" in seeds and seeds.count("<img") >= 1
    # the set-up cells stay in the executed notebooks and out of the pages
    for page in html.glob("book/**/*.html"):
        text = page.read_text()
        assert "# Parameters" not in text and "profile: str =" not in text, page


def test_every_page_loads_in_a_browser(built_book):
    check_pages = _load_check_pages()
    if check_pages.find_browser() is None:
        pytest.skip("no Chromium on PATH (make test installs it where apt-get is allowed)")
    reports = check_pages.check_pages(built_book)
    pages = {Path(r.page).relative_to(built_book).as_posix() for r in reports}
    # every chapter of the table of contents was opened
    for page in ("book/intro.html", "book/05_summary.html", "book/unlearn/wmdp.html"):
        assert page in pages
    failed = {r.page: (r.broken, r.errors) for r in reports if not r.ok}
    assert not failed, failed
    # the figures are there and loaded: the summary page alone has at least five
    by_page = {Path(r.page).relative_to(built_book).as_posix(): r for r in reports}
    assert by_page["book/05_summary.html"].images >= 5


def test_no_page_fetches_from_the_network(built_book):
    """The book reads offline: no page loads a script, stylesheet or image from a web address
    (MathJax from a CDN was one; the book has no maths markup for it)."""
    external = re.compile(r'<(?:script|img)[^>]+src="https?://|<link[^>]+href="https?://[^"]+\.css')
    fetching = [
        page.relative_to(built_book).as_posix()
        for page in built_book.glob("**/*.html")
        if external.search(page.read_text())
    ]
    assert not fetching, fetching
