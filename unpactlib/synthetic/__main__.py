"""``python -m unpactlib.synthetic``: regenerate every synthetic benchmark in ``data/``."""

from . import GENERATORS, write

for bench in GENERATORS:
    for path in write(bench):
        print(path)
