"""Sphinx extension: each page lists every script once.

sphinx-thebe (a jupyter-book 1 default) registers its inline configuration script on every
``env-before-read-docs`` event, and that event fires more than once per build, so each page
declared ``const THEBE_JS_URL`` twice and the browser console reported a SyntaxError. The
duplicates are dropped from each page's script list before it is rendered.
"""

from __future__ import annotations

from typing import Any


def _dedupe(app: Any, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    seen: set[tuple[str, str]] = set()
    unique = []
    for script in context.get("script_files", []):
        # an inline script is registered once with filename None and once with "", so a
        # script is identified by its file (None read as "") and its attributes (its body)
        key = (
            str(getattr(script, "filename", script) or ""),
            repr(getattr(script, "attributes", {})),
        )
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def setup(app: Any) -> dict[str, bool]:
    app.connect("html-page-context", _dedupe, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
