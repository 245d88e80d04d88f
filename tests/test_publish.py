"""make publish: the built HTML lands on a gh-pages branch of origin, and nothing else does."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from unpactlib.paths import REPO_ROOT

# who commits, and nothing else of this machine's git configuration
ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@t",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@t",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "PATH": "/usr/bin:/bin",
}


def publish(cwd: Path) -> str:
    return subprocess.run(
        ["bash", "scripts/publish.sh"], cwd=cwd, check=True, capture_output=True, text=True, env=ENV
    ).stdout


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def test_publish_pushes_only_the_html_to_gh_pages(tmp_path):
    origin, work = tmp_path / "origin.git", tmp_path / "work"
    git("init", "--bare", "-q", str(origin), cwd=tmp_path)
    git("init", "-q", "-b", "main", str(work), cwd=tmp_path)
    (work / "README.md").write_text("source\n")
    (work / "scripts").mkdir()
    shutil.copy(REPO_ROOT / "scripts" / "publish.sh", work / "scripts" / "publish.sh")
    git("add", "-A", cwd=work)
    git("commit", "-qm", "source", cwd=work)
    git("remote", "add", "origin", str(origin), cwd=work)
    (work / "_build" / "html" / "book").mkdir(parents=True)
    (work / "_build" / "html" / "index.html").write_text("<html>book</html>\n")
    (work / "_build" / "html" / "book" / "intro.html").write_text("<html>intro</html>\n")

    assert "committed the book" in publish(work)
    files = git("ls-tree", "-r", "--name-only", "gh-pages", cwd=origin).split()
    assert sorted(files) == [".nojekyll", "book/intro.html", "index.html"]
    assert git("branch", "--show-current", cwd=work).strip() == "main"  # the checkout is untouched
    assert "already holds this build" in publish(work)  # the same build again changes nothing
