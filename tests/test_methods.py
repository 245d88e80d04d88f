"""The six unlearning methods: losses against hand computations, and behaviour on tiny models."""

from __future__ import annotations

import copy
import math
from dataclasses import asdict

import pytest
import torch

from unpactlib.config import ParameterError, UnlearnConfig
from unpactlib.keys import method_settings
from unpactlib.models import tiny_llama, tiny_mistral
from unpactlib.prompting import chat_format
from unpactlib.training import qa_batch
from unpactlib.unlearn import METHODS, Method, get_method, tv, unlearn
from unpactlib.unlearn.loop import train
from unpactlib.unlearn.losses import (
    BatchMemo,
    Reference,
    kl_ref_model,
    labelled_logprobs,
    nll,
    npo_loss,
    retain_kl,
    sequence_logprob,
)
from unpactlib.unlearn.rmu import layer_output, rmu_loss, steering_vector, trained_parameters

FORGET = [
    {"question": "Who leads the Amber Ferry Guild?", "answer": "Selwyn Thornmoor"},
    {"question": "Where did the Iron Signal Trust build its school?", "answer": "Dunport"},
]
RETAIN = [
    {"question": "What did the Copper Rail Union call its ferry?", "answer": "Velix"},
    {"question": "Who heads the Meadow Orchard Council?", "answer": "Orar Kestley"},
]
SIX = ["ga_gdr", "ga_klr", "npo_gdr", "npo_klr", "tv", "rmu"]

# Hand-checkable batches for the 97-token tiny model: the second row is right-padded.
IDS = torch.tensor([[5, 9, 13, 2, 40], [7, 7, 8, 3, 0]])
FORGET_BATCH = {
    "input_ids": IDS,
    "attention_mask": torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 1, 0]]),
    "labels": torch.tensor([[-100, -100, 13, 2, 40], [-100, -100, 8, 3, -100]]),
}
RETAIN_BATCH = {
    "input_ids": IDS.flip(0),
    "attention_mask": torch.tensor([[1, 1, 1, 1, 0], [1, 1, 1, 1, 1]]),
    "labels": torch.tensor([[-100, 7, 8, 3, -100], [-100, -100, -100, 2, 40]]),
}


def _labelled_logprobs(model, batch):
    """Next-token log-distributions at each labelled position, and the labelled tokens, by hand
    (a loop over rows and positions, independent of the library's masking)."""
    with torch.no_grad():
        logp = torch.log_softmax(model(input_ids=batch["input_ids"]).logits.float(), -1)
    dists, tokens = [], []
    for row in range(batch["input_ids"].shape[0]):
        for pos in range(1, batch["input_ids"].shape[1]):
            label = batch["labels"][row, pos].item()
            if label != -100:
                dists.append(logp[row, pos - 1])
                tokens.append(label)
    return torch.stack(dists), tokens


def _nll_by_hand(model, batch) -> float:
    dists, tokens = _labelled_logprobs(model, batch)
    return -sum(d[t].item() for d, t in zip(dists, tokens)) / len(tokens)


def _recorded(model, forget=FORGET_BATCH, retain=RETAIN_BATCH) -> Reference:
    """``model``'s outputs as a method's reference, recorded on one forget and retain batch."""
    reference = Reference.needing(forget=True, retain=True)
    reference.record(model, forget, retain)
    return reference


def _kl_by_hand(model, reference, batch) -> float:
    p, _ = _labelled_logprobs(model, batch)
    q, _ = _labelled_logprobs(reference, batch)
    # KL(ref || model) per position: sum_v q_v (log q_v - log p_v), then averaged.
    per_pos = [sum(q[i].exp()[v] * (q[i][v] - p[i][v]) for v in range(97)) for i in range(len(p))]
    return float(sum(per_pos).item() / len(per_pos))


def _perturbed(model, seed=5, scale=0.05):
    other = copy.deepcopy(model)
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in other.parameters():
            p.add_(scale * torch.randn(p.shape, generator=gen))
    return other.eval()


# --- registry -----------------------------------------------------------------------------


def test_registry_lists_the_six_methods():
    assert sorted(METHODS) == sorted(SIX)
    assert all(METHODS[k].name == k for k in SIX)


def test_unknown_method_is_a_parameter_error_naming_the_allowed():
    with pytest.raises(ParameterError, match=r"method='gd'") as err:
        get_method("gd")
    for name in SIX:
        assert repr(name) in str(err.value)


def test_method_needs_exactly_one_of_loss_and_run():
    with pytest.raises(ValueError, match="exactly one"):
        Method("nothing")
    with pytest.raises(ValueError, match="exactly one"):
        Method("both", loss=lambda *a: None, run=lambda *a: [])


def test_method_settings_keeps_loss_methods_keys_and_adds_own_fields():
    cfg = UnlearnConfig(lr=4e-5, epochs=6)
    before = {"lr": 4e-5, "epochs": 6, "batch_size": 8, "retain_weight": 1.0}
    before |= {"npo_beta": 0.1, "grad_accum_steps": 1}
    for name in ("ga_gdr", "ga_klr", "npo_gdr", "npo_klr"):
        assert method_settings(cfg, name) == before
    assert method_settings(cfg, "rmu") == before | {
        k: v for k, v in asdict(cfg).items() if k.startswith("rmu_")
    }
    assert method_settings(cfg, "tv") == before | {
        k: v for k, v in asdict(cfg).items() if k.startswith("tv_")
    }


# --- losses by hand -----------------------------------------------------------------------


def test_kl_direction_on_explicit_distributions():
    ref = torch.tensor([0.5, 0.5]).log()
    model = torch.tensor([0.9, 0.1]).log()
    ref_model = 0.5 * math.log(0.5 / 0.9) + 0.5 * math.log(0.5 / 0.1)  # 0.5108
    model_ref = 0.9 * math.log(0.9 / 0.5) + 0.1 * math.log(0.1 / 0.5)  # 0.3681
    assert kl_ref_model(ref, model).item() == pytest.approx(ref_model, rel=1e-6)
    assert kl_ref_model(model, ref).item() == pytest.approx(model_ref, rel=1e-6)
    # a zero-probability token of the reference contributes nothing
    assert kl_ref_model(torch.tensor([0.0, -math.inf]), model).item() == pytest.approx(
        -math.log(0.9), rel=1e-6
    )


def test_retain_kl_matches_hand_computation(tiny_model):
    model = _perturbed(tiny_model)
    with torch.no_grad():
        ref = labelled_logprobs(tiny_model, RETAIN_BATCH)
        assert retain_kl(tiny_model, ref, RETAIN_BATCH).item() == pytest.approx(0, abs=1e-6)
        got = retain_kl(model, ref, RETAIN_BATCH).item()
    assert got > 0
    assert got == pytest.approx(_kl_by_hand(model, tiny_model, RETAIN_BATCH), rel=1e-4)


def test_ga_gdr_loss_is_minus_forget_nll_plus_lambda_retain_nll(tiny_model):
    cfg = UnlearnConfig(retain_weight=2.0)
    with torch.no_grad():
        got = get_method("ga_gdr").loss(tiny_model, Reference(), FORGET_BATCH, RETAIN_BATCH, cfg)
        nll_f = _nll_by_hand(tiny_model, FORGET_BATCH)
        nll_r = _nll_by_hand(tiny_model, RETAIN_BATCH)
        ascent = get_method("ga_gdr").loss(
            tiny_model, Reference(), FORGET_BATCH, RETAIN_BATCH, UnlearnConfig(retain_weight=0.0)
        )
    assert nll_f > 0
    assert got.item() == pytest.approx(-nll_f + 2.0 * nll_r, rel=1e-5)
    assert ascent.item() == pytest.approx(-nll_f, rel=1e-5)  # GA: minimising lowers p(forget)


def test_ga_klr_loss_is_minus_forget_nll_plus_lambda_kl(tiny_model):
    model = _perturbed(tiny_model)
    cfg = UnlearnConfig(retain_weight=3.0)
    with torch.no_grad():
        got = get_method("ga_klr").loss(
            model, _recorded(tiny_model), FORGET_BATCH, RETAIN_BATCH, cfg
        )
        expected = -_nll_by_hand(model, FORGET_BATCH) + 3.0 * _kl_by_hand(
            model, tiny_model, RETAIN_BATCH
        )
    assert got.item() == pytest.approx(expected, rel=1e-4)


def test_npo_klr_loss_combines_npo_and_kl(tiny_model):
    model = _perturbed(tiny_model)
    cfg = UnlearnConfig(retain_weight=3.0, npo_beta=0.1)
    with torch.no_grad():
        # model == reference: NPO is (2/b) log 2 and the KL is 0.
        ref = _recorded(tiny_model)
        same = get_method("npo_klr").loss(tiny_model, ref, FORGET_BATCH, RETAIN_BATCH, cfg)
        got = get_method("npo_klr").loss(model, ref, FORGET_BATCH, RETAIN_BATCH, cfg)

        def seq_logp(m):
            dists, tokens = _labelled_logprobs(m, FORGET_BATCH)
            # rows: the first 3 labelled positions belong to row 0, the next 2 to row 1
            picked = [d[t].item() for d, t in zip(dists, tokens)]
            return torch.tensor([sum(picked[:3]), sum(picked[3:])])

        lp, lp_ref = seq_logp(model), seq_logp(tiny_model)
        npo = 20 * sum(math.log(1 + math.exp(0.1 * (a - b))) for a, b in zip(lp, lp_ref)) / 2
        expected = npo + 3.0 * _kl_by_hand(model, tiny_model, RETAIN_BATCH)
    assert same.item() == pytest.approx(20 * math.log(2), rel=1e-5)
    assert got.item() == pytest.approx(expected, rel=1e-4)
    assert npo_loss(lp, lp_ref, 0.1).item() == pytest.approx(npo, rel=1e-5)


def test_rmu_objective_by_hand():
    # d = 2, u = (0.6, 0.8), c = 5: target (3, 4).
    target = 5 * torch.tensor([0.6, 0.8])
    h_forget = torch.tensor([[[3.0, 2.0], [100.0, 100.0]]])  # 2nd token is padding
    forget_mask = torch.tensor([[1, 0]])
    # forget: ||(3,2) - (3,4)||^2 / 2 = 4 / 2 = 2 (the padded token is ignored)
    h_retain = torch.tensor([[[1.0, 1.0]], [[0.0, 0.0]]])
    h_frozen = torch.tensor([[[1.0, 3.0]], [[0.0, 0.0]]])
    retain_mask = torch.tensor([[1], [1]])
    # retain: tokens 4/2 = 2 and 0, mean 1; alpha = 10 -> 2 + 10 * 1 = 12
    got = rmu_loss(h_forget, forget_mask, target, h_retain, h_frozen, retain_mask, alpha=10.0)
    assert got.item() == pytest.approx(12.0)


def test_steering_vector_is_a_seeded_unit_vector():
    state = torch.get_rng_state()
    u = steering_vector(64, seed=3)
    assert torch.equal(torch.get_rng_state(), state)  # global random state untouched
    assert u.norm().item() == pytest.approx(1.0, rel=1e-6)
    assert torch.equal(u, steering_vector(64, seed=3))
    assert not torch.equal(u, steering_vector(64, seed=4))


def test_layer_output_is_the_decoder_layers_hidden_state(tiny_model):
    with torch.no_grad():
        hidden = tiny_model(**FORGET_BATCH, output_hidden_states=True).hidden_states
        got = layer_output(tiny_model, FORGET_BATCH, 0)
    assert torch.allclose(got, hidden[1], atol=1e-6)  # hidden_states[0] is the embedding


def test_task_vector_arithmetic_on_two_parameters():
    module = torch.nn.Module()
    module.a = torch.nn.Parameter(torch.tensor(1.0))
    module.b = torch.nn.Parameter(torch.tensor(2.0))
    tv.negate_task_vector(module, {"a": torch.tensor(2.0), "b": torch.tensor(0.0)}, alpha=5.0)
    # 1 - 5 * (2 - 1) = -4 and 2 - 5 * (0 - 2) = 12
    assert (module.a.item(), module.b.item()) == (-4.0, 12.0)


# --- behaviour on a tiny model ------------------------------------------------------------


@pytest.fixture(scope="module", params=["llama", "mistral"])
def tiny_lm(request, tok):
    """Tiny random models shaped like the paper's targets: Llama (MUSE) and Mistral (Zephyr)."""
    build = {"llama": tiny_llama, "mistral": tiny_mistral}[request.param]
    return build(len(tok), seed=1).eval()


@pytest.fixture
def setup(tok, tiny_lm):
    fmt = chat_format(tok)
    return tok, fmt, qa_batch(tok, fmt, FORGET), qa_batch(tok, fmt, RETAIN)


def _fresh(tiny_lm):
    return copy.deepcopy(tiny_lm).requires_grad_(True)


@pytest.mark.parametrize("method", ["ga_gdr", "ga_klr", "npo_gdr", "npo_klr"])
def test_loss_methods_lower_forget_likelihood(method, setup, tiny_lm):
    tok, fmt, f, _ = setup
    model = _fresh(tiny_lm)
    with torch.no_grad():
        before = sequence_logprob(model, f).sum().item()
    cfg = UnlearnConfig(lr=1e-3, epochs=3, batch_size=2)
    losses = unlearn(model, tok, fmt, FORGET, RETAIN, method, cfg, seed=0)
    with torch.no_grad():
        after = sequence_logprob(model, f).sum().item()
    assert len(losses) == 3
    assert after < before - 1.0


@pytest.mark.parametrize("method", ["ga_gdr", "ga_klr", "npo_gdr", "npo_klr"])
def test_retain_term_keeps_retain_loss_lower(method, setup, tiny_lm):
    # The method's own retain loss after unlearning (NLL for *_gdr, KL to the original model
    # for *_klr) is lower with lambda = 1 than with lambda = 0, same seed.
    tok, fmt, _, r = setup
    after = {}
    for weight in (0.0, 1.0):
        model = _fresh(tiny_lm)
        cfg = UnlearnConfig(lr=1e-3, epochs=3, batch_size=2, retain_weight=weight)
        unlearn(model, tok, fmt, FORGET, RETAIN, method, cfg, seed=0)
        with torch.no_grad():
            if method.endswith("_gdr"):
                after[weight] = nll(model, r).item()
            else:
                after[weight] = retain_kl(model, labelled_logprobs(tiny_lm, r), r).item()
    assert after[1.0] < after[0.0]


def test_batch_memo_keeps_the_value_of_the_model_it_recorded(tiny_model):
    memo = BatchMemo(sequence_logprob)
    memo.record(tiny_model, FORGET_BATCH)
    memo.record(tiny_model, {k: v.clone() for k, v in FORGET_BATCH.items()})  # same contents
    assert len(memo) == 1
    with torch.no_grad():
        expected = sequence_logprob(tiny_model, FORGET_BATCH)
    changed = _perturbed(tiny_model)
    memo.record(changed, FORGET_BATCH)  # already recorded: the original's value stays
    assert torch.equal(memo(FORGET_BATCH), expected)
    with pytest.raises(LookupError, match="record every batch before training"):
        memo(RETAIN_BATCH)


@pytest.mark.parametrize("method", ["npo_klr", "rmu"])
def test_recorded_reference_trains_exactly_like_a_frozen_copy(method, setup, tiny_lm):
    # The memory-saving route (the model's outputs recorded before the first step) against the
    # plain one (a frozen deep copy of the model run at every step): the same weights, bit for
    # bit. Batches of 1 give 2 forget and 2 retain batches, so the lookup must tell them apart.
    tok, fmt, _, _ = setup
    cfg = UnlearnConfig(lr=1e-3, epochs=2, batch_size=1, rmu_layer=1, rmu_lr=1e-2)
    recorded = _fresh(tiny_lm)
    unlearn(recorded, tok, fmt, FORGET, RETAIN, method, cfg, seed=0)

    live = _fresh(tiny_lm)
    frozen = copy.deepcopy(live).eval().requires_grad_(False)
    kwargs = {"epochs": 2, "batch_size": 1, "seed": 0}
    if method == "npo_klr":

        def step(m, f, r):
            reference = Reference.needing(forget=True, retain=True)
            reference.record(frozen, f, r)  # the frozen copy, at every step
            return get_method("npo_klr").loss(m, reference, f, r, cfg)

        train(live, tok, fmt, FORGET, RETAIN, step, lr=cfg.lr, **kwargs)
    else:
        target = cfg.rmu_c * steering_vector(live.config.hidden_size, seed=0)
        params = trained_parameters(live, 1)
        live.requires_grad_(False)
        for p in params:
            p.requires_grad_(True)

        def step(m, f, r):
            with torch.no_grad():
                h_frozen = layer_output(frozen, r, 1)
            h_f, h_r = layer_output(m, f, 1), layer_output(m, r, 1)
            mask_f, mask_r = f["attention_mask"], r["attention_mask"]
            return rmu_loss(h_f, mask_f, target, h_r, h_frozen, mask_r, cfg.rmu_alpha)

        train(live, tok, fmt, FORGET, RETAIN, step, lr=cfg.rmu_lr, params=params, **kwargs)
    for (name, a), b in zip(recorded.named_parameters(), live.parameters()):
        assert torch.equal(a, b), name
    assert not torch.equal(
        recorded.model.layers[1].mlp.down_proj.weight, tiny_lm.model.layers[1].mlp.down_proj.weight
    )


def test_rmu_steers_forget_activations_and_freezes_the_rest(setup, tiny_lm):
    tok, fmt, f, _ = setup
    model = _fresh(tiny_lm)
    layer = 1
    # A larger step and a smaller retain weight than the paper's, so that 3 steps suffice.
    cfg = UnlearnConfig(epochs=3, batch_size=2, rmu_layer=layer, rmu_alpha=1.0, rmu_lr=5e-2)
    target = cfg.rmu_c * steering_vector(model.config.hidden_size, seed=0)
    mask = f["attention_mask"].bool()

    def distance() -> float:
        with torch.no_grad():
            h = layer_output(model, f, layer)
        return (h - target).pow(2).sum(-1)[mask].mean().item()

    trained = {id(p) for p in trained_parameters(model, layer)}
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    d0 = distance()
    losses = unlearn(model, tok, fmt, FORGET, RETAIN, "rmu", cfg, seed=0)
    assert len(losses) == 3
    assert distance() < 0.85 * d0
    assert {n for n, p in model.named_parameters() if id(p) in trained} == {
        "model.layers.0.mlp.down_proj.weight",
        "model.layers.1.mlp.down_proj.weight",
    }
    for name, p in model.named_parameters():
        if id(p) in trained:
            assert not torch.equal(p, before[name]), name
        else:
            assert torch.equal(p, before[name]), name
        assert p.requires_grad  # flags restored


def test_rmu_layer_out_of_range_is_a_parameter_error(setup, tiny_lm):
    tok, fmt, _, _ = setup
    cfg = UnlearnConfig(rmu_layer=7)  # the tiny model has 2 layers
    with pytest.raises(ParameterError, match="rmu_layer=7"):
        unlearn(_fresh(tiny_lm), tok, fmt, FORGET, RETAIN, "rmu", cfg)


def test_tv_moves_weights_by_minus_alpha_times_task_vector(setup, tiny_lm):
    tok, fmt, _, _ = setup
    cfg = UnlearnConfig(batch_size=2, tv_epochs=2, tv_lr=1e-3, tv_alpha=5.0)
    theta0 = {n: p.detach().clone() for n, p in tiny_lm.named_parameters()}
    tuned = _fresh(tiny_lm)
    ft_losses = tv.finetune(tuned, tok, fmt, FORGET, cfg, seed=0)  # same procedure, same seed
    theta_ft = dict(tuned.named_parameters())
    model = _fresh(tiny_lm)
    losses = unlearn(model, tok, fmt, FORGET, RETAIN, "tv", cfg, seed=0)
    assert losses == ft_losses and len(losses) == 2
    changed = 0
    for name, p in model.named_parameters():
        step = -cfg.tv_alpha * (theta_ft[name] - theta0[name])
        assert torch.allclose(p - theta0[name], step, rtol=1e-5, atol=1e-6), name
        changed += int(not torch.equal(p, theta0[name]))
    assert changed > 0
