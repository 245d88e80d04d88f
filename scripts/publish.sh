#!/usr/bin/env bash
# make publish: commit the built book (_build/html) to the gh-pages branch and push it.
# The branch holds only the HTML (plus .nojekyll so GitHub Pages serves _static/ as is).
# Without a remote named origin the commit is made locally and the push is skipped.
set -euo pipefail
html=_build/html
[ -f "$html/index.html" ] || { echo "no built book at $html: run make book first" >&2; exit 1; }
work=$(mktemp -d)
trap 'git worktree remove --force "$work" 2>/dev/null || rm -rf "$work"' EXIT
if git show-ref --verify --quiet refs/heads/gh-pages; then
  git worktree add --quiet "$work" gh-pages
else
  git worktree add --quiet --detach "$work"
  git -C "$work" checkout --quiet --orphan gh-pages
fi
git -C "$work" rm -rfq --ignore-unmatch . >/dev/null
cp -R "$html"/. "$work"/
touch "$work/.nojekyll"
git -C "$work" add -A
if git -C "$work" diff --cached --quiet; then
  echo "gh-pages already holds this build"
else
  git -C "$work" commit --quiet -m "Book built from $(git rev-parse --short HEAD)"
  echo "committed the book to gh-pages"
fi
if git remote get-url origin >/dev/null 2>&1; then
  git push origin gh-pages
else
  echo "no remote 'origin': gh-pages was updated locally only"
fi
