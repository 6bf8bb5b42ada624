"""Seed 004's block space: encoding, variation operators, cost formulas and budgets."""

import numpy as np
import pytest
import torch
from torch import nn

from zeronas.data.tasks import get_dataset
from zeronas.errors import ArchError
from zeronas.hardware.counting import count_flops, count_params
from zeronas.hardware.limits import LimitChecker, LimitedSpace, Limits, NoArchitectureWithinLimits
from zeronas.models.blocks import BlockSpec
from zeronas.proxies import get_proxy
from zeronas.spaces import get_space
from zeronas.spaces.blocks import MAX_BLOCKS, MAX_STRIDED, MIN_BLOCKS, BlockArch

SPACE = get_space("blocks")
VWW = get_dataset("vww")
ARCH = "ir_k3_s2_e6_c32-ds_k5_s1_c64-cn_k7_s2_e2_c96-ir_k5_s1_e4_c96"


def test_arch_strings_and_json_round_trip():
    arch = SPACE.decode(ARCH)
    assert SPACE.encode(arch) == ARCH
    assert SPACE.decode(arch.to_json()) == arch
    assert arch.blocks[1] == BlockSpec("ds", 5, 1, 0, 64)
    rng = np.random.default_rng(0)
    for _ in range(50):
        a = SPACE.sample(rng)
        assert SPACE.decode(SPACE.encode(a)) == a == SPACE.decode(a.to_json())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("xx_k3_s1_e2_c32-" + ARCH, "Unknown block type 'xx'"),
        (ARCH.replace("k5", "k4"), "kernel 4"),
        (ARCH.replace("c64", "c65"), "channels 65"),
        (ARCH.replace("ds_k5_s1_c64", "ds_k5_s1_e2_c64"), "ds blocks have no expansion"),
        ("ir_k3_s1_e6_c32", "4-20 blocks, got 1"),
        ("-".join(["ir_k3_s2_e6_c32"] * 5), "At most 4 stride-2 blocks"),
        ('{"blocks": [{"type": "ir", "kernel": 3}]}', "Malformed block arch JSON"),
        ("", "Empty block arch"),
    ],
)
def test_bad_arch_strings_name_the_bad_part(text, message):
    with pytest.raises(ArchError, match=message):
        SPACE.decode(text)


def test_operators_keep_archs_valid_and_change_them():
    rng = np.random.default_rng(1)
    moves = set()
    for _ in range(200):
        a, b = SPACE.sample(rng), SPACE.sample(rng)
        assert MIN_BLOCKS <= len(a.blocks) <= MAX_BLOCKS
        assert sum(x.stride == 2 for x in a.blocks) <= MAX_STRIDED
        child = SPACE.mutate(a, rng)
        assert isinstance(child, BlockArch) and child != a
        moves.add(np.sign(len(child.blocks) - len(a.blocks)))
        mixed = SPACE.crossover(a, b, rng)
        assert set(mixed.blocks) <= set(a.blocks) | set(b.blocks)
    assert moves == {-1, 0, 1}  # field change, insertion and deletion all happen


@pytest.mark.parametrize(("shape", "classes"), [((3, 128, 128), 2), ((3, 32, 32), 10)])
def test_cost_formula_equals_counted_params_and_macs(shape, classes):
    rng = np.random.default_rng(2)
    for _ in range(8):
        arch = SPACE.sample(rng)
        net = SPACE.build(arch, classes, shape)
        assert net(torch.zeros(2, *shape)).shape == (2, classes)
        assert SPACE.costs(arch, classes, shape) == (
            count_params(net),
            count_flops(net, shape) // 2,
        )


def test_nats_tss_cost_formula_equals_counted_params_and_macs():
    space, rng = get_space("nats-tss"), np.random.default_rng(3)
    for _ in range(10):
        arch = space.sample(rng)
        net = space.build(arch, 10)
        assert space.costs(arch, 10, (3, 32, 32)) == (
            count_params(net),
            count_flops(net, (3, 32, 32)) // 2,
        )


def test_budgeted_sampling_proposes_only_archs_within_the_seed_budgets():
    limits = Limits().with_defaults(SPACE.default_limits)
    assert (limits.max_params, limits.max_macs) == (2.5, 200.0)
    checker = LimitChecker(limits, SPACE, VWW)
    space, rng = LimitedSpace(SPACE, checker), np.random.default_rng(4)
    archs = [space.sample(rng) for _ in range(20)]
    archs += [space.mutate(a, rng) for a in archs]
    for arch in archs:
        params, macs = SPACE.costs(arch, 2, VWW.input_shape)
        assert params <= 2.5e6 and macs <= 200e6
    report = checker.describe()
    assert report["rejected"] > 0 and set(report["reasons"]) <= {"params", "MACs"}
    assert 0 < report["rejection_rate"] < 1


def test_memory_and_latency_budgets_measure_the_network():
    arch = SPACE.decode(ARCH)
    tight = LimitChecker(Limits(max_peak_memory_kib=1.0), SPACE, VWW)
    assert tight(arch).startswith("peak-memory ")
    loose = LimitChecker(Limits(max_peak_memory_kib=1e6, max_latency_ms=1e4), SPACE, VWW)
    assert loose(arch) is None
    slow = LimitChecker(Limits(max_latency_ms=1e-6), SPACE, VWW)
    assert slow(arch).startswith("latency ")
    size = LimitChecker(Limits(max_size_kib=1.0), SPACE, VWW)
    params, _ = SPACE.costs(arch, 2, VWW.input_shape)
    assert size(arch) == f"size {params * 4 / 1024:.1f} KiB > max 1 KiB"


def test_a_budget_no_arch_meets_fails_with_the_limits():
    checker = LimitChecker(Limits(max_params=1e-4), SPACE, VWW)
    space = LimitedSpace(SPACE, checker, max_tries=50)
    with pytest.raises(NoArchitectureWithinLimits, match="in 50 samples; rejections by limit"):
        space.sample(np.random.default_rng(0))


def test_naswot_codes_every_block_activation():
    net = SPACE.build(SPACE.decode(ARCH), 2, (3, 32, 32))
    kinds = {type(m) for m in net.modules()}
    assert {nn.ReLU6, nn.GELU} <= kinds
    torch.manual_seed(0)
    value = get_proxy("naswot")(net, torch.randn(16, 3, 32, 32))
    assert np.isfinite(value)
    # N_A counts ReLU6 and GELU inputs: relu_count = N_A * K
    total = 0

    def count(_m, args):
        nonlocal total
        total += args[0][0].numel()

    hooks = [
        m.register_forward_pre_hook(count)
        for m in net.modules()
        if type(m) in kinds & {nn.ReLU6, nn.GELU}
    ]
    net(torch.zeros(1, 3, 32, 32))
    for h in hooks:
        h.remove()
    assert get_proxy("relu_count")(net, torch.zeros(4, 3, 32, 32)) == 4 * total > 0
