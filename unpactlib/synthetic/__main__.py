"""``python -m unpactlib.synthetic``: regenerate every synthetic benchmark in ``data/``."""

from . import generated_benchmarks, write

for bench in generated_benchmarks():
    for path in write(bench):
        print(path)
