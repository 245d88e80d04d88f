"""scripts/bench_throughput.py: its FLOP counts, throughput arithmetic and padding shares, and
one quick run end to end on a tiny model."""

from __future__ import annotations

import importlib.util
import math
import sys
from dataclasses import replace

import pytest
import torch
from transformers import LlamaConfig

import unpactlib
from unpactlib.models import tiny_llama
from unpactlib.paths import REPO_ROOT
from unpactlib.results import read_json
from unpactlib.training import IGNORE

_spec = importlib.util.spec_from_file_location(
    "bench_throughput", REPO_ROOT / "scripts" / "bench_throughput.py"
)
bt = importlib.util.module_from_spec(_spec)
sys.modules["bench_throughput"] = bt
_spec.loader.exec_module(bt)

# SmolLM2-135M's shape (the embedded model's config.json)
SMOLLM2 = LlamaConfig(
    hidden_size=576,
    intermediate_size=1536,
    num_hidden_layers=30,
    num_attention_heads=9,
    num_key_value_heads=3,
    head_dim=64,
    vocab_size=49152,
    tie_word_embeddings=True,
)


def test_body_params_by_hand_for_smollm2():
    # per layer: q 576x576, k and v 576x192, o 576x576, MLP 3 x 576x1536, two norms of 576
    layer = 576 * 576 + 2 * 576 * 192 + 576 * 576 + 3 * 576 * 1536 + 2 * 576
    assert layer == 3_540_096
    assert bt.body_params(SMOLLM2) == 30 * layer + 576 == 106_203_456
    assert bt.head_params(SMOLLM2) == 576 * 49152 == 28_311_552
    # tied: body + head is the whole parameter count, SmolLM2-135M's 134.5M
    assert bt.body_params(SMOLLM2) + bt.head_params(SMOLLM2) == 134_515_008


def test_body_params_match_a_real_model():
    model = tiny_llama(vocab_size=97)
    embedding = model.get_input_embeddings().weight.numel()
    total = sum(p.numel() for p in model.parameters())  # tied: the head is the embedding
    assert bt.body_params(model.config) == total - embedding
    # 2 layers of hidden 64, 4 heads of 16 over 2 key-value heads, MLP 128
    layer = 64 * 64 + 2 * 64 * 32 + 64 * 64 + 3 * 64 * 128 + 2 * 64
    assert bt.body_params(model.config) == 2 * layer + 64


def test_model_flops_formulas():
    n = bt.body_params(SMOLLM2) + bt.head_params(SMOLLM2)
    assert bt.train_flops(SMOLLM2, 100) == 6 * n * 100
    assert bt.forward_flops(SMOLLM2, 100) == 2 * n * 100
    # executed: 100 padded positions, 10 through the head, every layer recomputed (8 x body)
    body, head = bt.body_params(SMOLLM2), bt.head_params(SMOLLM2)
    assert bt.executed_train_flops(SMOLLM2, 100, 10, 30) == pytest.approx(
        8 * body * 100 + 6 * head * 10
    )
    assert bt.executed_train_flops(SMOLLM2, 100, 10, 0) == 6 * body * 100 + 6 * head * 10
    assert bt.executed_forward_flops(SMOLLM2, 100, 4) == 2 * body * 100 + 2 * head * 4
    assert bt.mm_flops(2, 3, 4) == 48


def test_checkpointed_layers():
    assert bt.checkpointed_layers(30, 0) == 0
    assert bt.checkpointed_layers(30, 1) == 30
    assert bt.checkpointed_layers(30, 4) == 8  # layers 0, 4, ..., 28


def test_throughput_and_fraction_arithmetic():
    row = bt.work_row("w", tokens=500, seconds=2.0, flops=4e11, peak_gflops=100.0, executed=6e11)
    assert row["tokens/s"] == 250
    assert row["GFLOP/s"] == pytest.approx(200)
    assert row["fraction of peak"] == pytest.approx(2.0)
    assert row["executed GFLOP/s"] == pytest.approx(300)
    empty = bt.work_row("opt", tokens=None, seconds=1.0, flops=None, peak_gflops=100.0)
    assert empty["tokens/s"] is None and empty["GFLOP/s"] is None
    assert math.isnan(bt.per_second(1, 0.0))
    assert bt.fraction_of_peak(25.0, 100.0) == 0.25


def _batch(lengths: list[int], labelled: list[list[int]] | None = None) -> dict:
    width = max(lengths)
    mask = torch.zeros((len(lengths), width), dtype=torch.long)
    labels = torch.full((len(lengths), width), IGNORE)
    for row, n in enumerate(lengths):
        mask[row, :n] = 1
        for pos in (labelled or [[]] * len(lengths))[row]:
            labels[row, pos] = 5
    return {"input_ids": mask.clone(), "attention_mask": mask, "labels": labels}


def test_padding_share_of_hand_built_batches():
    a = _batch([4, 2, 3])  # 12 positions, 9 real
    b = _batch([5, 5])  # 10 positions, no padding
    assert bt.all_tokens(a) == 12 and bt.real_tokens(a) == 9
    assert bt.padding_share([a]) == pytest.approx(3 / 12)
    assert bt.padding_share([a, b]) == pytest.approx(3 / 22)
    # by length: [2, 3] -> 6 positions, [4, 5] -> 10, [5] -> 5: 21 positions for 19 tokens
    assert bt.sorted_padding_share([4, 2, 3, 5, 5], 2) == pytest.approx(2 / 21)


def test_head_positions_and_kept_positions():
    # labels at positions 2, 3 (row 0) and 3 (row 1): the positions before them, 1 and 2,
    # go through the head in both rows
    batch = _batch([4, 4], [[2, 3], [3]])
    assert bt.head_positions(batch) == 2 * 2
    assert bt.kept_positions(0, 7) == 7
    assert bt.kept_positions(1, 7) == 1
    assert bt.kept_positions(torch.tensor([0, 3, 4]), 7) == 3


def test_step_product_seconds_counts_every_layer():
    config = tiny_llama(vocab_size=97).config
    products = bt.model_products(config, 10, 4, "qa batch", backward=True)
    names = {p.name for p in products}
    assert "qa batch: v_proj forward" not in names  # timed as k_proj
    seconds = dict.fromkeys(names, 1.0)
    # 7 linears x (3 + 1 recomputed) x 2 layers, plus the head's 3
    assert bt.step_product_seconds(config, seconds, "qa batch", 2) == 7 * 4 * 2 + 3


def test_weight_copies_are_distinct_views():
    pool = torch.arange(20.0)
    copies = bt.weight_copies(pool, (2, 3))
    assert len(copies) == 3 and all(c.shape == (2, 3) for c in copies)
    assert copies[1][0, 0] == 6 and copies[2][1, 2] == 17
    assert len(bt.weight_copies(pool, (5, 5))) == 1  # larger than the pool: one of its own


def test_counting_hook(tiny_model):
    ids = torch.tensor([[0, 0, 5, 6], [1, 2, 3, 4]])
    mask = torch.tensor([[0, 0, 1, 1], [1, 1, 1, 1]])
    with bt.counting(tiny_model) as count, torch.no_grad():
        tiny_model(input_ids=ids, attention_mask=mask, logits_to_keep=1)
    assert (count.calls, count.positions, count.real, count.head) == (1, 8, 6, 2)


def test_epoch_batches_follow_finetune_target(tok):
    bench = unpactlib.load_benchmark("news").subset(4)
    qa = math.ceil(len(bench.train_records()) / 4)
    forget_docs = math.ceil(len(bench.corpus_texts(("forget",))) / 4)
    every_doc = math.ceil(len(bench.corpus_texts()) / 4)
    epoch = bt.epoch_batches(tok, bench, 4)
    assert sorted(k for k, _ in epoch) == ["qa"] * qa + ["text"] * forget_docs
    epoch = bt.epoch_batches(tok, bench, 4, corpus="trained")
    assert sorted(k for k, _ in epoch) == ["qa"] * qa + ["text"] * every_doc


@pytest.fixture
def one_thread():
    """One torch thread for the test (as the script's default), restored afterwards."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_quick_run_end_to_end(tok, tmp_path, one_thread):
    model = tiny_llama(vocab_size=len(tok), seed=1).eval()
    profile = unpactlib.get_profile("embedded")
    bench = unpactlib.load_benchmark("news").subset(2)  # one QA batch, one text batch
    settings = replace(bt.QUICK, steps=1, squares=(32, 64), min_seconds=0.0, pool_mb=4)
    result = bt.measure(model, tok, profile, bench, settings)
    works = [r["work"] for r in result.rows]
    assert any("real tokens" in w for w in works)
    assert any("activation checkpointing off" in w for w in works)
    assert any(w.startswith("greedy answering") for w in works)
    assert all(r["seconds"] > 0 for r in result.rows)
    assert 0 <= result.summary["epoch: padding share, all batches"] < 1
    text = bt.report(result, bt.header(model, profile, 1, unpactlib.results.environment()))
    md, js = bt.write_outputs(text, {"rows": result.rows}, "cpu", tmp_path)
    assert md.read_text().startswith("# Throughput")
    assert read_json(js)["rows"][0]["work"] == works[0]
