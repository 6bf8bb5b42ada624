"""The proxies of Hsieh's hybrid (ntk_cond, entropy, noise_immunity, ninaswot) and the size
and memory costs, against their formulas on tiny hand-made networks."""

import math

import numpy as np
import pytest
import torch
from torch import nn
from torch.func import functional_call, jacrev

from zeronas import api
from zeronas.data.sources import load_batch
from zeronas.data.tasks import get_dataset
from zeronas.errors import ZeroNASError
from zeronas.fitness.combiners import COMBINERS, Fitness
from zeronas.hardware.counting import peak_activation_bytes
from zeronas.proxies import get_proxy, parse_proxy_list
from zeronas.proxies.entropy import BATCH, REPEATS
from zeronas.proxies.noise import SIGMA
from zeronas.proxies.ntk import ntk_matrix
from zeronas.scoring.config import ScoringConfig
from zeronas.scoring.reference import reference_archs
from zeronas.scoring.scorer import Scorer
from zeronas.spaces import get_space


def _tiny_cnn(inplace: bool = False) -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1),
        nn.ReLU(inplace=inplace),
        nn.Conv2d(8, 4, 3, padding=1),
        nn.BatchNorm2d(4),
        nn.ReLU(),  # (a BN right before the pooling makes Θ nearly singular)
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(4, 2),
    )


def test_size_kb_counts_parameter_bytes():
    net = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2).double())
    expected = ((4 * 3 + 3) * 4 + (3 * 2 + 2) * 8) / 1024
    assert get_proxy("size_kib")(net, torch.zeros(1, 4)) == expected


@pytest.mark.parametrize("inplace", [False, True])
def test_peak_memory_is_the_largest_live_activation_set(inplace):
    net = _tiny_cnn(inplace)
    image, wide, narrow = 3 * 100 * 4, 8 * 100 * 4, 4 * 100 * 4  # bytes at 10 x 10
    # Sequential holds the previous output while the next is computed; an in-place ReLU
    # writes into its input and adds nothing.
    expected = image + wide + (narrow if inplace else wide)
    assert peak_activation_bytes(net, (3, 10, 10)) == expected
    assert get_proxy("peak_memory")(net, torch.zeros(2, 3, 10, 10)) == expected / 1024


def test_ntk_matrix_is_the_jacobian_of_the_batched_train_mode_function():
    net = _tiny_cnn()
    net[3].track_running_stats = False  # batch statistics without buffer updates: same Θ
    x = torch.randn(6, 3, 5, 5, generator=torch.Generator().manual_seed(1))
    weights = {n: p.detach() for n, p in net.named_parameters() if "weight" in n}

    def summed_logits(params):
        return functional_call(net, params, (x,)).sum(dim=1)  # BN couples the samples

    jac = jacrev(summed_logits)(weights)
    rows = torch.cat([jac[n].reshape(6, -1) for n in weights], dim=1).double()
    assert "3.weight" in weights and "3.bias" not in weights  # BN γ counts, β does not
    torch.testing.assert_close(ntk_matrix(net, x), rows @ rows.T, rtol=1e-4, atol=1e-6)
    eig = np.linalg.eigvalsh((rows @ rows.T).detach().numpy())
    assert get_proxy("ntk_cond")(net, x) == pytest.approx(eig[-1] / eig[0], rel=1e-4)
    assert net.training and all(p.grad is None for p in net.parameters())


def test_ntk_cond_of_a_singular_kernel_is_an_error():
    net = nn.Sequential(nn.Linear(3, 2, bias=False))
    with pytest.raises(ValueError, match="NTK is singular"):
        get_proxy("ntk_cond")(net, torch.zeros(4, 3))


def test_entropy_is_the_log_std_sum_of_the_linear_gaussian_pass():
    net = _tiny_cnn()
    expected = []
    for seed in range(REPEATS):
        g = torch.Generator().manual_seed(seed)
        w1, w2 = torch.randn(8, 3, 3, 3, generator=g), torch.randn(4, 8, 3, 3, generator=g)
        torch.randn(2, 4, generator=g)  # the classifier's weight is drawn too
        x = torch.randn(BATCH, 3, 6, 6, generator=g)
        y1 = nn.functional.conv2d(x, w1, padding=1)  # bias 0, ReLU skipped
        y2 = nn.functional.conv2d(y1 / y1.std(), w2, padding=1)  # BN skipped
        expected.append(math.log(y1.std()) + math.log(y2.std()) + math.log(4))
    value = get_proxy("entropy")(net, torch.zeros(1, 3, 6, 6))
    assert value == pytest.approx(sum(expected) / REPEATS, rel=1e-6)
    assert net[0].bias.abs().sum() > 0  # the network's own weights are untouched


def test_noise_immunity_compares_pooled_features_of_clean_and_noisy_batches():
    net = _tiny_cnn()
    x = torch.randn(5, 3, 6, 6, generator=torch.Generator().manual_seed(2))
    noise = torch.randn(x.shape, generator=torch.Generator().manual_seed(0))
    features = net[:-1].train()
    with torch.no_grad():
        expected = -float(((features(x) - features(x + SIGMA * noise)) ** 2).sum())
    net.eval()
    assert get_proxy("noise_immunity")(net, x) == pytest.approx(expected, rel=1e-6)
    assert not net.training


def test_noise_immunity_shares_naswot_forward_in_the_scorer():
    space, dataset = get_space("nats-tss"), get_dataset("cifar10")
    batch = load_batch("synthetic", dataset, 8, seed=0)
    proxies = parse_proxy_list("naswot,noise_immunity")
    scorer = Scorer(
        ScoringConfig(space=space.name, dataset=dataset.name, proxies=proxies, channels_last=False),
        batch,
    )
    together = scorer(space.arch(123))
    for proxy in proxies:
        alone = Scorer(
            ScoringConfig(
                space=space.name, dataset=dataset.name, proxies=[proxy], channels_last=False
            ),
            batch,
        )(space.arch(123))
        assert together.value(proxy.name) == alone.value(proxy.name)


@pytest.mark.parametrize("combine", list(COMBINERS))
def test_hybrid_fitness_prefers_the_lower_ntk_condition_number(combine):
    fitness = Fitness(tuple(parse_proxy_list("naswot,entropy,ntk_cond")), combine)
    rows = [
        {"naswot": 10.0, "entropy": 5.0, "ntk_cond": 100.0},
        {"naswot": 10.0, "entropy": 5.0, "ntk_cond": 20.0},
        {"naswot": 9.0, "entropy": 4.0, "ntk_cond": 500.0},
    ]
    values = fitness(rows)
    assert values[1] > values[0] > values[2]


def test_ninaswot_is_two_naswot_z_scores_plus_one_noise_immunity_z_score():
    space, dataset = get_space("nats-tss"), get_dataset("cifar10")
    batch = load_batch("synthetic", dataset, 8, seed=0)
    scorer = Scorer(
        ScoringConfig(
            space=space.name,
            dataset=dataset.name,
            proxies=parse_proxy_list("ninaswot,naswot"),
            reference_size=6,
        ),
        batch,
    )
    parts = parse_proxy_list("naswot,noise_immunity")
    rows = [scorer.score(a, parts) for a in reference_archs(space, 6, 0)]
    stats = {
        p.name: (np.mean([r.value(p.name) for r in rows]), np.std([r.value(p.name) for r in rows]))
        for p in parts
    }
    result = scorer(space.arch(42))
    alone = scorer.score(space.arch(42), parts)
    z = {n: (alone.value(n) - mu) / sigma for n, (mu, sigma) in stats.items()}
    assert result.value("ninaswot") == pytest.approx(2 * z["naswot"] + z["noise_immunity"])
    assert list(result.values) == ["ninaswot", "naswot"]
    # noise_immunity was computed only for ninaswot: its seconds are ninaswot's
    assert result.values["ninaswot"].seconds > 0
    with pytest.raises(ZeroNASError, match="ninaswot is a z-score sum"):
        get_proxy("ninaswot")(nn.Linear(2, 2), torch.zeros(1, 2))


def test_entropy_skips_dead_branches_and_is_minus_inf_for_a_cut_network():
    space = get_space("nats-tss")
    dead_branch = space.decode(
        "|none~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|none~1|nor_conv_3x3~2|"
    )
    value = get_proxy("entropy")(space.build(dead_branch, 10), torch.zeros(1, 3, 8, 8))
    assert math.isfinite(value)  # node 1 is dead, so is the conv it feeds; the rest counts
    cut = space.decode("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|")
    assert get_proxy("entropy")(space.build(cut, 10), torch.zeros(1, 3, 8, 8)) == -math.inf


def test_the_hybrid_fitness_steers_every_search_algorithm():
    run = api.search_setup(
        proxies="ninaswot,entropy,ntk_cond", combine="rank", batch_size=4, zscore_reference=4
    )
    for algorithm in ("random", "rea", "ga-hsieh"):
        result = api.search(run, algorithm, budget=3, seed=0)
        assert result.evaluations == 3 and result.best is not None
        assert all(e.values["ntk_cond"] >= 1 for e in result.scored)  # κ = λmax/λmin
        ranks = run.fitness([e.values for e in result.scored])
        assert result.best.values == result.scored[int(np.argmax(ranks))].values
