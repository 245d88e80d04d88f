"""measure/gpu_record.py: what a GPU run sends back is read into this checkout."""

from __future__ import annotations

import tarfile

import gpu_record  # measure/ is on pytest's pythonpath


def test_machine_reads_the_device_versions_and_the_run():
    text = (
        "name, memory.total [MiB], driver_version\n"
        "NVIDIA H200, 143771 MiB, 580.159.04\n"
        "torch 2.11.0+cu130 transformers 5.17.0\n"
        "make results: exit 0, 412 s wall\n"
    )
    assert gpu_record.machine(text) == {
        "device": "NVIDIA H200",
        "memory": "143771 MiB",
        "driver": "580.159.04",
        "torch": "2.11.0+cu130",
        "transformers": "5.17.0",
        "make_results_exit": 0,
        "make_results_seconds": 412,
    }


def test_unpack_takes_only_seed_zero_runs_of_the_profile(tmp_path):
    src = tmp_path / "src" / "data" / "results" / "embedded"
    for run in ("news__target__s0", "news__rmu__s0", "news__rmu__s1"):
        (src / run).mkdir(parents=True)
        (src / run / "metrics.json").write_text("{}")
    archive = tmp_path / "results.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tmp_path / "src" / "data", arcname="data")
    into = tmp_path / "into"
    into.mkdir()
    assert gpu_record.unpack(archive, "embedded", into) == ["news__rmu__s0", "news__target__s0"]
    assert sorted(p.name for p in into.iterdir()) == ["news__rmu__s0", "news__target__s0"]
