"""The paper's Hugging Face hub datasets, read in the hub's own file format and mapped onto
unpact's records.

``load_hub(name)`` returns a dict of *parts*, each a list of plain records (every record has
``id`` and ``split``; the schema is the one of :mod:`unpactlib.benchmarks`):

* QA: ``question``, ``answer`` (+ ``icl``: the in-context examples MUSE's KnowMem puts
  before each question, a list of ``{"question", "answer"}``, the same for a whole part);
* continuation (VerbMem): ``prompt``, ``continuation``;
* multiple choice: ``question``, ``choices`` (4 strings), ``answer_index``, ``answer`` (the
  gold choice's text) (+ ``subject`` for MMLU);
* corpus: ``text``.

Every QA and multiple-choice record also has ``doc_id``, its source document
(:func:`attach_doc_ids`): for MUSE forget QA pairs, the first forget-corpus text that contains
the answer; where no source is known (MUSE retain QA, whose source ``raw/retain2`` is not
read; WMDP and MMLU questions) the record's own id. The hub has no paraphrases (no record has
``paraphrase``, so the paraphrased splits are absent), no ``retain_train`` split (unlearning
then trains on ``retain``, :meth:`unpactlib.benchmarks.Benchmark.unlearning_sets`) and no
tuning splits.

``split`` says on which side of the unlearning request a record lies: ``"forget"``,
``"retain"`` or ``"utility"`` (VerbMem records are ``"forget"``; corpus records are
``"forget"`` or ``"retain"``). ``id`` is ``f"{source}-{part}-{index:05d}"`` with ``source``
``news``, ``books``, ``wmdp-bio`` or ``wmdp-cyber`` and ``index`` the row's position in the
part (shards read in name order), so it is stable for a given hub revision.

Which hub file feeds which part
-------------------------------
``news`` (repo ``muse-bench/MUSE-News``) and ``books`` (``muse-bench/MUSE-Books``):

=================  ==========================  =================================  ============
part               hub config / split          files in the repo                  columns
=================  ==========================  =================================  ============
``forget``         knowmem / forget_qa         ``knowmem/forget_qa-*.parquet``    question,
                   (+ ``icl`` from             (``knowmem/forget_qa_icl-*``)      answer
                   knowmem / forget_qa_icl)
``retain``         knowmem / retain_qa         ``knowmem/retain_qa-*.parquet``    question,
                   (+ ``icl`` from             (``knowmem/retain_qa_icl-*``)      answer
                   knowmem / retain_qa_icl)
``verbmem``        verbmem / forget            ``verbmem/forget-*.parquet``       prompt, gt
``forget_corpus``  raw / forget                ``raw/forget-*.parquet``           text
``retain_corpus``  raw / retain1               ``raw/retain1-*.parquet``          text
=================  ==========================  =================================  ============

``wmdp`` with ``wmdp_domain`` ``"bio"`` or ``"cyber"``:

=================  ====================================================  =================
part               repo and files                                        columns
=================  ====================================================  =================
``forget``         ``cais/wmdp``: ``wmdp-<domain>/test-*.parquet``       question, choices,
                   (config ``wmdp-<domain>``, split ``test``)            answer (int64)
``retain``         none: ``[]`` (see below)
``utility``        ``cais/mmlu``: ``all/test-*.parquet``                 question, subject,
                   (config ``all``, split ``test``, 14,042 questions)    choices, answer
``forget_corpus``  ``cais/wmdp-corpora``: ``cyber-forget-corpus/train-*``  text
                   for cyber; ``[]`` for bio (not public)
``retain_corpus``  ``cais/wmdp-corpora``: ``<domain>-retain-corpus/train-*``  text
                   (bio: 4 shards, about 0.9 GB to download)
=================  ====================================================  =================

Sources of this layout
----------------------
The layout follows these hub pages and the benchmarks' code, read from stored copies (it has
not been checked against the live hub):

* MUSE-News dataset card (``README.md`` at ``main``): configs ``knowmem`` (splits
  ``forget_qa``, ``forget_qa_icl``, ``retain_qa``, ``retain_qa_icl``; features ``answer``,
  ``question``), ``verbmem`` (``forget``; ``prompt``, ``gt``), ``raw`` (``forget``,
  ``retain1``, ``retain2``, ``holdout``; ``text``), each ``data_files`` path
  ``<config>/<split>-*``; the file trees show ``<config>/<split>-00000-of-00001.parquet``
  beside older JSON uploads (``knowmem/forget-qa.json``, ``verbmem/forget.json``) whose
  content is not documented and is not read.
  https://huggingface.co/datasets/muse-bench/MUSE-News,
  https://huggingface.co/datasets/muse-bench/MUSE-News/tree/main/verbmem
* MUSE-Books: the same configs (its card describes ``raw``, ``verbmem``, ``knowmem``,
  ``privleak``, ``train``); its ``knowmem`` tree holds ``retain_qa-*`` next to the older
  ``retain2_qa-*`` (hence the exact globs); verbmem features ``gt``, ``prompt`` (commit
  639a76b). https://huggingface.co/datasets/muse-bench/MUSE-Books,
  https://huggingface.co/datasets/muse-bench/MUSE-Books/commit/639a76b8b15730a599f767bb3864b8a2459cba78
* MUSE's evaluation code reads ``question``/``answer`` and ``prompt``/``gt`` and pairs each
  QA split with its own ICL split; its unlearning scripts use ``raw/forget`` as the forget
  set and ``raw/retain1`` as the retain set. https://github.com/swj0419/muse_bench
  (``eval.py``, ``constants.py``, ``baselines/scripts/unlearn_news.sh``);
  https://github.com/jaechan-repo/muse_bench (``data/upload_to_hf.py``: the hub files were
  made with ``datasets``' ``push_to_hub``).
* WMDP: configs ``wmdp-bio``, ``wmdp-chem``, ``wmdp-cyber``, split ``test``, features
  ``answer`` (int64), ``question`` (string), ``choices`` (sequence of strings); files
  ``wmdp-<domain>/test-00000-of-00001.parquet``.
  https://huggingface.co/datasets/cais/wmdp,
  https://huggingface.co/datasets/cais/wmdp/commit/03d9642890082c38f965ce9331b831a93767787b
* WMDP corpora: configs ``bio-retain-corpus`` (``train-0000{0..3}-of-00004.parquet``),
  ``cyber-forget-corpus``, ``cyber-retain-corpus`` (one shard each), split ``train``,
  feature ``text``; the card says the bio forget corpus must be requested by form.
  https://huggingface.co/datasets/cais/wmdp-corpora,
  https://huggingface.co/datasets/cais/wmdp-corpora/commit/a4e458afde17a6751d4fde21f3f1b1b3b2c5534c
* MMLU: config ``all``, splits ``test``, ``validation``, ``dev``, ``auxiliary_train``
  (``all/<split>-*``), features ``question``, ``subject``, ``choices`` (sequence of
  strings), ``answer`` (ClassLabel A-D, stored as int64).
  https://huggingface.co/datasets/cais/mmlu,
  https://huggingface.co/datasets/cais/mmlu/commit/c30699e8356da336a370243923dbaf21066bb9fe

Assumptions (ours)
------------------
* ``retain_corpus`` for MUSE is ``raw/retain1``, the retain data of MUSE's own unlearning
  runs; ``knowmem/retain_qa`` was written from ``raw/retain2``, which is not loaded.
* WMDP has no retain *question* set: WMDP-Cyber questions are not a retain set for bio (nor
  the reverse), and no MMLU subset is known to stand in for one, so ``retain`` is ``[]``;
  MMLU is the ``utility`` set, as in the WMDP paper. All 14,042 MMLU test questions are
  returned; callers take subsets.
* ``split`` and ``id`` follow the conventions above (our choice; the hub has neither).

File format
-----------
Every file above is Parquet (as ``datasets`` writes them), read with pyarrow. The tests use
small files in the same layout in ``tests/data/hub``.

Network
-------
With ``root`` given nothing goes to the network. Otherwise the hub is first probed (a TCP
connection to the endpoint, bounded by ``timeout``); if it cannot be reached, or
``HF_HUB_OFFLINE`` is set, :class:`HubUnavailable` is raised at once. Listings use
``timeout``; downloads go through ``huggingface_hub.hf_hub_download`` (hub cache) with
``etag_timeout=timeout`` and huggingface_hub's per-read download timeout
(``HF_HUB_DOWNLOAD_TIMEOUT``, default 10 s).
"""

from __future__ import annotations

import fnmatch
import logging
import os
import socket
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from .config import ParameterError, check_choice

log = logging.getLogger(__name__)

HUB_BENCHMARKS = ("news", "books", "wmdp")
WMDP_DOMAINS = ("bio", "cyber")

MUSE_REPOS = {"news": "muse-bench/MUSE-News", "books": "muse-bench/MUSE-Books"}
MUSE_FILES = {
    "forget": "knowmem/forget_qa-*.parquet",
    "forget_icl": "knowmem/forget_qa_icl-*.parquet",
    "retain": "knowmem/retain_qa-*.parquet",
    "retain_icl": "knowmem/retain_qa_icl-*.parquet",
    "verbmem": "verbmem/forget-*.parquet",
    "forget_corpus": "raw/forget-*.parquet",
    "retain_corpus": "raw/retain1-*.parquet",
}
WMDP_REPO = "cais/wmdp"
WMDP_CORPORA_REPO = "cais/wmdp-corpora"
MMLU_REPO = "cais/mmlu"
MMLU_FILES = "all/test-*.parquet"

_OFFLINE_VALUES = {"1", "ON", "YES", "TRUE"}


class HubUnavailable(RuntimeError):
    """The hub could not be reached (offline, DNS failure, timeout, ``HF_HUB_OFFLINE``)."""


def load_hub(
    name: str,
    root: str | Path | None = None,
    *,
    wmdp_domain: str = "cyber",
    timeout: float = 10.0,
) -> dict[str, list[dict]]:
    """Load the hub data of benchmark ``name`` as parts of unpact records.

    Args:
        name: one of :data:`HUB_BENCHMARKS`.
        root: a local folder mirroring the hub repositories
            (``root/<owner>/<repo>/<files as on the hub>``); when given, nothing goes to the
            network. ``None`` downloads the needed files into the huggingface_hub cache.
        wmdp_domain: ``"bio"`` or ``"cyber"``, the WMDP questions to forget (``wmdp`` only).
        timeout: seconds allowed for the reachability probe and each hub request.

    Returns:
        For ``news``/``books``: ``forget``, ``retain`` (QA), ``verbmem`` (continuations),
        ``forget_corpus``, ``retain_corpus`` (corpus). For ``wmdp``: ``forget`` (multiple
        choice), ``retain`` (``[]``), ``utility`` (MMLU), ``forget_corpus``,
        ``retain_corpus``. The module docstring names the hub file behind each part.

    Raises:
        ParameterError: a bad ``name``, ``wmdp_domain`` or ``timeout``.
        HubUnavailable: ``root`` is None and the hub cannot be reached.
        FileNotFoundError: an expected file is missing (under ``root``, or on the hub).
    """
    check_choice("name", name, HUB_BENCHMARKS)
    check_choice("wmdp_domain", wmdp_domain, WMDP_DOMAINS)
    if not timeout > 0:
        raise ParameterError(f"timeout={timeout!r} is out of range; allowed: timeout > 0")
    if root is not None:
        files: _Files = _LocalFiles(Path(root))
    else:
        _check_hub_reachable(name, timeout)
        files = _HubFiles(name, timeout)
    if name == "wmdp":
        return _load_wmdp(wmdp_domain, files)
    return _load_muse(name, files)


# ---------------------------------------------------------------------------------------------
# The benchmarks' parts


def _load_muse(name: str, files: _Files) -> dict[str, list[dict]]:
    repo = MUSE_REPOS[name]

    def rows(key: str, columns: Sequence[str]) -> list[dict]:
        return _rows(files.paths(repo, MUSE_FILES[key]), columns)

    qa_columns = ("question", "answer")
    parts: dict[str, list[dict]] = {}
    for part in ("forget", "retain"):
        icl = [_qa_pair(r, f"{part}_icl", i) for i, r in enumerate(rows(f"{part}_icl", qa_columns))]
        parts[part] = [
            {"id": _rid(name, part, i), "split": part, **_qa_pair(r, part, i)}
            | ({"icl": [dict(e) for e in icl]} if icl else {})
            for i, r in enumerate(rows(part, qa_columns))
        ]
    parts["verbmem"] = [
        {
            "id": _rid(name, "verbmem", i),
            "split": "forget",
            "prompt": _text(r, "prompt", "verbmem", i),
            "continuation": _text(r, "gt", "verbmem", i),
        }
        for i, r in enumerate(rows("verbmem", ("prompt", "gt")))
    ]
    for part, split in (("forget_corpus", "forget"), ("retain_corpus", "retain")):
        parts[part] = _corpus(name, part, split, rows(part, ("text",)))
    # the retain QA pairs come from raw/retain2, which is not read: each is its own document
    parts["forget"] = attach_doc_ids(parts["forget"], parts["forget_corpus"])
    parts["retain"] = attach_doc_ids(parts["retain"], [])
    return parts


def attach_doc_ids(items: list[dict], corpus: Sequence[dict]) -> list[dict]:
    """Each item with ``doc_id``: the id of the first ``corpus`` document whose text contains
    the item's answer (case-insensitive), else the item's own id (an item whose source is
    unknown is its own document, so statistics that resample documents treat it alone)."""
    texts = [(d["id"], d["text"].lower()) for d in corpus]
    out = []
    for r in items:
        answer = str(r["answer"]).lower().strip()
        doc = next((i for i, t in texts if answer and answer in t), r["id"])
        out.append({**r, "doc_id": doc})
    return out


def _load_wmdp(domain: str, files: _Files) -> dict[str, list[dict]]:
    source = f"wmdp-{domain}"
    questions = _rows(
        files.paths(WMDP_REPO, f"wmdp-{domain}/test-*.parquet"), ("question", "choices", "answer")
    )
    mmlu = _rows(files.paths(MMLU_REPO, MMLU_FILES), ("question", "subject", "choices", "answer"))
    if domain == "cyber":
        forget_docs = _rows(
            files.paths(WMDP_CORPORA_REPO, "cyber-forget-corpus/train-*.parquet"), ("text",)
        )
    else:
        log.warning("the WMDP bio forget corpus is not public: forget_corpus is empty")
        forget_docs = []
    retain_docs = _rows(
        files.paths(WMDP_CORPORA_REPO, f"{domain}-retain-corpus/train-*.parquet"), ("text",)
    )
    # no WMDP or MMLU question names its source text: each is its own document
    return {
        "forget": attach_doc_ids(
            [_choice_record(source, "forget", "forget", r, i) for i, r in enumerate(questions)],
            [],
        ),
        "retain": [],
        "utility": attach_doc_ids(
            [
                _choice_record(source, "utility", "utility", r, i, subject=True)
                for i, r in enumerate(mmlu)
            ],
            [],
        ),
        "forget_corpus": _corpus(source, "forget_corpus", "forget", forget_docs),
        "retain_corpus": _corpus(source, "retain_corpus", "retain", retain_docs),
    }


def _rid(source: str, part: str, index: int) -> str:
    return f"{source}-{part}-{index:05d}"


def _text(row: dict, key: str, part: str, index: int) -> str:
    value = row[key]
    if not isinstance(value, str):
        raise ValueError(f"{part} row {index}: {key!r} is {value!r}, expected text")
    return value


def _qa_pair(row: dict, part: str, index: int) -> dict:
    return {
        "question": _text(row, "question", part, index),
        "answer": _text(row, "answer", part, index),
    }


def _corpus(source: str, part: str, split: str, rows: list[dict]) -> list[dict]:
    return [
        {"id": _rid(source, part, i), "split": split, "text": _text(r, "text", part, i)}
        for i, r in enumerate(rows)
    ]


def _choice_record(
    source: str, part: str, split: str, row: dict, index: int, *, subject: bool = False
) -> dict:
    choices = row["choices"]
    if (
        not isinstance(choices, list)
        or len(choices) != 4
        or not all(isinstance(c, str) for c in choices)
    ):
        raise ValueError(f"{part} row {index}: choices {choices!r} are not 4 strings")
    answer = row["answer"]
    if isinstance(answer, bool) or not isinstance(answer, int) or not 0 <= answer < 4:
        raise ValueError(f"{part} row {index}: answer {answer!r} is not an index into choices")
    record = {
        "id": _rid(source, part, index),
        "split": split,
        "question": _text(row, "question", part, index),
        "choices": list(choices),
        "answer_index": answer,
        "answer": choices[answer],
    }
    if subject and row.get("subject") is not None:
        record["subject"] = _text(row, "subject", part, index)
    return record


def _rows(paths: Iterable[Path], columns: Sequence[str]) -> list[dict]:
    return [row for path in paths for row in read_parquet(path, columns)]


# ---------------------------------------------------------------------------------------------
# Where the files come from: a local mirror, or the hub


class _Files(Protocol):
    def paths(self, repo: str, pattern: str) -> list[Path]:
        """Local paths of the repo's files matching ``pattern``, in name order."""
        ...


def _matches(name: str, pattern: str) -> bool:
    """Glob match on repo-relative paths; ``*`` does not cross ``/``."""
    return name.count("/") == pattern.count("/") and fnmatch.fnmatchcase(name, pattern)


class _LocalFiles:
    """Files under ``root/<owner>/<repo>/`` (a mirror of the hub layout)."""

    def __init__(self, root: Path) -> None:
        if not root.is_dir():
            raise FileNotFoundError(f"root={str(root)!r} is not a folder")
        self.root = root

    def paths(self, repo: str, pattern: str) -> list[Path]:
        folder = self.root / repo
        found = sorted(
            p
            for p in folder.glob(pattern)
            if p.is_file() and _matches(p.relative_to(folder).as_posix(), pattern)
        )
        if not found:
            raise FileNotFoundError(
                f"no file matches {repo}/{pattern} under {self.root} "
                "(root must mirror the hub: root/<owner>/<repo>/<files as on the hub>)"
            )
        log.info("reading %s/%s: %d file(s) under %s", repo, pattern, len(found), self.root)
        return found


def _unavailable(name: str, reason: str) -> HubUnavailable:
    return HubUnavailable(
        f"the Hugging Face hub could not be reached ({reason}), so the {name!r} hub data could "
        'not be loaded. source="synthetic" works offline; so does root= pointing at a local '
        "copy of the hub files."
    )


def _offline() -> bool:
    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        if os.environ.get(var, "").strip().upper() in _OFFLINE_VALUES:
            return True
    from huggingface_hub import constants

    return bool(constants.HF_HUB_OFFLINE)


def _endpoint() -> str:
    from huggingface_hub import constants

    return constants.ENDPOINT


def _check_hub_reachable(name: str, timeout: float) -> None:
    """Raise :class:`HubUnavailable` unless a TCP connection to the hub opens in ``timeout``.

    Name resolution is not bounded by socket timeouts, so the probe runs in a daemon thread
    that is abandoned when it overruns.
    """
    if _offline():
        raise _unavailable(name, "HF_HUB_OFFLINE is set")
    url = urlsplit(_endpoint())
    host = url.hostname or ""
    port = url.port or (80 if url.scheme == "http" else 443)
    outcome: dict[str, BaseException | None] = {}

    def probe() -> None:
        try:
            socket.create_connection((host, port), timeout=timeout).close()
            outcome["error"] = None
        except OSError as error:
            outcome["error"] = error

    thread = threading.Thread(target=probe, name="unpact-hub-probe", daemon=True)
    thread.start()
    thread.join(timeout)
    if "error" not in outcome:
        raise _unavailable(name, f"no answer from {host}:{port} within {timeout:g} s")
    if outcome["error"] is not None:
        raise _unavailable(name, f"{host}:{port}: {outcome['error']}")


class _HubFiles:
    """Files downloaded from the hub (listed once per repo, cached by huggingface_hub)."""

    def __init__(self, name: str, timeout: float) -> None:
        self.name = name
        self.timeout = timeout
        self._listings: dict[str, tuple[str, list[str]]] = {}

    def _listing(self, repo: str) -> tuple[str, list[str]]:
        if repo not in self._listings:
            from huggingface_hub import HfApi

            try:
                info = HfApi().dataset_info(repo, timeout=self.timeout)
            except Exception as error:  # any failure to reach or read the hub
                raise _unavailable(self.name, f"listing {repo}: {error}") from error
            names = sorted(s.rfilename for s in info.siblings or [])
            self._listings[repo] = (info.sha or "main", names)
        return self._listings[repo]

    def paths(self, repo: str, pattern: str) -> list[Path]:
        from huggingface_hub import hf_hub_download

        revision, names = self._listing(repo)
        wanted = [n for n in names if _matches(n, pattern)]
        if not wanted:
            raise FileNotFoundError(f"the hub repo {repo} has no file matching {pattern}")
        log.info("downloading %s/%s: %d file(s) at %s", repo, pattern, len(wanted), revision)
        out = []
        for filename in wanted:
            try:
                local = hf_hub_download(
                    repo,
                    filename,
                    repo_type="dataset",
                    revision=revision,
                    etag_timeout=self.timeout,
                )
            except Exception as error:  # any failure to reach or read the hub
                raise _unavailable(self.name, f"downloading {repo}/{filename}: {error}") from error
            out.append(Path(local))
        return out


# ---------------------------------------------------------------------------------------------
# Parquet


def read_parquet(path: str | Path, columns: Sequence[str]) -> list[dict]:
    """The rows of a Parquet file as dicts of the given top-level columns (pyarrow)."""
    import pyarrow.parquet as pq

    return pq.read_table(path, columns=list(columns)).to_pylist()
