"""The scorer's fast paths give the proxies' own values: one forward shared by every reader,
channels-last layout, int8 Gram matrices, devices."""

import math
import platform
import sys

import pytest
import torch
from torch import nn

from zeronas.data.sources import load_batch
from zeronas.data.tasks import get_dataset
from zeronas.errors import ZeroNASError
from zeronas.execution import ExecutorConfig, make_executor
from zeronas.execution.allocator import keep_freed_memory
from zeronas.models.init import check_device, initialise, redraw
from zeronas.proxies import Proxy, get_proxy, parse_proxy_list
from zeronas.proxies.naswot import NaswotReader, _gram
from zeronas.scoring.config import ScoringConfig
from zeronas.scoring.scorer import Scorer
from zeronas.spaces import get_space

SPACE, DATASET = get_space("nats-tss"), get_dataset("cifar10")
BATCH = load_batch("synthetic", DATASET, 16, seed=0)
CELLS = [SPACE.arch(i) for i in (1, 77, 5000, 9930, 15624)]
PROXIES = "naswot,synflow,logsynflow,relu_count,params"


class _CountingReader:
    """Counts the network's forward calls while attached; its result is that count."""

    forwards = 0

    def __init__(self, x):
        self.seen = 0

    def attach(self, net):
        def count(_module, _args):
            self.seen += 1
            _CountingReader.forwards += 1

        return [net.register_forward_pre_hook(count)]

    def result(self):
        return float(self.seen)


def test_readers_share_one_forward_per_initialisation():
    counting = [
        Proxy(
            f"count{i}",
            lambda net, x: 0.0,
            True,
            True,
            True,
            "",
            reader=_CountingReader,
            reads="forward",
        )  # fmt: skip
        for i in range(3)
    ]
    _CountingReader.forwards = 0
    scorer = Scorer(
        ScoringConfig(
            space=SPACE.name,
            dataset=DATASET.name,
            proxies=[*counting, get_proxy("naswot")],
            repeats=2,
        ),
        BATCH,
    )
    result = scorer(CELLS[1])
    assert [result.value(p.name) for p in counting] == [1.0, 1.0, 1.0]
    assert _CountingReader.forwards == 3 * 2  # three readers, one forward per repeat
    alone = Scorer(
        ScoringConfig(
            space=SPACE.name, dataset=DATASET.name, proxies=[get_proxy("naswot")], repeats=2
        ),
        BATCH,
    )(CELLS[1])
    assert result.value("naswot") == alone.value("naswot")
    seconds = [result.values[p.name].seconds for p in counting]
    # each is charged an equal share of the forward, plus its own (here trivial) result
    assert seconds[0] == pytest.approx(seconds[1], abs=1e-3) and seconds[0] > 0


def test_a_failing_reader_fails_its_forward_only():
    class Broken(_CountingReader):
        def result(self):
            raise RuntimeError("broken reader")

    broken = Proxy(
        "broken", lambda net, x: 0.0, True, True, True, "", reader=Broken, reads="forward"
    )
    result = Scorer(
        ScoringConfig(
            space=SPACE.name, dataset=DATASET.name, proxies=[broken, get_proxy("logsynflow")]
        ),
        BATCH,
    )(CELLS[0])
    assert result.values["broken"].error == "RuntimeError: broken reader"
    assert result.values["logsynflow"].ok


@pytest.mark.parametrize("arch", CELLS, ids=str)
def test_channels_last_scores_equal_the_proxies_own_values(arch):
    proxies = parse_proxy_list(PROXIES)
    fast = Scorer(
        ScoringConfig(space=SPACE.name, dataset=DATASET.name, proxies=proxies, seed=4), BATCH
    )(arch)
    plain = Scorer(
        ScoringConfig(
            space=SPACE.name, dataset=DATASET.name, proxies=proxies, seed=4, channels_last=False
        ),
        BATCH,
    )(arch)
    net = initialise(
        SPACE.build(arch, 10),
        "kaiming",
        Scorer(
            ScoringConfig(space=SPACE.name, dataset=DATASET.name, proxies=proxies, seed=4), BATCH
        )._init_seeds[0],
    )
    for proxy in proxies:
        direct = proxy(net, BATCH.x)
        assert plain.value(proxy.name) == direct
        if math.isinf(direct):
            assert fast.value(proxy.name) == direct
        else:
            assert fast.value(proxy.name) == pytest.approx(direct, rel=1e-5, abs=1e-4), proxy.name


def test_int8_gram_is_exact():
    codes = torch.rand(9, 70_000, generator=torch.Generator().manual_seed(0)) > 0.3
    as_float = codes.to(torch.float64)
    assert torch.equal(_gram(codes), as_float @ as_float.T)
    channels_last = torch.randn(4, 3, 5, 6).contiguous(memory_format=torch.channels_last)
    reader = NaswotReader(channels_last)
    reader._on_input(channels_last)
    flat = (channels_last.reshape(4, -1) > 0).to(torch.float64)
    assert torch.equal(reader.gram, flat @ flat.T)


def test_proxies_leave_the_network_as_they_found_it():
    net = initialise(SPACE.build(CELLS[2], 10), "kaiming", 0).eval()
    weights = {k: v.clone() for k, v in net.named_parameters()}
    for name in ("synflow", "logsynflow", "naswot"):
        get_proxy(name)(net, BATCH.x)
    assert not net.training
    assert all(torch.equal(weights[k], v) for k, v in net.named_parameters())
    assert all(p.dtype == torch.float32 and p.grad is None for p in net.parameters())
    assert not any("forward" in vars(m) for m in net.modules() if isinstance(m, nn.BatchNorm2d))


def test_bad_devices_are_named():
    with pytest.raises(ZeroNASError, match="'tpu'"):
        check_device("tpu")
    with pytest.raises(ZeroNASError, match="'banana'"):
        check_device("banana")
    if not torch.cuda.is_available():
        with pytest.raises(ZeroNASError, match="'cuda'.*no CUDA device"):
            Scorer(
                ScoringConfig(
                    space=SPACE.name,
                    dataset=DATASET.name,
                    proxies=[get_proxy("naswot")],
                    device="cuda",
                ),
                BATCH,
            )


def test_allocator_tuning_applies_on_glibc():
    glibc = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"
    assert keep_freed_memory() is glibc


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_scores_match_cpu_scores():
    proxies = parse_proxy_list(PROXIES)
    for arch in CELLS:
        cpu = Scorer(
            ScoringConfig(space=SPACE.name, dataset=DATASET.name, proxies=proxies, seed=2), BATCH
        )(arch)
        gpu = Scorer(
            ScoringConfig(
                space=SPACE.name, dataset=DATASET.name, proxies=proxies, seed=2, device="cuda"
            ),
            BATCH,
        )(arch)
        for proxy in proxies:
            expected = cpu.value(proxy.name)
            assert gpu.values[proxy.name].ok, gpu.values[proxy.name].error
            if math.isinf(expected):
                assert gpu.value(proxy.name) == expected
            else:
                assert gpu.value(proxy.name) == pytest.approx(expected, rel=1e-4, abs=1e-3)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_worker_processes_score_like_the_driver():
    scorer = Scorer(
        ScoringConfig(
            space=SPACE.name,
            dataset=DATASET.name,
            proxies=parse_proxy_list("naswot,logsynflow"),
            device="cuda",
        ),
        BATCH,
    )
    with make_executor(ExecutorConfig("process", 2), scorer) as pool:
        results = dict(scorer.score_many(CELLS, pool))
    for position, arch in enumerate(CELLS):
        direct = scorer(arch)
        for name in ("naswot", "logsynflow"):
            assert results[position].value(name) == pytest.approx(direct.value(name), rel=1e-5)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_ntk_uses_one_batched_backward_and_agrees_with_the_cpu_loop():
    from zeronas.proxies.ntk import ntk_matrix

    net = initialise(SPACE.build(CELLS[3], 10), "kaiming", 0)
    x = BATCH.x[:8]
    cpu = ntk_matrix(net, x)
    gpu = ntk_matrix(net.cuda(), x.cuda()).cpu()
    torch.testing.assert_close(gpu, cpu, rtol=1e-4, atol=1e-6 * float(cpu.abs().max()))


def test_redraw_gives_the_same_weights_in_every_layout():
    plain = SPACE.build(CELLS[2], 10)
    nhwc = SPACE.build(CELLS[2], 10).to(memory_format=torch.channels_last)
    for scheme in ("normal", "kaiming_fan_in", "pytorch"):
        redraw(plain, scheme, 3)
        redraw(nhwc, scheme, 3)
        for (name, a), b in zip(
            plain.state_dict().items(), nhwc.state_dict().values(), strict=True
        ):
            assert torch.equal(a, b), (scheme, name)


@pytest.mark.parametrize(
    "name", ["zen", "swap", "az_expressivity", "az_trainability", "vkdnw"]
)  # fmt: skip
def test_proxies_that_draw_their_own_weights_ignore_the_layout(name):
    """Before the weights were drawn in the standard layout, a channels-last network got other
    weights for the same seed, so these values depended on the scorer's layout."""
    proxy = get_proxy(name)
    for arch in CELLS[1:4]:
        net = initialise(SPACE.build(arch, 10), "kaiming", 0)
        plain = proxy(net, BATCH.x)
        nhwc = proxy(net.to(memory_format=torch.channels_last),
                     BATCH.x.contiguous(memory_format=torch.channels_last))  # fmt: skip
        if math.isinf(plain):
            assert nhwc == plain
        else:
            assert nhwc == pytest.approx(plain, rel=1e-3, abs=1e-4), (name, str(arch))  # rounding
