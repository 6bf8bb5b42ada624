"""The microcontroller path without the converter: the staged ``mcu`` space, its int8 layer
graph, the TFLite Micro arena and flash estimate, ``--mcu`` presets and the SRAM / flash
limits. (Against the real converter and runtime: tests/test_tflite.py.)"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from zeronas.cli import app
from zeronas.data.tasks import get_dataset
from zeronas.errors import ArchError, ZeroNASError
from zeronas.hardware.costs import CostModel
from zeronas.hardware.counting import count_flops, count_params
from zeronas.hardware.int8_memory import arena_head, int8_footprint, tensor_lifetimes
from zeronas.hardware.limits import LimitChecker, Limits
from zeronas.hardware.mcus import MCUS, get_mcu
from zeronas.models.graph import same_padding
from zeronas.proxies import get_proxy
from zeronas.proxies.final_width import final_stage_width
from zeronas.scoring.config import ScoringConfig
from zeronas.search.config import SearchConfig, default_search_proxies, search_config
from zeronas.spaces import get_space
from zeronas.spaces.mcu import MOBILENETV2, RESNET8, MCUSpace, schedule_error

RUNNER = CliRunner()
SPACE = MCUSpace()
CIFAR = get_dataset("cifar10")


def test_resnet8_is_mlperf_tinys_reference_model():
    arch = SPACE.decode(RESNET8)
    assert str(arch) == RESNET8
    params, macs = SPACE.costs(arch, 10, (3, 32, 32))
    # Keras' ResNet-8 has 78,186: a bias on each of its 9 convolutions before BN (240 values)
    assert params == 78_186 - (16 * 3 + 32 * 2 + 64 * 2)
    stem, block1 = 32 * 32 * 16 * 27, 2 * 32 * 32 * 16 * 144
    block2 = 16 * 16 * 32 * (144 + 288 + 16)
    block3 = 8 * 8 * 64 * (288 + 576 + 32)
    assert macs == stem + block1 + block2 + block3 + 640  # 12.5 M, as the issue counts


@pytest.mark.parametrize("text", [RESNET8, MOBILENETV2, "r24_w0.50_c8_s2-ir_d2_k5_e6_c16_s2-h128"])
def test_graph_counts_what_the_module_holds(text):
    arch = SPACE.decode(text)
    net = SPACE.build(arch, 10, (3, 32, 32))
    graph = SPACE.graph(arch, 10, (3, 32, 32))
    assert graph.params == count_params(net)
    assert graph.macs == count_flops(net, (3, 32, 32)) // 2
    assert net(torch.zeros(2, 3, 32, 32)).shape == (2, 10)


def test_sampled_graphs_match_their_modules():
    rng = np.random.default_rng(4)
    for _ in range(12):
        arch = SPACE.sample(rng)
        graph = SPACE.graph(arch, 10, (3, 32, 32))
        net = SPACE.build(arch, 10, (3, 32, 32))
        assert (graph.params, graph.macs) == (count_params(net), count_flops(net, (3, 32, 32)) // 2)


def test_resolution_is_an_in_network_resize():
    arch = SPACE.decode("r24_w1.00_c16_s1-res_d1_k3_c16_s1-h0")
    graph = SPACE.graph(arch, 10, (3, 32, 32))
    assert graph.layers[0].op == "RESIZE_BILINEAR" and graph.shapes[1] == (24, 24, 3)
    same = SPACE.graph(SPACE.decode(RESNET8), 10, (3, 32, 32))
    assert same.layers[0].op == "CONV_2D"  # r equal to the input: no resize
    net = SPACE.build(arch, 10, (3, 32, 32))
    assert net.resolution == 24 and net(torch.zeros(1, 3, 32, 32)).shape == (1, 10)


@pytest.mark.parametrize(
    ("size", "kernel", "stride", "padding"),
    [
        (32, 3, 1, (1, 1)),
        (32, 3, 2, (0, 1)),
        (31, 3, 2, (1, 1)),
        (32, 5, 2, (1, 2)),
        (8, 1, 2, (0, 0)),
    ],
)
def test_same_padding_is_tensorflows(size, kernel, stride, padding):
    assert same_padding(size, kernel, stride) == padding


def test_stride_two_on_an_even_size_gets_an_explicit_pad():
    graph = SPACE.graph(SPACE.decode(RESNET8), 10, (3, 32, 32))
    ops = [layer.op for layer in graph.layers]
    assert (
        ops.count("PAD") == 2 and ops.count("ADD") == 3 and ops[-2:] == ["MEAN", "FULLY_CONNECTED"]
    )
    pad = graph.layers[ops.index("PAD")]
    assert graph.shapes[pad.output] == (34, 34, 16)  # PyTorch's symmetric 1, not SAME's 0/1
    odd = SPACE.graph(SPACE.decode("r31_w1.00_c16_s2-res_d1_k3_c16_s1-h0"), 10, (3, 31, 31))
    assert "PAD" not in [layer.op for layer in odd.layers]  # odd sizes: SAME is symmetric


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("r32_w1.00_c16_s1-res_d1_k3_c32_s1-res_d1_k3_c16_s1-h0", "narrows from 32 to 16"),
        ("r32_w1.00_c16_s1-ir_d1_k3_c16_s1-h0", "ir stages have an expansion"),
        ("r32_w1.00_c16_s1-res_d1_k3_e6_c16_s1-h0", "res stages none"),
        ("r32_w1.00_c16_s1-xx_d1_k3_c16_s1-h0", "unknown stage type 'xx'"),
        ("r32_w0.40_c16_s1-res_d1_k3_c16_s1-h0", "width multiplier 0.4"),
        ("r32_w1.00_c16_s1-res_d9_k3_c16_s1-h0", "depth 9"),
        ("r32_w1.00_c16_s1-res_d1_k4_c16_s1-h0", "kernel 4"),
        ("r4_w1.00_c16_s1-res_d1_k3_c16_s1-h0", "resolution must be an integer in"),
        ("r32_w1.00_c16_s2-" + "-".join(["res_d1_k3_c16_s2"] * 5) + "-h0", "at most 5 stride-2"),
        ("r32_w1.00_c16_s1-res_d1_k3_c16_s1-res_d1_k3_c16_s1", "malformed head"),
        ("r32_w1.00_c16_s1-h0", "needs a global token, 1-7 stages and a head"),
        ("r32_c16_s1-res_d1_k3_c16_s1-h0", "malformed global token"),
        ("", "empty mcu arch"),
    ],
)
def test_bad_arch_strings_are_refused_naming_the_part(text, message):
    with pytest.raises(ArchError, match=message):
        SPACE.decode(text)


def test_space_resolutions_are_a_parameter():
    space = get_space("mcu", resolutions="96,112,128")
    rng = np.random.default_rng(0)
    assert {space.sample(rng).resolution for _ in range(30)} == {96, 112, 128}
    with pytest.raises(ArchError, match="integers joined by commas"):
        MCUSpace(resolutions="big")


SCALED_MOBILENETV2 = (
    "r24_w0.35_c32_s1-ir_d1_k3_e1_c16_s1-ir_d2_k3_e3_c24_s1-ir_d3_k3_e3_c32_s2-"
    "ir_d3_k3_e3_c64_s2-h512"
)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (RESNET8, None),
        (MOBILENETV2, None),
        (SCALED_MOBILENETV2, None),
        ("r48_w0.25_c96_s2-res_d3_k7_c40_s2-h0", "stage 1 .* without widening \\(96 -> 40"),
        ("r32_w1.00_c16_s1-res_d1_k3_c16_s2-res_d1_k3_c16_s2-h0", "stage 1 .*\\(16 -> 16"),
        ("r48_w1.00_c16_s1-res_d1_k3_c32_s2-res_d1_k3_c64_s2-h0", "last feature map is 12 x 12"),
        ("r24_w1.00_c16_s2-res_d1_k3_c32_s2-h0", None),  # 24 -> 6
    ],
)
def test_the_standard_schedule_widens_at_each_stride_and_ends_small(text, reason):
    found = schedule_error(SPACE.decode(text))
    assert found is None if reason is None else re.search(reason, found), found


def test_the_spaces_draws_keep_to_its_schedule_unless_free():
    rng = np.random.default_rng(3)
    drawn = [SPACE.sample(rng) for _ in range(300)]
    children = [SPACE.mutate(a, rng) for a in drawn[:100]]
    pairs = zip(drawn[:100], drawn[100:200], strict=True)
    children += [SPACE.crossover(a, b, rng) for a, b in pairs]
    assert all(schedule_error(a) is None for a in drawn + children)
    assert {min(a.resolution for a in drawn), max(a.resolution for a in drawn)} == {24, 48}
    free = MCUSpace(schedule="free")
    assert sum(schedule_error(free.sample(rng)) is not None for _ in range(100)) > 30
    many = get_space("mcu", resolutions="96,128")  # 4 stride-2 layers at the least
    assert all(schedule_error(many.sample(rng)) is None for _ in range(50))
    with pytest.raises(ArchError, match="schedule must be one of standard, free, got 'loose'"):
        MCUSpace(schedule="loose")


def test_greedy_planner_packs_as_tflite_micro():
    # a lives [0, 1], b [1, 2], c [2, 3]: c reuses a's place
    assert arena_head([(64, 0, 1), (64, 1, 2), (64, 2, 3)]) == 128
    # largest first, then the lowest offset that fits beside those alive at the same time
    assert arena_head([(32, 0, 0), (96, 0, 1), (48, 1, 2), (48, 2, 3)]) == 144
    # equal sizes: the later tensor is placed first (the planner fills its list from the
    # back); first-come order would pack this one into 112
    assert arena_head([(32, 3, 3), (48, 2, 3), (32, 3, 4), (48, 2, 2)]) == 128


def test_resnet8_footprint_is_what_tflite_micro_records():
    """The runtime's own numbers for ResNet-8 as `export --int8` converts it (recorded by
    tflite-micro's allocator; tests/test_tflite.py measures them again where it is
    installed): arena 58,224 bytes (head 51,264), file 92,448 bytes."""
    footprint = int8_footprint(SPACE.graph(SPACE.decode(RESNET8), 10, (3, 32, 32)))
    assert footprint.head == 51_264
    assert abs(footprint.arena - 58_224) <= 0.01 * 58_224
    assert abs(footprint.flash - 92_448) <= 0.01 * 92_448
    lifetimes = tensor_lifetimes(SPACE.graph(SPACE.decode(RESNET8), 10, (3, 32, 32)))
    assert lifetimes[0] == (3072, 0, 0) and all(size % 16 == 0 for size, _, _ in lifetimes)


def test_mcu_presets_fill_the_sram_and_flash_limits():
    limits = Limits(mcu="STM32F412")
    preset = get_mcu("stm32f412")
    assert limits.mcu == "stm32f412"
    assert (limits.max_sram_kib, limits.max_flash_kib) == (
        preset.max_sram_kib,
        preset.max_flash_kib,
    )
    assert preset.max_sram_kib == 256 - preset.sram_reserve_kib
    assert Limits(mcu="stm32f412", max_sram_kib=100).max_sram_kib == 100  # explicit wins
    with pytest.raises(ZeroNASError, match="mcu"):
        Limits(mcu="stm32f999")
    assert "sram_kib" in limits.cost_names() and limits.active


def test_sram_and_flash_limits_reject_before_any_proxy():
    checker = LimitChecker(Limits(max_sram_kib=50), SPACE, CIFAR)
    assert checker(SPACE.decode(RESNET8)).startswith("sram 56.")
    checker = LimitChecker(Limits(max_flash_kib=64), SPACE, CIFAR)
    assert checker(SPACE.decode(RESNET8)).startswith("flash 90.")
    assert LimitChecker(Limits(mcu="stm32f746"), SPACE, CIFAR)(SPACE.decode(RESNET8)) is None
    costs = CostModel(SPACE, CIFAR)(SPACE.decode(RESNET8), ["sram_kib", "flash_kib"])
    assert 56 < costs["sram_kib"] < 57.5 and 89.5 < costs["flash_kib"] < 91


def test_a_limit_check_lays_out_each_candidates_graph_once(monkeypatch):
    space, built = MCUSpace(), []
    real_graph = space.graph
    monkeypatch.setattr(space, "graph", lambda *a: built.append(a[0]) or real_graph(*a))
    checker = LimitChecker(Limits(max_macs=20, max_sram_kib=64, max_flash_kib=96), space, CIFAR)
    archs = [space.decode(RESNET8), space.decode(SCALED_MOBILENETV2)]
    assert [checker(a) for a in archs] == [None, None]
    assert built == archs  # params, MACs, arena and flash from one graph each


def test_a_space_without_an_int8_graph_is_refused_naming_those_with_one():
    space = get_space("nats-tss")
    model = CostModel(space, CIFAR)
    with pytest.raises(ZeroNASError, match="spaces that do: .*mcu"):
        model(space.arch(0), ["sram_kib"])


def test_cli_lists_the_presets_and_searches_under_one(tmp_path):
    listed = RUNNER.invoke(app, ["mcus", "--json"])
    assert listed.exit_code == 0
    rows = {r["name"]: r for r in json.loads(listed.stdout)["mcus"]}
    assert set(rows) == set(MCUS) and rows["stm32f746"]["sram_kib"] == 320
    args = ["search", "--space", "mcu", "--dataset", "cifar10", "--mcu", "nrf52840",
            "--max-macs", "15", "--proxies", "naswot", "--batch-size", "16", "--budget", "6",
            "--no-cache", "--out", str(tmp_path / "s"), "--json"]  # fmt: skip
    searched = RUNNER.invoke(app, args)
    assert searched.exit_code == 0, searched.output
    best = json.loads(searched.stdout)["best"]
    assert best["costs"]["sram_kib"] <= get_mcu("nrf52840").max_sram_kib
    assert best["costs"]["flash_kib"] <= get_mcu("nrf52840").max_flash_kib
    assert best["costs"]["macs"] <= 15
    bad = RUNNER.invoke(app, ["search", "--space", "mcu", "--mcu", "esp8266", "--budget", "2"])
    assert bad.exit_code == 2 and "stm32f746" in bad.output


def test_the_default_search_screens_by_jacob_cov_and_reranks_by_params(tmp_path):
    assert default_search_proxies("mcu") == "mcu_jacob_params"
    args = ["search", "--space", "mcu", "--dataset", "cifar10", "--max-macs", "12.5",
            "--max-sram-kib", "57", "--max-flash-kib", "90", "--budget", "60",
            "--no-cache", "--out", str(tmp_path / "s"), "--json"]  # fmt: skip
    searched = RUNNER.invoke(app, args)
    assert searched.exit_code == 0, searched.output
    doc = json.loads(searched.stdout)
    assert doc["fitness"]["proxies"] == ["jacob_cov"] and doc["rerank"]["k"] == 20
    finalists = [r["values"]["params"] for r in doc["reranked"]]
    assert doc["best"]["values"]["params"] == max(finalists) and len(finalists) == 20
    assert doc["best"]["costs"]["macs"] <= 12.5 and doc["best"]["costs"]["sram_kib"] <= 57


def test_the_one_member_set_is_named_by_its_name_not_by_its_member():
    named = search_config(space="mcu", proxies="mcu_size")
    assert [p.name for p in named.two_stage()[0]] == ["macs"] and named.two_stage()[1] == 20
    assert search_config(space="mcu", proxies="params").two_stage() == ((), 0)
    assert search_config(space="mcu", proxies="mcu_size", rerank=0).two_stage() == ((), 0)
    scoring = ScoringConfig(space="mcu", proxies="mcu_size")  # the API, not the CLI's builder
    assert SearchConfig(scoring).two_stage()[1] == 20
    assert SearchConfig(scoring.replace(seed=3)).two_stage()[1] == 20  # kept by replace
    assert SearchConfig(scoring.replace(proxies="params")).two_stage() == ((), 0)


def test_final_width_is_the_last_stages_scaled_channels():
    scoring = ScoringConfig(space="mcu", proxies="final_width")
    assert scoring.space_object().name == "mcu"
    arch = SPACE.decode(SCALED_MOBILENETV2)
    assert final_stage_width(SPACE.decode(RESNET8)) == 64.0
    assert final_stage_width(arch) == 24.0  # 64 x 0.35 = 22.4, to a multiple of 8
    net = SPACE.build(arch, 10)
    assert get_proxy("final_width").fn(net, torch.zeros(1, 3, 32, 32)) == 24.0
    with pytest.raises(ZeroNASError, match="needs an mcu arch"):
        final_stage_width("r32")
    with pytest.raises(ZeroNASError, match="final_width"):
        ScoringConfig(space="nats-tss", proxies="final_width")
