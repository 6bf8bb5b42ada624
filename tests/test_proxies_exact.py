"""Every proxy against its formula on tiny hand-made networks (exact values)."""

import math

import numpy as np
import pytest
import torch
from torch import nn

from zeronas.proxies import get_proxy
from zeronas.proxies.naswot import naswot_kernel
from zeronas.proxies.relu_count import count_activations
from zeronas.proxies.skip import skip_score
from zeronas.spaces import get_space

SPACE = get_space("nats-tss")


def _mlp() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Linear(4, 24), nn.ReLU(), nn.Linear(24, 16), nn.ReLU(), nn.Linear(16, 2)
    )


def _hand_kernel(net: nn.Sequential, x: torch.Tensor) -> np.ndarray:
    """K_H[i, j] = N_A - Hamming(c_i, c_j) from codes computed by hand."""
    with torch.no_grad():
        h1 = x @ net[0].weight.T + net[0].bias
        h2 = torch.relu(h1) @ net[2].weight.T + net[2].bias
    codes = torch.cat([h1 > 0, h2 > 0], dim=1).numpy().astype(int)
    n_a = codes.shape[1]
    hamming = (codes[:, None, :] != codes[None, :, :]).sum(-1)
    return n_a - hamming


def test_naswot_equals_log_det_of_hand_kernel():
    net, x = _mlp(), torch.randn(8, 4, generator=torch.Generator().manual_seed(1))
    expected = _hand_kernel(net, x)
    kernel, n_a = naswot_kernel(net, x)
    assert n_a == 40
    np.testing.assert_array_equal(kernel.numpy(), expected)
    sign, logdet = np.linalg.slogdet(expected.astype(float))
    assert sign > 0
    assert get_proxy("naswot")(net, x) == pytest.approx(logdet, abs=1e-9)


class _TwoReLUsOnOneTensor(nn.Module):
    def __init__(self, modify_between: bool) -> None:
        super().__init__()
        self.a, self.b, self.modify = nn.ReLU(), nn.ReLU(), modify_between

    def forward(self, x):
        y = x * 1.0
        first = self.a(y)
        if self.modify:
            y.sub_(0.5)  # same tensor object, new contents: codes must be recomputed
        return first + self.b(y)


def test_naswot_reuse_of_identical_inputs_is_exact():
    x = torch.randn(6, 10, generator=torch.Generator().manual_seed(2))
    kernel, n_a = naswot_kernel(_TwoReLUsOnOneTensor(False), x)
    codes = (x > 0).numpy().astype(int)
    single = 10 - (codes[:, None] != codes[None]).sum(-1)
    assert n_a == 20
    np.testing.assert_array_equal(kernel.numpy(), 2 * single)
    kernel, _ = naswot_kernel(_TwoReLUsOnOneTensor(True), x)
    shifted = (x - 0.5 > 0).numpy().astype(int)
    other = 10 - (shifted[:, None] != shifted[None]).sum(-1)
    np.testing.assert_array_equal(kernel.numpy(), single + other)


def test_naswot_is_minus_inf_when_codes_do_not_depend_on_input():
    net = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 2))
    nn.init.zeros_(net[0].weight)
    x = torch.randn(8, 4)
    assert get_proxy("naswot")(net, x) == -math.inf
    disconnected = SPACE.build(SPACE.decode("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"), 10)
    assert get_proxy("naswot")(disconnected, torch.randn(16, 3, 32, 32)) == -math.inf
    assert get_proxy("synflow")(disconnected, torch.randn(1, 3, 32, 32)) == -math.inf


def test_relu_count_is_n_a_times_batch_size():
    net, x = _mlp(), torch.randn(8, 4)
    assert get_proxy("relu_count")(net, x) == 40 * 8


@pytest.mark.parametrize("index", [0, 1, 9, 123, 9930])
def test_relu_count_equals_trace_of_naswot_kernel_on_nb201(index):
    net = SPACE.build(SPACE.arch(index), 10)
    x = torch.randn(16, 3, 32, 32, generator=torch.Generator().manual_seed(index))
    kernel, n_a = naswot_kernel(net, x)
    assert count_activations(net, (3, 32, 32)) == n_a
    assert get_proxy("relu_count")(net, x) == float(torch.trace(kernel)) == n_a * 16


def test_relu_count_by_hand_on_nb201_cell():
    # Index 9: one nor_conv_3x3 edge per cell (3<-2); per sample N_A = 5 cells x 16x32x32
    # + 5 x 32x16x16 + 5 x 64x8x8, ResBlocks 16x32x32 + 32x16x16 and 32x16x16 + 64x8x8,
    # head 64x8x8.
    expected = 5 * 16384 + 5 * 8192 + 5 * 4096 + (16384 + 8192) + (8192 + 4096) + 4096
    assert count_activations(SPACE.build(SPACE.arch(9), 10), (3, 32, 32)) == expected


def _linear_pair() -> nn.Module:
    torch.manual_seed(3)
    return nn.Sequential(
        nn.Linear(5, 4, bias=False), nn.BatchNorm1d(4), nn.Linear(4, 3, bias=False)
    )


def test_synflow_closed_form_on_two_layer_linear_network():
    # R = 1ᵀ|W2||W1|1; dR/dW1[j,k] = Σ_i |W2|[i,j] and dR/dW2[i,j] = Σ_k |W1|[j,k], so each
    # layer's Σ θ ⊙ ∂R/∂θ equals R: synflow = ln(2R). BN is the identity in this set-up.
    net = _linear_pair()
    w1, w2 = net[0].weight.detach().double().abs(), net[2].weight.detach().double().abs()
    before = [p.clone() for p in net.parameters()]
    r = float(w2.sum(0) @ w1.sum(1))
    assert get_proxy("synflow")(net, torch.randn(2, 5)) == pytest.approx(math.log(2 * r), rel=1e-12)
    expected_log = float((w1 * torch.log1p(w2.sum(0))[:, None]).sum()) + float(
        (w2 * torch.log1p(w1.sum(1))[None, :]).sum()
    )
    assert get_proxy("logsynflow")(net, torch.randn(2, 5)) == pytest.approx(expected_log, rel=1e-12)
    assert all(torch.equal(a, b) for a, b in zip(before, net.parameters(), strict=True))


@pytest.mark.parametrize(
    ("arch", "expected"),
    [
        ("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|", 0.0),
        ("|skip_connect~0|+|none~0|none~1|+|none~0|none~1|none~2|", 0.0),
        ("|none~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|", 2.0),
        ("|skip_connect~0|+|skip_connect~0|none~1|+|skip_connect~0|none~1|none~2|", 1.0),
        ("|none~0|+|skip_connect~0|none~1|+|none~0|skip_connect~1|skip_connect~2|", 2 / 3),
    ],
)
def test_skip_follows_freerea(arch, expected):
    assert skip_score(SPACE.decode(arch)) == pytest.approx(expected)
    net = SPACE.build(SPACE.decode(arch), 10)
    assert get_proxy("skip")(net, torch.zeros(1, 3, 32, 32)) == pytest.approx(expected)


def test_cost_proxies_by_hand():
    net = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1, bias=False), nn.Flatten(), nn.Linear(64, 2))
    x = torch.zeros(1, 3, 4, 4)
    assert get_proxy("params")(net, x) == (3 * 4 * 9 + 64 * 2 + 2) / 1e6
    macs = 4 * 4 * 4 * 3 * 9 + 64 * 2
    assert get_proxy("macs")(net, x) == pytest.approx(macs / 1e6)
    assert get_proxy("flops")(net, x) == pytest.approx(2 * macs / 1e6)


@pytest.mark.parametrize(
    "conv",
    [
        nn.Conv2d(3, 5, 3, stride=2, padding=1),
        nn.Conv2d(3, 4, (3, 5), stride=(1, 2), padding=(0, 2), dilation=(2, 1)),
        nn.Conv2d(3, 6, 3, padding="same"),
        nn.Conv2d(3, 6, 4, padding="valid", groups=3),
    ],
)
def test_shape_only_convolutions_match_real_shapes(conv):
    from zeronas.proxies._hooks import shapes_only_convs

    x = torch.randn(2, 3, 17, 12)
    real = conv(x)
    with shapes_only_convs(conv):
        assert conv(x).shape == real.shape
    assert torch.equal(conv(x), real)  # restored
