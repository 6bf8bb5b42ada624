"""Shared passes run once per architecture and initialisation for all their readers, with
honest seconds; hardware fast paths are chosen by measurement; a per-candidate timeout
bounds the whole candidate; REA keeps every worker busy."""

import contextlib
import math
import time

import pytest
import torch

from zeronas.data.sources import load_batch
from zeronas.data.tasks import get_dataset
from zeronas.execution.local import LocalExecutor
from zeronas.fitness.combiners import Fitness
from zeronas.proxies import Proxy, get_proxy, parse_proxy_list, passes
from zeronas.proxies import _fastpath as fastpath
from zeronas.proxies.naswot import GRAM_KERNELS, _gram, gram_kernel
from zeronas.scoring.config import ScoringConfig
from zeronas.scoring.records import ArchScores, ProxyValue
from zeronas.scoring.scorer import Scorer
from zeronas.scoring.sources import ScoreSource
from zeronas.search import Budget, SearchProblem, get_searcher
from zeronas.spaces import get_space

SPACE, DATASET = get_space("nats-tss"), get_dataset("cifar10")
BATCH = load_batch("synthetic", DATASET, 8, seed=0)
ARCH = SPACE.arch(1)


def test_the_fastest_candidate_that_agrees_is_chosen_once(monkeypatch):
    fastpath.forget_choices()
    calls = {"slow": 0, "fast": 0, "wrong": 0}

    def timed(name, seconds, result):
        def run(x):
            calls[name] += 1
            clock[0] += seconds
            return result

        return run

    clock = [0.0]
    candidates = {"slow": timed("slow", 1.0, 4), "fast": timed("fast", 0.1, 4)}
    candidates["wrong"] = timed("wrong", 0.01, 5)  # fastest, but disagrees with the reference
    pick = fastpath.fastest("t", "cpu", candidates, 1, agree=int.__eq__, clock=lambda: clock[0])
    assert pick == "fast"
    assert fastpath.fastest("t", "cpu", candidates, 1) == "fast"  # kept for the process
    assert calls == {"slow": 3, "fast": 3, "wrong": 1}
    assert fastpath.chosen_kernels()["t/cpu"]["chosen"] == "fast"
    with fastpath.using("t", "cpu", "slow"):
        assert fastpath.fastest("t", "cpu", candidates, 1) == "slow"
    assert fastpath.fastest("t", "cpu", candidates, 1) == "fast"

    def broken(x):
        raise RuntimeError("no such kernel in this build")

    assert fastpath.fastest("u", "cpu", {"ref": timed("slow", 1.0, 4), "int8": broken}, 1) == "ref"
    monkeypatch.setenv("ZERONAS_KERNEL_V", "slow")
    assert fastpath.fastest("v", "cpu", candidates, 1) == "slow"
    monkeypatch.setenv("ZERONAS_KERNEL_W", "nope")
    with pytest.raises(Exception, match=r"\$ZERONAS_KERNEL_W must be one of slow, fast"):
        fastpath.fastest("w", "cpu", candidates, 1)
    fastpath.forget_choices()


def test_every_gram_kernel_is_exact_and_one_is_chosen_here():
    codes = torch.rand(16, 3000, generator=torch.Generator().manual_seed(0)) > 0.5
    expected = codes.double() @ codes.double().T
    for kernel in GRAM_KERNELS.values():
        with contextlib.suppress(RuntimeError):  # a build without the int8 kernel
            assert torch.equal(kernel(codes), expected)
    assert gram_kernel(codes) in GRAM_KERNELS
    assert torch.equal(_gram(codes), expected)


def test_a_computed_pass_runs_once_for_all_its_readers(monkeypatch):
    runs = []
    original = passes.COMPUTED_PASSES["synflow"]

    def counted(net, x, y):
        runs.append(1)
        time.sleep(0.05)
        return original(net, x, y)

    monkeypatch.setitem(passes.COMPUTED_PASSES, "synflow", counted)
    proxies = parse_proxy_list("synflow,logsynflow,synflow[log=false]")
    result = Scorer(
        ScoringConfig(space=SPACE.name, dataset=DATASET.name, proxies=proxies, repeats=2), BATCH
    )(ARCH)
    assert len(runs) == 2  # one per initialisation, for three readers
    seconds = [result.values[p.name].seconds for p in proxies]
    assert min(seconds) >= 2 * 0.05 / 3  # each reader is charged its share of the pass
    monkeypatch.undo()
    alone = Scorer(
        ScoringConfig(
            space=SPACE.name, dataset=DATASET.name, proxies=[get_proxy("logsynflow")], repeats=2
        ),
        BATCH,
    )(ARCH)
    assert alone.value("logsynflow") == result.value("logsynflow")


def test_own_work_is_charged_to_its_proxy():
    both = Scorer(
        ScoringConfig(
            space=SPACE.name,
            dataset=DATASET.name,
            proxies=parse_proxy_list("naswot,noise_immunity"),
        ),
        BATCH,
    )(ARCH)
    # they share the clean forward; noise_immunity's noisy forward is its own
    assert both.values["noise_immunity"].seconds > both.values["naswot"].seconds


def test_the_backward_pass_is_shared_by_loss_gradient_proxies():
    def grad_norm(result):
        return float(sum(g.norm() ** 2 for g in result.grads.values()) ** 0.5)

    def loss(result):
        return result.loss

    readers = [
        Proxy("grad_norm", grad_norm, True, True, True, "", reads="backward", needs_labels=True),
        Proxy("loss", loss, False, True, True, "", reads="backward", needs_labels=True),
    ]
    assert BATCH.y is not None and BATCH.y.shape == (8,)  # synthetic labels: random
    result = Scorer(
        ScoringConfig(space=SPACE.name, dataset=DATASET.name, proxies=readers, channels_last=False),
        BATCH,
    )(ARCH)
    net = SPACE.build(ARCH, DATASET.num_classes)
    from zeronas.models.init import initialise

    initialise(
        net,
        "kaiming",
        Scorer(
            ScoringConfig(space=SPACE.name, dataset=DATASET.name, proxies=readers), BATCH
        )._init_seeds[0],
    )
    net.train()
    logits = net(BATCH.x)
    expected = torch.nn.functional.cross_entropy(logits, BATCH.y)
    expected.backward()
    norm = sum(p.grad.norm() ** 2 for p in net.parameters() if p.grad is not None) ** 0.5
    assert result.value("loss") == pytest.approx(float(expected.detach()), rel=1e-5)
    assert result.value("grad_norm") == pytest.approx(float(norm), rel=1e-4)
    with pytest.raises(Exception, match="needs labels"):
        readers[0](net, BATCH.x)


class _Sleeper:
    def __init__(self, name, seconds):
        self.name, self.seconds = name, seconds

    def __call__(self, net, x):
        time.sleep(self.seconds)
        return 1.0


def test_a_local_timeout_ends_the_whole_candidate():
    slow = [Proxy(f"slow{i}", _Sleeper(f"slow{i}", 0.6), True, False, False, "") for i in range(4)]
    scorer = Scorer(ScoringConfig(space=SPACE.name, dataset=DATASET.name, proxies=slow), BATCH)
    t0 = time.perf_counter()
    (result,) = LocalExecutor(scorer, 1, timeout=1.0).map([(ARCH, tuple(p.name for p in slow))])
    spent = time.perf_counter() - t0
    assert spent < 1.6  # not 4 x 0.6 s: the later proxies never ran
    assert result.error == "timeout after 1 s"
    assert all(v.error == "timeout after 1 s" for v in result.values.values())


class _CountingExecutor:
    """Stands in for a pool of ``workers``: records how many candidates each call scores."""

    def __init__(self, workers):
        self.workers, self.batches = workers, []


class _ModuloSource:
    """Scores index mod 97 with 1 s each, recording the batch sizes it is asked for."""

    space, proxies, computing = SPACE, (), None

    def __init__(self, executor):
        self.executor = executor

    def score_many(self, archs, _executor=None):
        self.executor.batches.append(len(archs))
        for position, arch in enumerate(archs):
            value = ProxyValue(float(SPACE.index(arch) % 97), 1.0)
            yield position, ArchScores(SPACE.encode(arch), SPACE.index(arch), {"v": value}, 0)

    def __call__(self, arch):
        return next(self.score_many([arch]))[1]


ScoreSource.register(_ModuloSource)


@pytest.mark.parametrize(
    ("name", "options", "workers"),
    [("rea", {"population": 6, "tournament": 3}, 3),
     ("freerea", {"population": 12, "tournament": 6}, 6),
     ("random", {}, 4), ("ga", {"population": 8}, 4)],
)  # fmt: skip
def test_every_searcher_keeps_every_worker_busy(name, options, workers):
    executor = _CountingExecutor(workers)
    fitness = Fitness((Proxy("v", lambda n, x: 0.0, True, False, False, ""),))
    result = get_searcher(name, **options).run(
        SearchProblem(SPACE, _ModuloSource(executor), fitness), Budget(48), 0, executor=executor
    )
    assert result.evaluations == 48
    # candidates are proposed a worker-full at a time (fewer only where some were seen before)
    assert max(executor.batches) >= workers
    assert sum(executor.batches) / len(executor.batches) >= 0.6 * workers
    # search time: one rule, the scoring seconds (1 s each) over the workers
    assert result.seconds == pytest.approx(48 / workers, abs=0.5)
    assert not math.isnan(result.best.values["v"])
