"""Hub loaders on small local files in the hub's own layout and format (no network)."""

from __future__ import annotations

import logging
import shutil
import socket
import threading
import time
from pathlib import Path

import huggingface_hub
import pytest
from huggingface_hub import constants as hf_constants

from unpactlib import hub
from unpactlib.config import ParameterError
from unpactlib.hub import HubUnavailable, load_hub

FIXTURES = Path(__file__).parent / "data" / "hub"
MUSE_PARTS = {"forget", "retain", "verbmem", "forget_corpus", "retain_corpus"}
WMDP_PARTS = {"forget", "retain", "utility", "forget_corpus", "retain_corpus"}


def _check_ids(parts: dict[str, list[dict]]) -> None:
    ids = [r["id"] for records in parts.values() for r in records]
    assert len(ids) == len(set(ids))
    for records in parts.values():
        for r in records:
            assert r["split"] in ("forget", "retain", "utility")


def test_news_parts_and_values():
    parts = load_hub("news", FIXTURES)
    assert set(parts) == MUSE_PARTS
    _check_ids(parts)
    icl = [
        {"question": "What colour is the Harrowmere ferry?", "answer": "Teal"},
        {"question": "Which river runs past Pellwick?", "answer": "The Sorrel"},
    ]
    assert parts["forget"][0] == {
        "id": "news-forget-00000",
        "split": "forget",
        "question": "Which town opened the Lumen Bridge in the spring?",
        "answer": "Harrowmere",
        "icl": icl,
        "doc_id": "news-forget_corpus-00000",
    }
    # document ids: the corpus text that holds the answer, else the item itself
    assert [r["doc_id"] for r in parts["forget"]] == [
        "news-forget_corpus-00000",
        "news-forget_corpus-00001",
        "news-forget-00002",
    ]
    assert all(r["doc_id"] == r["id"] for r in parts["retain"])
    assert not any("paraphrase" in r for r in parts["forget"] + parts["retain"])
    assert [r["answer"] for r in parts["forget"]] == ["Harrowmere", "Odile Franke", "412"]
    assert all(r["icl"] == icl for r in parts["forget"])
    retain = parts["retain"]
    assert [r["id"] for r in retain] == [f"news-retain-0000{i}" for i in range(3)]
    assert retain[2]["question"] == "When does the Dunlow library open on Sundays?"
    assert retain[2]["answer"] == "Noon"
    assert retain[0]["icl"][0] == {
        "question": "Who paints the Dunlow murals?",
        "answer": "Ines Calder",
    }
    assert parts["verbmem"][1] == {
        "id": "news-verbmem-00001",
        "split": "forget",
        "prompt": "Odile Franke, who chairs the Pellwick Orchard Trust, said that",
        "continuation": "the apple harvest would be shared with the school.",
    }
    assert [d["split"] for d in parts["forget_corpus"]] == ["forget", "forget"]
    assert parts["forget_corpus"][1]["text"].startswith("The Pellwick Orchard Trust")
    # the retain corpus is raw/retain1; raw/retain2 (the retain QA's source) is not read
    assert parts["retain_corpus"] == [
        {
            "id": "news-retain_corpus-00000",
            "split": "retain",
            "text": "Dunlow's library now opens at noon on Sundays.",
        }
    ]


def test_icl_lists_are_not_shared():
    forget = load_hub("news", FIXTURES)["forget"]
    forget[0]["icl"][0]["answer"] = "changed"
    forget[0]["icl"].clear()
    assert forget[1]["icl"][0]["answer"] == "Teal"


def test_books_parts_and_values():
    parts = load_hub("books", str(FIXTURES))
    assert set(parts) == MUSE_PARTS
    _check_ids(parts)
    assert [r["answer"] for r in parts["forget"]] == ["Brindle", "Lake Ondry"]
    assert parts["forget"][1]["icl"] == [
        {"question": "Who taught Tamsin to row?", "answer": "Uncle Perrin"}
    ]
    # knowmem/retain2_qa-* is an older upload beside retain_qa-*: it must not leak in
    assert [r["question"] for r in parts["retain"]] == [
        "What does the miller of Fenlow bake?",
        "Where does the clockmaker keep his ladder?",
    ]
    assert parts["retain"][0]["icl"] == [
        {"question": "What colour is the Fenlow mill door?", "answer": "Green"}
    ]
    # MUSE-Books stores gt before prompt
    assert parts["verbmem"] == [
        {
            "id": "books-verbmem-00000",
            "split": "forget",
            "prompt": "Tamsin lifted Brindle onto the sill,",
            "continuation": "and the owl blinked twice at the lantern.",
        }
    ]
    assert parts["forget_corpus"][0]["text"].startswith("Chapter One.")
    assert parts["retain_corpus"][0]["id"] == "books-retain_corpus-00000"


def test_wmdp_cyber_parts_and_values():
    parts = load_hub("wmdp", FIXTURES)
    assert set(parts) == WMDP_PARTS
    _check_ids(parts)
    assert parts["forget"][0] == {
        "id": "wmdp-cyber-forget-00000",
        "split": "forget",
        "question": "In the invented Zephon network game, which token opens a gate?",
        "choices": ["A blue token", "A red token", "A green token", "A gold token"],
        "answer_index": 2,
        "answer": "A green token",
        "doc_id": "wmdp-cyber-forget-00000",
    }
    assert parts["forget"][1]["answer_index"] == 0
    assert parts["forget"][1]["answer"] == "7"
    assert parts["retain"] == []
    utility = parts["utility"]
    assert [r["subject"] for r in utility] == [
        "elementary_mathematics",
        "astronomy",
        "high_school_biology",
    ]
    assert utility[1]["answer"] == "Mars"
    assert all(r["split"] == "utility" and len(r["choices"]) == 4 for r in utility)
    assert all(r["answer"] == r["choices"][r["answer_index"]] for r in utility)
    assert [d["text"] for d in parts["forget_corpus"]] == [
        "Zephon gates open for green tokens only, says the invented rulebook."
    ]
    assert [d["split"] for d in parts["retain_corpus"]] == ["retain", "retain"]


def test_wmdp_bio_has_no_public_forget_corpus(caplog):
    with caplog.at_level(logging.WARNING, logger="unpactlib.hub"):
        parts = load_hub("wmdp", FIXTURES, wmdp_domain="bio")
    assert "not public" in caplog.text
    assert parts["forget_corpus"] == []
    assert [r["answer"] for r in parts["forget"]] == ["Moonfern"]
    assert parts["forget"][0]["id"] == "wmdp-bio-forget-00000"
    # two shards, read in name order
    assert [d["text"] for d in parts["retain_corpus"]] == [
        "Leaves turn towards light.",
        "Bees visit flowers for nectar.",
    ]
    assert parts["retain_corpus"][1]["id"] == "wmdp-bio-retain_corpus-00001"


@pytest.mark.parametrize(
    "kwargs, parameter",
    [
        ({"name": "tofu"}, "name"),
        ({"name": "wmdp", "wmdp_domain": "chem"}, "wmdp_domain"),
        ({"name": "news", "timeout": 0}, "timeout"),
    ],
)
def test_bad_arguments_name_the_parameter(kwargs, parameter):
    with pytest.raises(ParameterError, match=rf"^{parameter}="):
        load_hub(root=FIXTURES, **kwargs)


def test_missing_local_files_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="is not a folder"):
        load_hub("news", tmp_path / "nowhere")
    shutil.copytree(FIXTURES / "muse-bench" / "MUSE-News", tmp_path / "muse-bench" / "MUSE-News")
    (tmp_path / "muse-bench/MUSE-News/verbmem/forget-00000-of-00001.parquet").unlink()
    with pytest.raises(FileNotFoundError, match=r"muse-bench/MUSE-News/verbmem/forget-\*"):
        load_hub("news", tmp_path)


def test_patterns_match_whole_repo_paths():
    pattern = hub.MUSE_FILES["forget"]
    assert hub._matches("knowmem/forget_qa-00000-of-00001.parquet", pattern)
    assert not hub._matches("knowmem/forget_qa_icl-00000-of-00001.parquet", pattern)
    assert not hub._matches("knowmem/forget-qa.json", pattern)
    assert not hub._matches("old/knowmem/forget_qa-00000-of-00001.parquet", pattern)


# --- the network path, with no network --------------------------------------------------------


@pytest.fixture
def online(monkeypatch):
    """No offline switch set (whatever the environment says)."""
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", False)


@pytest.fixture
def no_downloads(monkeypatch):
    """Fail the test if anything gets past the reachability check to the hub client."""

    def boom(*args, **kwargs):
        raise AssertionError("the hub client was called")

    monkeypatch.setattr(huggingface_hub, "HfApi", boom)
    monkeypatch.setattr(huggingface_hub, "hf_hub_download", boom)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _assert_unavailable(call, *, within: float) -> HubUnavailable:
    start = time.monotonic()
    with pytest.raises(HubUnavailable) as info:
        call()
    assert time.monotonic() - start < within
    assert 'source="synthetic"' in str(info.value)
    return info.value


def test_offline_switch_raises_at_once(monkeypatch, no_downloads):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")

    def no_probe(*args, **kwargs):
        raise AssertionError("probed the network in offline mode")

    monkeypatch.setattr(hub.socket, "create_connection", no_probe)
    error = _assert_unavailable(lambda: load_hub("news"), within=1.0)
    assert "HF_HUB_OFFLINE" in str(error)


def test_unreachable_endpoint_raises_quickly(monkeypatch, online, no_downloads):
    monkeypatch.setattr(hf_constants, "ENDPOINT", f"http://127.0.0.1:{_closed_port()}")
    _assert_unavailable(lambda: load_hub("wmdp", timeout=2.0), within=2.0)


def test_dns_failure_raises_quickly(monkeypatch, online, no_downloads):
    def no_such_host(*args, **kwargs):
        raise socket.gaierror(-2, "Name or service not known")

    monkeypatch.setattr(hub.socket, "create_connection", no_such_host)
    error = _assert_unavailable(lambda: load_hub("books"), within=1.0)
    assert "Name or service not known" in str(error)


def test_hanging_probe_is_cut_at_the_timeout(monkeypatch, online, no_downloads):
    release = threading.Event()

    def hang(*args, **kwargs):
        release.wait(10)
        raise OSError("released")

    monkeypatch.setattr(hub.socket, "create_connection", hang)
    try:
        error = _assert_unavailable(lambda: load_hub("news", timeout=0.2), within=1.5)
    finally:
        release.set()
    assert "within 0.2 s" in str(error)


class _FakeInfo:
    def __init__(self, repo_dir: Path) -> None:
        self.sha = "0" * 40
        self.siblings = [
            type("Sibling", (), {"rfilename": p.relative_to(repo_dir).as_posix()})()
            for p in repo_dir.rglob("*")
            if p.is_file()
        ]


def test_download_path_selects_the_hub_files(monkeypatch, online):
    """With the probe passed, files are listed and fetched through huggingface_hub."""
    fetched = []

    class FakeApi:
        def dataset_info(self, repo, *, timeout):
            assert timeout == 3.0
            return _FakeInfo(FIXTURES / repo)

    def fake_download(repo, filename, *, repo_type, revision, etag_timeout):
        assert (repo_type, revision, etag_timeout) == ("dataset", "0" * 40, 3.0)
        fetched.append(f"{repo}/{filename}")
        return str(FIXTURES / repo / filename)

    monkeypatch.setattr(hub, "_check_hub_reachable", lambda name, timeout: None)
    monkeypatch.setattr(huggingface_hub, "HfApi", FakeApi)
    monkeypatch.setattr(huggingface_hub, "hf_hub_download", fake_download)
    assert load_hub("books", timeout=3.0) == load_hub("books", FIXTURES)
    assert "muse-bench/MUSE-Books/knowmem/retain2_qa-00000-of-00001.parquet" not in fetched
    assert len(fetched) == 7


def test_download_failure_becomes_hub_unavailable(monkeypatch, online):
    class FailingApi:
        def dataset_info(self, repo, *, timeout):
            raise ConnectionError("connection reset")

    monkeypatch.setattr(hub, "_check_hub_reachable", lambda name, timeout: None)
    monkeypatch.setattr(huggingface_hub, "HfApi", FailingApi)
    error = _assert_unavailable(lambda: load_hub("news"), within=1.0)
    assert "connection reset" in str(error)


def test_load_benchmark_hub_source_uses_the_same_records():
    from unpactlib.benchmarks import load_benchmark

    news = load_benchmark("news", source="hub", root=FIXTURES)
    assert set(news.splits) == {"forget", "retain"}
    assert news.verbmem and news.corpus_texts()
    assert all({"question", "answer"} <= set(r) for r in news.train_records())
    wmdp = load_benchmark("wmdp", source="hub", root=FIXTURES)
    assert set(wmdp.splits) == {"forget", "utility"}  # WMDP has no retain questions
    assert wmdp.train_records() and all(r["answer"] in "ABCD" for r in wmdp.train_records())
    # no paraphrases and no retain_train on the hub: no paraphrased splits, unlearning's
    # retain data is the retain split
    assert news.split_names() == ["forget", "retain"]
    forget, retain = news.unlearning_sets()
    assert [r["id"] for r in retain] == [r["id"] for r in news["retain"]]
    assert [r["id"] for r in forget] == [r["id"] for r in news["forget"]]
