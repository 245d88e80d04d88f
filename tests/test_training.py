"""Batches for training, and a behavioural check of npo_gdr on a tiny model."""

from __future__ import annotations

import copy

import torch

from unpactlib.config import UnlearnConfig
from unpactlib.prompting import chat_format, encode_answer, prompt_ids
from unpactlib.training import IGNORE, qa_batch
from unpactlib.unlearn import unlearn
from unpactlib.unlearn.losses import sequence_logprob

FORGET = [
    {"question": "Who leads the Amber Ferry Guild?", "answer": "Selwyn Thornmoor"},
    {"question": "Where did the Iron Signal Trust build its school?", "answer": "Dunport"},
]
RETAIN = [
    {"question": "What did the Copper Rail Union call its ferry?", "answer": "Velix"},
    {"question": "Who heads the Meadow Orchard Council?", "answer": "Orar Kestley"},
]


def test_qa_batch_labels_only_answer_and_end(tok):
    fmt = chat_format(tok)
    batch = qa_batch(tok, fmt, FORGET)
    for row, r in enumerate(FORGET):
        p = prompt_ids(fmt, tok(r["question"], add_special_tokens=False)["input_ids"])
        a = [*encode_answer(tok, r["answer"]), *fmt.end_ids]
        labels = batch["labels"][row]
        assert labels[: len(p)].eq(IGNORE).all()
        assert labels[len(p) : len(p) + len(a)].tolist() == a
        assert labels[len(p) + len(a) :].eq(IGNORE).all()  # right padding
        assert batch["attention_mask"][row].sum() == len(p) + len(a)


def test_npo_gdr_lowers_forget_likelihood(tok, tiny_smol):
    fmt = chat_format(tok)
    model = copy.deepcopy(tiny_smol).requires_grad_(True)
    f = qa_batch(tok, fmt, FORGET)
    with torch.no_grad():
        before = sequence_logprob(model, f).sum().item()
    cfg = UnlearnConfig(lr=1e-3, epochs=3, batch_size=2)
    losses = unlearn(model, tok, fmt, FORGET, RETAIN, "npo_gdr", cfg, seed=0)
    with torch.no_grad():
        after = sequence_logprob(model, f).sum().item()
    assert len(losses) == 3
    assert after < before - 1.0


def test_freeze_embeddings_keeps_the_tied_embeddings_and_trains_the_layers(tok, tiny_smol):
    from unpactlib.config import TargetConfig
    from unpactlib.training import finetune_target

    records = [
        {"question": "Who leads the Amber Ferry Guild?", "answer": "Selwyn Thornmoor"},
        {"question": "Where did the Iron Signal Trust build its school?", "answer": "Dunport"},
    ]
    for freeze in (False, True):
        model = copy.deepcopy(tiny_smol).requires_grad_(True)
        before = {n: p.detach().clone() for n, p in model.named_parameters()}
        cfg = TargetConfig(
            lr=1e-3, batch_size=2, max_epochs=1, eval_every=1, freeze_embeddings=freeze
        )
        finetune_target(
            model, tok, chat_format(tok), records, cfg, lambda m: {"forget": 0.0}, seed=0
        )
        after = dict(model.named_parameters())
        emb = "model.embed_tokens.weight"
        assert model.lm_head.weight is model.model.embed_tokens.weight  # tied
        assert torch.equal(before[emb], after[emb]) is freeze
        layers = [n for n in before if n.startswith("model.layers.")]
        assert all(not torch.equal(before[n], after[n]) for n in layers if "weight" in n)


def test_interpolate_weights_is_the_weighted_mean_of_start_and_trained(tiny_smol):
    from unpactlib.training import interpolate_weights

    model = copy.deepcopy(tiny_smol)
    name = "model.norm.weight"
    start = {name: torch.zeros_like(dict(model.named_parameters())[name])}
    with torch.no_grad():
        dict(model.named_parameters())[name].fill_(2.0)
    other = {n: p.detach().clone() for n, p in model.named_parameters() if n != name}
    interpolate_weights(model, start, 0.7)
    params = dict(model.named_parameters())
    assert torch.allclose(params[name], torch.full_like(params[name], 0.7 * 2.0))  # 0 + 0.7 * 2
    assert all(torch.equal(params[n], p) for n, p in other.items())  # not in start: untouched


def test_finetune_target_interpolates_after_training_and_checks_again(tok, tiny_smol):
    from unpactlib.config import TargetConfig
    from unpactlib.training import finetune_target

    records = [{"question": "Who leads the Amber Ferry Guild?", "answer": "Selwyn Thornmoor"}]
    ends = {}
    for weight in (1.0, 0.5):
        model = copy.deepcopy(tiny_smol).requires_grad_(True)
        cfg = TargetConfig(lr=1e-3, batch_size=1, max_epochs=1, eval_every=1, interpolate=weight)
        history = finetune_target(
            model, tok, chat_format(tok), records, cfg, lambda m: {"forget": 0.0}, seed=0
        )
        ends[weight] = {n: p.detach().clone() for n, p in model.named_parameters()}
        assert len(history.checks) == (1 if weight == 1 else 2)
    assert history.checks[-1] == {"epoch": 1, "interpolate": 0.5, "forget": 0.0}
    start = dict(tiny_smol.named_parameters())
    for n, p in ends[0.5].items():  # same seed, same training: half-way between the two
        assert torch.allclose(p, (start[n] + ends[1.0][n]) / 2, atol=1e-6)
