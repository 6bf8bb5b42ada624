"""Zen, MeCo, SWAP, AZ-NAS and VKDNW against their formulas on tiny hand-made networks, each
recomputed here another way (numpy spectra, analytic Jacobians, explicit pattern sets), with
the checks that catch a wrong sign, aggregation over layers, or pass sharing."""

import copy
import math
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from zeronas.data.sources import load_batch
from zeronas.data.tasks import get_dataset
from zeronas.fitness.combiners import Fitness
from zeronas.models.init import redraw
from zeronas.proxies import PROXY_SETS, get_proxy, parse_proxy_list, passes
from zeronas.proxies._protocol import gaussian_input
from zeronas.proxies.vkdnw import (
    activation_jacobian,
    fisher_factor,
    fisher_pass,
    generic_jacobian,
)
from zeronas.scoring.config import ScoringConfig
from zeronas.scoring.scorer import Scorer
from zeronas.spaces import get_space

ALPHA16 = float(torch.tensor(0.05, dtype=torch.float16))  # VKDNW smoothing, as stored
X = torch.randn(3, 2, 4, 4, generator=torch.Generator().manual_seed(0))


class Tiny(nn.Module):
    """stem (conv 1x1 + BN) -> two blocks (conv 1x1; conv 1x1 stride 2) -> pool -> linear."""

    def __init__(self, identity: bool = False) -> None:
        super().__init__()
        torch.manual_seed(3)
        self.stem = nn.Sequential(nn.Conv2d(2, 2, 1, bias=False), nn.BatchNorm2d(2))
        first = nn.Identity() if identity else nn.Conv2d(2, 2, 1, bias=False)
        self.cells = nn.Sequential(first, nn.Conv2d(2, 2, 1, stride=2, bias=False))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(2, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.pool(self.cells(self.stem(x))).flatten(1))


def _fresh(net: nn.Module, scheme: str, seed: int = 0) -> nn.Module:
    return redraw(copy.deepcopy(net), scheme, seed).train()


def _entropy_of_spectrum(feature: torch.Tensor) -> float:
    rows = feature.detach().permute(0, 2, 3, 1).reshape(-1, feature.shape[1]).double().numpy()
    rows = rows - rows.mean(axis=0)
    eig = np.linalg.eigvalsh(rows.T @ rows / len(rows))
    p = eig / eig.sum()
    return float(-(p * np.log(p + 1e-8)).sum())


def _block_score(g_in: np.ndarray, g_out: np.ndarray) -> float:
    n = g_out.shape[0] * g_out.shape[2] * g_out.shape[3]
    m = g_in.transpose(0, 2, 3, 1).reshape(n, -1).T @ g_out.transpose(0, 2, 3, 1).reshape(n, -1)
    sigma = np.linalg.svd(m / n, compute_uv=False).max()
    return -sigma - 1 / (sigma + 1e-6) + 2


def test_az_expressivity_progressivity_and_trainability_by_hand():
    net = Tiny()
    fresh = _fresh(net, "kaiming_fan_in")
    inputs = gaussian_input(X, 64, 0)
    with torch.no_grad():
        f0 = fresh.stem(inputs)
        f1 = fresh.cells[0](f0)
        f2 = fresh.cells[1](f1)
    e = [_entropy_of_spectrum(f) for f in (f0, f1, f2)]
    generator = torch.Generator().manual_seed(0)  # cotangents drawn from the last block down
    g2 = torch.randint(0, 2, f2.shape, generator=generator, dtype=torch.int8).double() * 2 - 1
    g1 = torch.randint(0, 2, f1.shape, generator=generator, dtype=torch.int8).double() * 2 - 1
    w1 = fresh.cells[0].weight[:, :, 0, 0].double().detach().numpy()  # 2 x 2
    w2 = fresh.cells[1].weight[:, :, 0, 0].double().detach().numpy()  # 2 x 2
    # block 2 (1x1 conv, stride 2): the pull-back lands on the even positions, then is
    # pixel-unshuffled into 4 x 2 channels (channel c * 4 + offset)
    pulled = np.zeros((64, 2, 4, 4))
    pulled[:, :, ::2, ::2] = np.einsum("oc,bohw->bchw", w2, g2.numpy())
    unshuffled = pulled.reshape(64, 2, 2, 2, 2, 2).transpose(0, 1, 3, 5, 2, 4).reshape(64, 8, 2, 2)
    block2 = _block_score(unshuffled, g2.numpy())
    block1 = _block_score(np.einsum("oc,bohw->bchw", w1, g1.numpy()), g1.numpy())
    values = {n: get_proxy(n)(net, X) for n in ("az_expressivity", "az_progressivity")}
    assert values["az_expressivity"] == pytest.approx(sum(e), rel=1e-4)
    assert values["az_progressivity"] == pytest.approx(min(e[1] - e[0], e[2] - e[1]), abs=1e-4)
    trainability = get_proxy("az_trainability")(net, X)
    assert trainability == pytest.approx((block1 + block2) / 2, rel=1e-4)
    assert trainability <= 0  # −σ − 1/σ + 2 peaks at 0 (σ = 1)


def test_az_identity_block_is_minus_inf_and_ranked_last_by_az_nas():
    identity = get_proxy("az_trainability")(Tiny(identity=True), X)
    assert identity == -math.inf
    members = tuple(parse_proxy_list("az_nas"))
    assert [m.name for m in members] == list(PROXY_SETS.get("az_nas").members)
    rows = [
        {"flops": 1.0, "az_expressivity": 1.0, "az_progressivity": 1.0, "az_trainability": t}
        for t in (-0.5, -0.1, identity)
    ]
    scores = Fitness(members, "logrank")(rows)
    assert np.isfinite(scores).all() and scores[2] < scores[0] < scores[1]


def test_the_az_pass_is_shared_and_vkdnw_reads_its_own(monkeypatch):
    runs = {"az": 0, "vkdnw": 0}
    for name in runs:
        original = passes.COMPUTED_PASSES[name]

        def counted(*args, _name=name, _original=original):
            runs[_name] += 1
            return _original(*args)

        monkeypatch.setitem(passes.COMPUTED_PASSES, name, counted)
    space, dataset = get_space("nats-tss"), get_dataset("cifar10")
    batch = load_batch("synthetic", dataset, 4, seed=0)
    names = "az_expressivity,az_progressivity,az_trainability,vkdnw,vkdnw_single"
    result = Scorer(
        ScoringConfig(space=space.name, dataset=dataset.name, proxies=parse_proxy_list(names)),
        batch,
    )(space.arch(1))
    assert runs == {"az": 1, "vkdnw": 1}
    monkeypatch.undo()
    alone = Scorer(
        ScoringConfig(
            space=space.name, dataset=dataset.name, proxies=[get_proxy("az_trainability")]
        ),
        batch,
    )(space.arch(1))
    assert alone.value("az_trainability") == result.value("az_trainability")


def test_zen_by_hand_reads_the_running_variance_after_two_forwards():
    net = Tiny()
    fresh = _fresh(net, "normal")
    inputs, noise = gaussian_input(X, 64, 0), gaussian_input(X, 64, 1)
    with torch.no_grad():
        conv = fresh.stem[0]
        v1 = conv(inputs).var(dim=(0, 2, 3), unbiased=True)
        v2 = conv(inputs + 1e-2 * noise).var(dim=(0, 2, 3), unbiased=True)
        clean = fresh.cells(fresh.stem(inputs)).double()
        mixed = fresh.cells(fresh.stem(inputs + 1e-2 * noise)).double()
    running = fresh.stem[1].running_var.double()
    assert torch.allclose(running, 0.81 + 0.09 * v1.double() + 0.1 * v2.double(), rtol=1e-5)
    delta = (clean - mixed).abs().sum(dim=(1, 2, 3)).mean()
    expected = math.log(delta) + 0.5 * math.log(running.mean())
    assert get_proxy("zen")(net, X) == pytest.approx(expected, rel=1e-5)
    two = get_proxy("zen", repeats=2)(net, X)
    assert two != get_proxy("zen")(net, X)  # the second repeat draws new weights and input


def _min_corr_eigenvalue(rows: np.ndarray) -> float:
    with np.errstate(divide="ignore", invalid="ignore"):
        corr = np.nan_to_num(np.corrcoef(rows))
    return float(np.linalg.eigvalsh(corr).min())


def test_meco_sums_every_hook_calls_minimum_eigenvalue_and_spatial_less_outputs_add_nothing():
    torch.manual_seed(1)
    net = nn.Sequential(
        nn.Conv2d(2, 3, 3, padding=1),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(3, 2),
    )
    with torch.no_grad():
        conv = net[0](X[:1])[0].reshape(3, -1).double().numpy()
    relu = np.maximum(conv, 0)
    expected = _min_corr_eigenvalue(conv) + _min_corr_eigenvalue(relu)  # pool, flatten, linear,
    assert get_proxy("meco")(net, X) == pytest.approx(expected, abs=1e-9)  # root: 0
    nested = nn.Sequential(nn.Sequential(net[0]))  # the same tensor reported three times
    assert get_proxy("meco")(nested, X) == pytest.approx(3 * _min_corr_eigenvalue(conv), abs=1e-9)
    # meco_opt: 2 of the 3 channels per hook call, drawn from the seed, scaled by 3/2
    generator = torch.Generator().manual_seed(0)
    picks = [torch.randperm(3, generator=generator)[:2].numpy() for _ in range(2)]
    expected = sum(1.5 * _min_corr_eigenvalue(conv[rows]) for rows in picks)
    opt = get_proxy("meco_opt", channels=2)(nn.Sequential(net[0]), X)
    assert opt == pytest.approx(expected, abs=1e-9)


def _patterns(net: nn.Module, x: torch.Tensor, seed: int) -> int:
    fresh = _fresh(net, "normal", seed)
    with torch.no_grad():
        out = fresh(x)
    bits = (out > 0).reshape(len(x), -1).T.numpy()
    return len({tuple(row) for row in bits})


def test_swap_counts_distinct_patterns_over_reinitialisations():
    torch.manual_seed(2)
    net = nn.Sequential(nn.Conv2d(2, 4, 1, bias=False), nn.ReLU())
    once = get_proxy("swap", repeats=1)(net, X)
    assert once == _patterns(net, X, 0)
    twice = get_proxy("swap", repeats=2)(net, X)
    assert twice == pytest.approx((_patterns(net, X, 0) + _patterns(net, X, 1)) / 2)
    # a second ReLU on the same tensor repeats its patterns: they collapse (unlike NASWOT)
    doubled = nn.Sequential(net[0], nn.ReLU(), nn.ReLU())
    assert get_proxy("swap", repeats=1)(doubled, X) == once
    # regularised: × exp(−(kparams − μ)² / σ), 8 parameters = 0.008 thousand
    regularised = get_proxy("swap", repeats=1, mu=0.5, sigma=2.0)(net, X)
    assert regularised == pytest.approx(once * math.exp(-((0.008 - 0.5) ** 2) / 2.0))
    assert get_proxy("swap", images=2, repeats=1)(net, X) == _patterns(net, X[:2], 0)


def test_fisher_factor_is_lower_triangular_with_the_smoothed_covariance():
    logits = torch.randn(5, 4, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    factor = fisher_factor(logits)
    p = torch.softmax(logits, dim=1) * (1 - ALPHA16) + ALPHA16 / 4
    cov = torch.diag_embed(p) - p.unsqueeze(2) * p.unsqueeze(1)
    assert torch.allclose(factor @ factor.transpose(1, 2), cov, atol=1e-12)
    assert torch.equal(factor, torch.tril(factor))


def _mlp() -> nn.Sequential:
    torch.manual_seed(4)
    return nn.Sequential(nn.Flatten(), nn.Linear(8, 3), nn.ReLU(), nn.Linear(3, 3))


def _decile_entropy(eigenvalues: np.ndarray) -> float:
    q = np.quantile(eigenvalues, np.arange(1, 10) / 10)
    t = q / (np.abs(q).sum() + 1e-10)
    return float(-(t * np.log(t + 1e-10)).sum())


def test_vkdnw_by_hand_with_analytic_jacobians():
    x = X[:, :, :2, :2]
    net = _mlp()
    fresh = _fresh(net, "kaiming_fan_in").eval()
    inputs = gaussian_input(x, 64, 0).flatten(1).double()
    w1, b1 = fresh[1].weight.double().detach(), fresh[1].bias.double().detach()
    w2 = fresh[3].weight.double().detach()
    pre = inputs @ w1.T + b1
    hidden = pre.clamp_min(0)
    gate = (pre[:, 0] > 0).double()  # ∂h_0 / ∂pre_0
    e0 = torch.tensor([1.0, 0.0, 0.0], dtype=torch.float64)
    # θ = (w1[0,0], b1[0], w2[0,0], b2[0]): ∂z/∂θ per image, 3 classes x 4
    jac = torch.stack(
        [
            torch.outer(gate * inputs[:, 0], w2[:, 0]),
            torch.outer(gate, w2[:, 0]),
            torch.outer(hidden[:, 0], e0),
            e0.expand(64, 3),
        ],
        dim=2,
    )
    logits = hidden @ w2.T + fresh[3].bias.double().detach()
    p = torch.softmax(logits, dim=1) * (1 - ALPHA16) + ALPHA16 / 3
    cov = torch.diag_embed(p) - p.unsqueeze(2) * p.unsqueeze(1)
    textbook = (jac.transpose(1, 2) @ cov @ jac).mean(0).numpy()
    expected = _decile_entropy(np.abs(np.linalg.eigvalsh(textbook)))
    assert get_proxy("vkdnw", fisher="textbook")(net, x) == pytest.approx(expected, rel=1e-5)
    factor = fisher_factor(logits)
    weighted = factor @ jac  # the reference multiplies L on the left: LᵀL, not LLᵀ
    reference = (weighted.transpose(1, 2) @ weighted).mean(0).numpy()
    value = get_proxy("vkdnw")(net, x)
    assert value == pytest.approx(_decile_entropy(np.abs(np.linalg.eigvalsh(reference))), rel=1e-5)
    assert 0 <= value <= math.log(9)
    assert get_proxy("vkdnw_single")(net, x) == pytest.approx(4 + value / (math.log(9) + 1))


def test_vkdnw_reads_one_entry_of_the_first_128_tensors():
    net = nn.Sequential(nn.Flatten(), *[nn.Linear(8 if i == 0 else 2, 2) for i in range(70)])
    result = fisher_pass(net, X[:1, :, :2, :2])
    assert result.jacobian.shape == (64, 2, 128) and result.tensor_count == 140


def test_the_activation_jacobian_equals_the_generic_one_on_a_cell_network():
    space = get_space("nats-tss")
    net = redraw(space.build(space.arch(1), 10, (3, 8, 8)), "kaiming_fan_in", 0).eval()
    x = gaussian_input(torch.zeros(1, 3, 8, 8), 6, 0)
    names = [k for k, _ in net.named_parameters()][:128]
    fast = activation_jacobian(net, x, names)
    assert fast is not None and fast.shape == (6, 10, 128)
    reference = generic_jacobian(net, x, names)
    scale = reference.abs().max().item()  # float32 sums of terms up to this size
    assert torch.allclose(fast, reference, rtol=1e-4, atol=1e-6 * scale)
    layer_norm = nn.Sequential(nn.Flatten(), nn.LayerNorm(192), nn.Linear(192, 3))
    assert activation_jacobian(layer_norm, x, ["1.weight"]) is None  # generic path instead


def test_the_frozen_ensemble_is_the_tuning_scripts_choice():
    doc = (Path(__file__).parents[1] / "docs" / "ensemble-tuning.md").read_text()
    for label, name in (("Choice", "ensemble"), ("Best without a size term", "ensemble_no_size")):
        line = next(row for row in doc.splitlines() if row.startswith(f"**{label}:**"))
        members, combine = re.findall(r"`([^`]*)`", line)
        frozen = PROXY_SETS.get(name)
        assert (list(frozen.members), frozen.combine) == (members.split(","), combine)
    assert not {"skip"} & set(PROXY_SETS.get("ensemble").members)  # no space prior
