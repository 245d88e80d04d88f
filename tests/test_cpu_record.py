"""measure/cpu_record.py: another CPU's results are copied beside the committed ones."""

from __future__ import annotations

from pathlib import Path

import cpu_record  # measure/ is on pytest's pythonpath


def test_cpu_model_reads_the_model_name(tmp_path: Path) -> None:
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nmodel name\t: Intel(R) Xeon(R) Processor\nflags\t: fpu\n")
    assert cpu_record.cpu_model(info) == "Intel(R) Xeon(R) Processor"
    assert cpu_record.cpu_model(tmp_path / "missing") == ""


def test_copy_runs_replaces_the_folder_with_the_seed_0_runs(tmp_path: Path) -> None:
    source, into = tmp_path / "clone", tmp_path / "cpu_amx" / "embedded"
    for run in ("news__target__s0", "news__ga_gdr__s0", "news__ga_gdr__s1"):
        (source / run).mkdir(parents=True)
        (source / run / "metrics.json").write_text(run)
    (source / "timings.json").write_text("{}")
    (into / "old__run__s0").mkdir(parents=True)
    assert cpu_record.copy_runs(source, into) == ["news__ga_gdr__s0", "news__target__s0"]
    assert sorted(p.name for p in into.iterdir()) == ["news__ga_gdr__s0", "news__target__s0"]
    assert (into / "news__target__s0" / "metrics.json").read_text() == "news__target__s0"
