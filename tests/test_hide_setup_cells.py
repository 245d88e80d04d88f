"""The book's extension that leaves the parameters and injected cells out of the pages."""

from __future__ import annotations

import importlib.util

from unpactlib.paths import REPO_ROOT

spec = importlib.util.spec_from_file_location(
    "hide_setup_cells", REPO_ROOT / "book" / "_ext" / "hide_setup_cells.py"
)
hide = importlib.util.module_from_spec(spec)
spec.loader.exec_module(hide)


def test_set_up_cells_are_tagged_remove_cell_and_the_others_kept():
    notebook = {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": "# Title"},
            {"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": "a = 1"},
            {"cell_type": "code", "metadata": {"tags": ["injected-parameters"]}, "source": "a=2"},
            {"cell_type": "code", "metadata": {"tags": ["hide-input"]}, "source": "plot()"},
        ]
    }
    assert hide.hide_setup_cells(notebook) == 2
    tags = [c["metadata"].get("tags", []) for c in notebook["cells"]]
    assert tags == [
        [],
        ["parameters", "remove-cell"],
        ["injected-parameters", "remove-cell"],
        ["hide-input"],
    ]
    # a second pass adds nothing
    assert hide.hide_setup_cells(notebook) == 2
    assert notebook["cells"][1]["metadata"]["tags"] == ["parameters", "remove-cell"]
