"""Cache keys: every key of the study is derived here, from the inputs and the code.

Two kinds of key:

* **model keys** name a cached model folder (:mod:`unpactlib.cache`): a target model is a
  function of its base model, training data, settings, precision and seed, and of the code
  that trains it; an unlearned model of its target, method, settings, data, precision, seed
  and the method's code. The code enters as :func:`code_digest`, a hash of the modules'
  source with comments and docstrings removed, so editing prose keeps every cached model and
  editing the arithmetic recomputes exactly what depends on it.
* **record keys** are what a stage writes into its record (:mod:`unpactlib.records`) and
  compares on the next run: the model it used (by folder name) and the stage's parameters.
"""

from __future__ import annotations

import ast
import copy
import hashlib
import importlib.util
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, fields
from functools import cache
from pathlib import Path

from .benchmarks import Benchmark
from .config import Profile, UnlearnConfig
from .unlearn import METHODS, get_method

PACKAGE = __name__.rsplit(".", 1)[0]
# modules that hold parameters, data and paths rather than arithmetic: their values enter the
# keys directly (a profile's settings, a benchmark's items), so editing them never changes a
# code digest
NOT_CODE = frozenset({"config", "paths", "results", "keys", "records", "benchmarks", "hub"})
# the roots of the code that computes a target model and an unlearned model
TARGET_CODE = ("training", "evaluation", "models", "replay")
UNLEARN_CODE = ("unlearn.loop", "unlearn.losses", "models")
# files that enter an unlearned model's digest alone, without what they import: the dispatch
# to the method and the weight storage
UNLEARN_FILES = ("unlearn", "cache")


def digest(*parts: object) -> str:
    """A 12-hex-digit SHA-256 of ``parts`` as sorted JSON (non-JSON values by ``str``)."""
    blob = json.dumps(parts, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:12]


def _module_file(name: str) -> Path:
    spec = importlib.util.find_spec(f"{PACKAGE}.{name}")
    if spec is None or spec.origin is None:
        raise ValueError(f"no module {PACKAGE}.{name}")
    return Path(spec.origin)


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(f"{PACKAGE}.{name}") is not None
    except ModuleNotFoundError:  # a name inside a module, not a module
        return False


def _strip_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            node.body = body[1:] or [ast.Pass()]
    return tree


def _imports(name: str, tree: ast.AST) -> set[str]:
    """The package's modules that module ``name`` imports by relative imports."""
    is_package = _module_file(name).name == "__init__.py"
    here = name.split(".") if is_package else name.split(".")[:-1]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = here[: len(here) - (node.level - 1)] if node.level > 1 else here
            stem = [*base, *(node.module.split(".") if node.module else [])]
            for alias in node.names:
                for candidate in (".".join([*stem, alias.name]), ".".join(stem)):
                    if candidate and _is_module(candidate):
                        found.add(candidate)
                        break
    return found


@cache
def _source(name: str) -> tuple[str, frozenset[str]]:
    """Module ``name``'s normalised source (no comments, no docstrings) and its imports."""
    tree = ast.parse(_module_file(name).read_text(encoding="utf-8"))
    imports = frozenset(_imports(name, tree))
    return ast.unparse(_strip_docstrings(tree)), imports


def code_modules(roots: Iterable[str], follow: bool = True) -> list[str]:
    """``roots`` and, with ``follow``, every module of the package they import, transitively
    (relative imports), except the parameter modules :data:`NOT_CODE`; sorted."""
    seen: set[str] = set()
    todo = [r for r in roots if r not in NOT_CODE]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        if follow:
            todo += [m for m in _source(name)[1] if m not in NOT_CODE and m not in seen]
    return sorted(seen)


def code_digest(roots: Iterable[str], follow: bool = True) -> str:
    """Hash of the normalised source of :func:`code_modules` ``(roots, follow)``."""
    return digest([(m, _source(m)[0]) for m in code_modules(roots, follow)])


def method_code(method: str) -> str:
    """The code digest of unlearning with ``method``: its own module (and what it imports),
    the shared loop and losses, and :data:`UNLEARN_FILES` (the dispatch in
    ``unlearn/__init__`` and the weight storage in ``cache``, those files alone, not the other
    methods they import)."""
    m = get_method(method)
    fn = m.run if m.run is not None else m.loss
    own = fn.__module__.removeprefix(f"{PACKAGE}.")
    return digest(code_digest([own, *UNLEARN_CODE]), code_digest(UNLEARN_FILES, follow=False))


def target_key(profile: Profile, bench: Benchmark, seed: int) -> str:
    """Key of a target model: training code (with :mod:`unpactlib.cache`, which holds the
    stop rule's checks and the replay), base model, training data, settings, precision,
    seed."""
    data = [bench.train_records(), bench.corpus_texts()]  # every trained document: a superset
    code = [code_digest(TARGET_CODE), code_digest(("cache",), follow=False)]
    return digest(code, profile.model, data, asdict(profile.target), profile.precision, seed)


def unlearned_key(
    profile: Profile,
    bench: Benchmark,
    method: str,
    target_name: str,
    settings: dict[str, object],
    seed: int,
) -> str:
    """Key of an unlearned model: the method's code, its target (by folder name), the
    method's settings (:func:`method_settings`), the forget and retain prompts, precision,
    seed."""
    forget, retain = bench.unlearning_sets()
    return digest(
        method_code(method), target_name, method, settings, forget, retain, profile.precision, seed
    )


def method_settings(cfg: UnlearnConfig, method: str) -> dict[str, object]:
    """The settings that determine ``method``'s result: every :class:`UnlearnConfig` field
    except those owned by other methods (``Method.config_fields``), so tuning or adding
    another method keeps this method's keys."""
    own = set(get_method(method).config_fields)
    others = {f for m in METHODS.values() for f in m.config_fields} - own
    return {
        f.name: copy.deepcopy(getattr(cfg, f.name)) for f in fields(cfg) if f.name not in others
    }


# record keys: what each stage compares with its record to know it is done


def target_record(target_name: str, tau: float) -> dict[str, object]:
    """Record key of the target stage (scores of the base and target models)."""
    return {"target": target_name, "tau": tau}


def unlearn_record(target_name: str, tau: float, settings: dict[str, object]) -> dict[str, object]:
    """Record key of one unlearning run's scores."""
    return {"target": target_name, "tau": tau, "unlearn": settings}


def attribution_record(model_name: str, settings: dict[str, object]) -> dict[str, object]:
    """Record key of one model's contributions: the model and the attribution settings
    (``alpha``, ``beta``, ``answer``, ``mc_span``, ``ids``)."""
    return {"model": model_name, **settings}


def recovery_record(
    *,
    templates: Sequence[str],
    key_source: str,
    alpha: float,
    beta: int,
    probab: Sequence[float],
    grid: Sequence[Sequence[float]],
    control_seed: int,
    tau: float,
    unlearned: object,
) -> dict[str, object]:
    """Record key of one method's recovery: its parameters and the unlearning record's key
    (``unlearned``), so new unlearning results recompute recovery."""
    return {
        "templates": list(templates),
        "key_source": key_source,
        "alpha": alpha,
        "beta": beta,
        "probab": list(probab),
        "grid": [list(g) for g in grid],
        "control_seed": control_seed,
        "tau": tau,
        "unlearned": unlearned,
    }


def compare_record(model_name: str, n: int) -> dict[str, object]:
    """Record key of the comparison of attribution methods on the first ``n`` prompts."""
    return {"model": model_name, "n": n}
