"""Sphinx extension: the reader does not see a notebook's set-up cells.

Each page is a notebook executed by papermill. Its cell tagged ``parameters`` (the defaults)
and papermill's cell tagged ``injected-parameters`` (the values of this run) are kept in the
executed notebook, where papermill and nbval read them, but they carry nothing for a reader
of the book: they are tagged ``remove-cell`` as the page's source is read, so myst-nb leaves
them out. The stage notebooks' parameters are listed on the Methods page instead.
"""

from __future__ import annotations

import json
from typing import Any

SETUP_TAGS = frozenset({"parameters", "injected-parameters"})
REMOVE = "remove-cell"


def hide_setup_cells(notebook: dict) -> int:
    """Tag every set-up cell of ``notebook`` (nbformat JSON, changed in place) with
    ``remove-cell``; returns how many cells are set-up cells."""
    found = 0
    for cell in notebook.get("cells", []):
        tags = cell.setdefault("metadata", {}).setdefault("tags", [])
        if SETUP_TAGS & set(tags):
            found += 1
            if REMOVE not in tags:
                tags.append(REMOVE)
    return found


def _source_read(app: Any, docname: str, source: list[str]) -> None:
    if not str(app.env.doc2path(docname)).endswith(".ipynb"):
        return
    notebook = json.loads(source[0])
    if hide_setup_cells(notebook):
        source[0] = json.dumps(notebook)


def setup(app: Any) -> dict[str, bool]:
    app.connect("source-read", _source_read)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
