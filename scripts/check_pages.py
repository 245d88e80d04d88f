"""Open every page of the built book in headless Chromium and check it.

For each HTML page under ``_build/html`` (or the folder given): the console errors and
uncaught exceptions while it loads, and the figures that failed to load (an ``<img>`` not
complete or with no pixels). With ``--screenshots DIR`` each page is also saved as a PNG.

Chromium is driven through its DevTools protocol (a websocket), so no driver is needed::

    python scripts/check_pages.py                       # prints one line per page
    python scripts/check_pages.py --screenshots shots/  # and a screenshot of each

Exit status 1 when a page has a console error or a broken figure.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import websocket

ROOT = Path(__file__).resolve().parents[1]
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "chrome")
# Evaluated in the page once it has loaded: every <img>, and whether it has pixels.
IMAGES_JS = (
    "JSON.stringify([...document.images].map(i => "
    "({src: i.getAttribute('src'), ok: i.complete && i.naturalWidth > 0})))"
)


def find_browser() -> str | None:
    """The first Chromium-like executable on PATH (``$CHROMIUM`` first), or None."""
    for name in (os.environ.get("CHROMIUM", ""), *BROWSERS):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


@dataclass
class PageReport:
    """What one page did while loading in the browser."""

    page: str
    images: int = 0
    broken: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.broken and not self.errors


class Browser:
    """A headless Chromium with one tab, driven over the DevTools protocol."""

    def __init__(self, executable: str, width: int = 1300, height: int = 1600) -> None:
        self.width = width
        self.profile = tempfile.mkdtemp(prefix="unpact-chromium-")
        self.proc = subprocess.Popen(
            [
                executable,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--hide-scrollbars",
                f"--window-size={width},{height}",
                f"--user-data-dir={self.profile}",
                "--remote-debugging-port=0",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.port = self._devtools_port()
        self.ws = websocket.create_connection(self._page_socket(), timeout=60, suppress_origin=True)
        self.next_id = 0
        self.events: list[dict] = []
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable")

    def _devtools_port(self, timeout: float = 30.0) -> int:
        end = time.monotonic() + timeout
        assert self.proc.stderr is not None
        while time.monotonic() < end:
            line = self.proc.stderr.readline()
            found = re.search(r"DevTools listening on ws://[^:]+:(\d+)/", line)
            if found:
                return int(found.group(1))
            if not line and self.proc.poll() is not None:
                break
        raise RuntimeError("chromium did not start its DevTools endpoint")

    def _page_socket(self) -> str:
        import urllib.request

        for _ in range(50):
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/json") as resp:
                pages = [t for t in json.load(resp) if t.get("type") == "page"]
            if pages:
                return pages[0]["webSocketDebuggerUrl"]
            time.sleep(0.1)
        raise RuntimeError("chromium has no page to drive")

    def call(self, method: str, **params: object) -> dict:
        """Send one command and return its result; events that arrive meanwhile are kept."""
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    def wait_for(self, event: str, timeout: float = 60.0) -> None:
        """Read events until ``event`` arrives."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            msg = json.loads(self.ws.recv())
            self.events.append(msg)
            if msg.get("method") == event:
                return
        raise TimeoutError(event)

    def open(self, path: Path, screenshot: Path | None = None) -> PageReport:
        """Load one page, wait for it (and its images), and report what went wrong."""
        self.events.clear()
        self.call("Page.navigate", url=path.resolve().as_uri())
        self.wait_for("Page.loadEventFired")
        time.sleep(0.3)  # scripts that run after the load event (e.g. the theme's)
        value = self.call("Runtime.evaluate", expression=IMAGES_JS, returnByValue=True)
        images = json.loads(value["result"]["value"])
        report = PageReport(
            page=str(path),
            images=len(images),
            broken=[i["src"] for i in images if not i["ok"]],
            errors=_errors(self.events),
        )
        if screenshot is not None:
            metrics = self.call("Page.getLayoutMetrics")
            height = min(int(metrics["cssContentSize"]["height"]), 12000)
            # the whole page as one tall viewport, so sticky sidebars stay in place
            self.call(
                "Emulation.setDeviceMetricsOverride",
                width=self.width,
                height=height,
                deviceScaleFactor=1,
                mobile=False,
            )
            shot = self.call("Page.captureScreenshot", format="png")
            self.call("Emulation.clearDeviceMetricsOverride")
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            screenshot.write_bytes(base64.b64decode(shot["data"]))
        return report

    def close(self) -> None:
        try:
            self.ws.close()
        finally:
            self.proc.kill()
            self.proc.wait()
            shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _errors(events: list[dict]) -> list[str]:
    """Console errors, uncaught exceptions and failed loads among DevTools events."""
    out = []
    for e in events:
        method, p = e.get("method"), e.get("params", {})
        if method == "Runtime.exceptionThrown":
            d = p["exceptionDetails"]
            out.append(d.get("exception", {}).get("description") or d.get("text", "exception"))
        elif method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            out.append(" ".join(str(a.get("value", a.get("description", ""))) for a in p["args"]))
        elif method == "Log.entryAdded" and p["entry"].get("level") == "error":
            entry = p["entry"]
            out.append(f"{entry.get('text', '')} {entry.get('url', '')}".strip())
    return out


def book_pages(html: Path) -> list[Path]:
    """The book's content pages (not search, genindex or the theme's static files)."""
    skip = {"search.html", "genindex.html"}
    return sorted(
        p
        for p in html.rglob("*.html")
        if p.name not in skip
        and not any(part.startswith("_") for part in p.relative_to(html).parts)
    )


def check_pages(html: Path, screenshots: Path | None = None) -> list[PageReport]:
    """Open every page of the book at ``html`` in one browser and report each."""
    executable = find_browser()
    if executable is None:
        raise FileNotFoundError(f"no browser found (looked for {', '.join(BROWSERS)})")
    reports = []
    with Browser(executable) as browser:
        for page in book_pages(html):
            shot = None
            if screenshots is not None:
                name = page.relative_to(html).with_suffix(".png").as_posix().replace("/", "__")
                shot = screenshots / name
            reports.append(browser.open(page, shot))
    return reports


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("html", nargs="?", type=Path, default=ROOT / "_build" / "html")
    parser.add_argument("--screenshots", type=Path, default=None)
    args = parser.parse_args()
    reports = check_pages(args.html, args.screenshots)
    for r in reports:
        status = "ok" if r.ok else "FAIL"
        print(f"{status:4} {Path(r.page).relative_to(args.html)}: {r.images} images", end="")
        print(f", broken {r.broken}" if r.broken else "", end="")
        print(f", console errors {r.errors}" if r.errors else "")
    return 0 if all(r.ok for r in reports) else 1


if __name__ == "__main__":
    sys.exit(main())
