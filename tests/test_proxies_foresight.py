"""The foresight / NASLib baselines against their formulas on a tiny hand-made network, each
computed here another way (per-layer sums by hand, a Hessian-vector product, per-sample
Jacobians), with the checks that catch a wrong sign, aggregation or pass sharing."""

import numpy as np
import pytest
import torch
from torch import nn
from torch.func import functional_call, jacrev
from torch.nn import functional

from zeronas.data.sources import load_batch
from zeronas.data.tasks import get_dataset
from zeronas.proxies import get_proxy, parse_proxy_list, passes
from zeronas.scoring.config import ScoringConfig
from zeronas.scoring.scorer import Scorer
from zeronas.spaces import get_space

X = torch.randn(4, 1, 2, 2, generator=torch.Generator().manual_seed(0))
Y = torch.tensor([0, 2, 0, 2])


def _net() -> nn.Sequential:
    torch.manual_seed(3)
    return nn.Sequential(
        nn.Conv2d(1, 2, 1, bias=False), nn.ReLU(), nn.Flatten(), nn.Linear(8, 3, bias=False)
    )


def _grads(net):
    loss = functional.cross_entropy(net(X), Y)
    return torch.autograd.grad(loss, [net[0].weight, net[3].weight])


def test_grad_norm_sums_per_layer_norms():
    net = _net()
    g1, g2 = _grads(net)
    value = get_proxy("grad_norm")(net, X, Y)
    assert value == pytest.approx(float(g1.norm() + g2.norm()), rel=1e-6)
    assert value != pytest.approx(float(torch.cat([g1.flatten(), g2.flatten()]).norm()))


def test_snip_is_absolute_and_plain_keeps_signs():
    net = _net()
    g1, g2 = _grads(net)
    w1, w2 = net[0].weight.detach(), net[3].weight.detach()
    signed = float((w1 * g1).sum() + (w2 * g2).sum())
    absolute = float((w1 * g1).abs().sum() + (w2 * g2).abs().sum())
    assert get_proxy("snip")(net, X, Y) == pytest.approx(absolute, rel=1e-6)
    assert get_proxy("plain")(net, X, Y) == pytest.approx(signed, rel=1e-6)
    assert abs(signed) < absolute  # the test can tell the two apart


def test_l2_norm_sums_weight_norms():
    net = _net()
    expected = float(net[0].weight.detach().norm() + net[3].weight.detach().norm())
    assert get_proxy("l2_norm")(net, X) == pytest.approx(expected, rel=1e-6)


def test_fisher_is_channel_wise_and_broadcast_to_fan_in():
    net = _net()
    a1 = net[0](X)
    a2 = net[3](net[2](net[1](a1)))
    ga1, ga2 = torch.autograd.grad(functional.cross_entropy(a2, Y), [a1, a2])
    f1 = 0.5 * ((a1 * ga1).sum(dim=(2, 3)) ** 2).mean(0)  # per conv channel, fan-in 1
    f2 = 0.5 * ((a2 * ga2) ** 2).mean(0)  # per linear output, fan-in 8
    expected = float((f1.sum() * 1 + f2.sum() * 8).detach())
    assert get_proxy("fisher")(net, X, Y) == pytest.approx(expected, rel=1e-6)
    assert expected != pytest.approx(float((f1.sum() + f2.sum()).detach()))  # broadcast counts


def test_grasp_is_minus_w_times_the_hessian_gradient_product():
    net = _net()
    names = ["0.weight", "3.weight"]
    weights = tuple(dict(net.named_parameters())[n].detach() for n in names)

    def loss(*ws):
        logits = functional_call(net, dict(zip(names, ws, strict=True)), (X,))
        return functional.cross_entropy(logits, Y)

    g = torch.autograd.grad(loss(*[w.requires_grad_() for w in weights]), weights)
    _, hg = torch.autograd.functional.hvp(loss, weights, g)
    expected = float(sum((-w.detach() * h).sum() for w, h in zip(weights, hg, strict=True)))
    assert get_proxy("grasp")(net, X, Y) == pytest.approx(expected, rel=1e-6)


def _per_sample_jacobian(net):
    rows = [jacrev(lambda x: net(x[None]).sum())(x).flatten() for x in X]
    return torch.stack(rows).detach().double().numpy()


def test_jacob_cov_from_per_sample_jacobians():
    net = _net()
    eigen = np.linalg.eigvalsh(np.corrcoef(_per_sample_jacobian(net)))
    expected = -np.sum(np.log(eigen + 1e-5) + 1 / (eigen + 1e-5))
    assert get_proxy("jacob_cov")(net, X) == pytest.approx(expected, rel=1e-6)


def test_epe_nas_sums_absolute_class_scores():
    net = _net()
    jacobian = _per_sample_jacobian(net)
    scores = [np.sum(np.log(np.abs(np.corrcoef(jacobian[Y.numpy() == c])) + 1e-5)) for c in (0, 2)]
    assert get_proxy("epe_nas")(net, X, Y) == pytest.approx(sum(map(abs, scores)), rel=1e-6)


def test_epe_nas_naslib_reading_takes_the_pairwise_branch_above_100_classes():
    net = _net()
    assert get_proxy("epe_nas", naslib=True)(net, X, Y) == get_proxy("epe_nas")(net, X, Y)
    torch.manual_seed(3)
    wide = nn.Sequential(
        nn.Conv2d(1, 2, 1, bias=False), nn.ReLU(), nn.Flatten(), nn.Linear(8, 101, bias=False)
    )
    jacobian = _per_sample_jacobian(wide)
    s0, s2 = (
        np.sum(np.log(np.abs(np.corrcoef(jacobian[Y.numpy() == c])) + 1e-5)) / 2 for c in (0, 2)
    )
    expected = 2 * abs(s0 - s2) / 2  # Σ_c Σ_c' |s_c − s_c'| over 2 classes, / 2 classes
    assert get_proxy("epe_nas", naslib=True)(wide, X, Y) == pytest.approx(expected, rel=1e-6)
    single = torch.tensor([0, 2, 0, 5])  # classes 2 and 5 are seen once: skipped, as NASLib
    assert get_proxy("epe_nas", naslib=True)(wide, X, single) == 0.0


def test_loss_gradient_proxies_share_one_backward(monkeypatch):
    runs = []
    original = passes.COMPUTED_PASSES["backward"]
    monkeypatch.setitem(
        passes.COMPUTED_PASSES, "backward", lambda *a: runs.append(1) or original(*a)
    )
    space, dataset = get_space("nats-tss"), get_dataset("cifar10")
    batch = load_batch("synthetic", dataset, 8, seed=0)  # random labels
    shared = parse_proxy_list("grad_norm,snip,plain,fisher")
    together = Scorer(
        ScoringConfig(space=space.name, dataset=dataset.name, proxies=shared, repeats=2), batch
    )
    result = together(space.arch(1))
    assert len(runs) == 2  # one backward per initialisation for four readers
    monkeypatch.undo()
    for name in ("snip", "fisher"):
        alone = Scorer(
            ScoringConfig(
                space=space.name, dataset=dataset.name, proxies=[get_proxy(name)], repeats=2
            ),
            batch,
        )(space.arch(1))
        assert alone.value(name) == result.value(name)
    assert all(get_proxy(n).needs_labels for n in ("grad_norm", "snip", "plain", "fisher"))


def test_zico_is_a_sum_over_layers_of_log_inverse_variation():
    net = _net()
    layers = [net[0].weight, net[3].weight]
    first = torch.autograd.grad(functional.cross_entropy(net(X[:2]), Y[:2]), layers)
    second = torch.autograd.grad(functional.cross_entropy(net(X[2:]), Y[2:]), layers)
    per_layer = []
    for g1, g2 in zip(first, second, strict=True):
        ratio = (g1.abs() + g2.abs()) / (g1 - g2).abs()  # B = 2: m / s in closed form
        per_layer.append(float(ratio[torch.isfinite(ratio)].double().sum()))
    value = get_proxy("zico")(net, X, Y)
    assert value == pytest.approx(sum(np.log(per_layer)), rel=1e-6)
    assert value != pytest.approx(np.log(sum(per_layer)))  # a log per layer, then the sum
    assert get_proxy("zico[splits=4]")(net, X, Y) != pytest.approx(value)
    with pytest.raises(ValueError, match="2 <= splits <= batch size 4"):
        get_proxy("zico", splits=5)(net, X, Y)
