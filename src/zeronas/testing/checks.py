"""Contract checks for plug-in authors, in the manner of scikit-learn's
``check_estimator`` and Optuna's ``optuna.testing``: each takes one plug-in (by name or as
an object), runs it on small inputs, and raises ``AssertionError`` saying which part of its
protocol it breaks. zeronas runs them on every registered plug-in of its own
(``tests/test_plugin_contracts.py``); a plug-in package runs them on its own::

    from zeronas.testing import check_proxy

    def test_my_proxy():
        check_proxy("my_proxy")
"""

from __future__ import annotations

import json
import math
from collections.abc import Hashable

import numpy as np
import torch

from zeronas.data.sources import DATA_SOURCES, load_batch
from zeronas.data.tasks import get_dataset
from zeronas.errors import ZeroNASError
from zeronas.execution.base import EXECUTORS, ExecutorConfig, Task, make_executor
from zeronas.fitness.combiners import Fitness
from zeronas.models.init import initialise
from zeronas.proxies.base import Proxy, get_proxy
from zeronas.proxies.passes import pass_names
from zeronas.scoring.records import ArchScores, ProxyValue
from zeronas.search.base import get_searcher
from zeronas.search.problem import Budget, SearchProblem
from zeronas.spaces.base import SearchSpace
from zeronas.spaces.base import get_space as _get_space

__all__ = [
    "check_data_source",
    "check_executor",
    "check_proxy",
    "check_searcher",
    "check_space",
]


def _space(space: SearchSpace | str) -> SearchSpace:
    return _get_space(space) if isinstance(space, str) else space


def check_proxy(
    proxy: Proxy | str,
    space: SearchSpace | str = "nats-tss",
    input_shape: tuple[int, int, int] = (3, 16, 16),
    classes: int = 10,
) -> None:
    """A proxy declares a known pass, a direction and a description, describes itself in
    JSON, and on an initialised network of ``space`` is a pure function: a finite float,
    the same twice, the weights unchanged and no gradient left behind. A derived proxy
    (Σ of z-scored parts) refuses to be computed on a network alone. A proxy defined on
    some spaces only is checked on the first of them when ``space`` is not one."""
    proxy = get_proxy(proxy) if isinstance(proxy, str) else proxy
    where = f"proxy {proxy.name!r}"
    assert proxy.reads in pass_names(), f"{where} reads unknown pass {proxy.reads!r}"
    assert isinstance(proxy.higher_is_better, bool), f"{where}: higher_is_better is not a bool"
    assert proxy.description, f"{where} has no description (its docstring's first line)"
    json.dumps(proxy.describe())
    chosen = _space(space)
    if proxy.spaces and chosen.name not in proxy.spaces:  # checked where it is defined
        chosen = _space(proxy.spaces[0])
    net = chosen.build(chosen.sample(np.random.default_rng(0)), classes, input_shape)
    net = initialise(net, "kaiming", 0)
    x = torch.randn((8, *input_shape), generator=torch.Generator().manual_seed(0))
    y = torch.randint(classes, (8,), generator=torch.Generator().manual_seed(0))
    if proxy.parts:
        parts = [get_proxy(part) for part, _ in proxy.parts]  # every part is registered
        assert proxy.needs_data == any(p.needs_data for p in parts), f"{where}: needs_data"
        try:
            proxy(net, x, y)
        except ZeroNASError:
            return
        raise AssertionError(f"{where} is derived but gave a value on a network alone")
    weights = {k: v.detach().clone() for k, v in net.named_parameters()}
    first, second = proxy(net, x, y), proxy(net, x, y)
    assert isinstance(first, float), f"{where} returned {type(first).__name__}, not a float"
    assert math.isfinite(first) or first == -math.inf, f"{where} returned {first}"
    assert first == second, f"{where} is not deterministic: {first} then {second}"
    changed = [k for k, v in net.named_parameters() if not torch.equal(weights[k], v)]
    assert not changed, f"{where} changed the weights of {changed[:3]}"
    assert all(p.grad is None for p in net.parameters()), f"{where} left gradients behind"


def check_space(
    space: SearchSpace | str,
    samples: int = 20,
    classes: int = 10,
    input_shape: tuple[int, int, int] | None = None,
    check_index: bool = True,
) -> None:
    """Sampling is seeded; ``encode``/``decode`` round-trip; ``mutate`` gives a valid,
    different architecture and ``crossover`` a valid one, neither changing its parents; a
    finite space's ``arch`` and ``index`` are inverse (``check_index=False`` skips that
    where the index is costly to build); ``build`` gives a network with one output per
    class."""
    space = _space(space)
    where = f"space {space.name!r}"
    first = space.sample(np.random.default_rng(3))
    assert space.sample(np.random.default_rng(3)) == first, f"{where}: sample is not seeded"
    rng = np.random.default_rng(0)
    for _ in range(samples):
        a, b = space.sample(rng), space.sample(rng)
        hash(a)
        text = space.encode(a)
        assert space.decode(text) == a, f"{where}: decode(encode(a)) != a for {text!r}"
        assert space.encode(space.decode(text)) == text, f"{where}: encoding not canonical"
        kept = space.encode(a), space.encode(b)
        child = space.mutate(a, rng)
        assert child != a, f"{where}: mutate returned its parent {text!r}"
        assert space.decode(space.encode(child)) == child, f"{where}: bad mutant {child!r}"
        mixed = space.crossover(a, b, rng)
        assert space.decode(space.encode(mixed)) == mixed, f"{where}: bad child {mixed!r}"
        assert (space.encode(a), space.encode(b)) == kept, f"{where}: a parent was changed"
        if space.size is not None and check_index:
            index = space.index(a)
            assert 0 <= index < space.size, f"{where}: index {index} of {text!r} out of range"
            assert space.index(space.arch(index)) == index, f"{where}: arch/index not inverse"
    shape = input_shape or (3, 32, 32)
    net = space.build(first, classes, shape)
    with torch.no_grad():
        out = net.eval()(torch.zeros((2, *shape)))
    assert tuple(out.shape) == (2, classes), f"{where}: build gives outputs {tuple(out.shape)}"


def _toy_scores(space: SearchSpace):
    """Deterministic, cheap scores: a hash of the architecture's text, in [0, 1)."""

    def score(arch: Hashable) -> ArchScores:
        text = space.encode(arch)
        value = _stable(text)
        index = space.index(arch) if space.size is not None else None
        return ArchScores(text, index, {"toy": ProxyValue(value, 0.01)}, 0.0)

    return score


def _stable(text: str) -> float:
    """A value in [0, 1) from ``text``, the same in every process (unlike ``hash``)."""
    return sum((i + 1) * ord(c) for i, c in enumerate(text)) % 10_007 / 10_007


_TOY = Proxy("toy", lambda net, x: 0.0, True, False, False, "a toy proxy")


def check_searcher(name: str, space: SearchSpace | str = "nats-tss", budget: int = 40) -> None:
    """On a toy problem a searcher keeps to the budget, meets no candidate twice in its
    history, gives the same history for the same seed and another for another seed, and
    answers with the fittest candidate it scored."""
    space = _space(space)
    problem = SearchProblem(space, _toy_scores(space), Fitness((_TOY,)))
    where = f"searcher {name!r}"
    first = get_searcher(name).run(problem, Budget(budget), seed=0)
    again = get_searcher(name).run(problem, Budget(budget), seed=0)
    other = get_searcher(name).run(problem, Budget(budget), seed=1)
    archs = [e.arch for e in first.history]
    assert first.evaluations <= budget, f"{where} scored {first.evaluations} > {budget}"
    assert len(set(archs)) == len(archs), f"{where}: a candidate appears twice in the history"
    assert archs == [e.arch for e in again.history], f"{where}: the same seed gave another run"
    assert archs != [e.arch for e in other.history], f"{where}: seeds 0 and 1 gave one run"
    fitness = first.history_fitness()
    assert first.best is not None, f"{where} gave no answer"
    assert fitness[first.best.arch] == max(fitness.values()), f"{where}: not the fittest"


class Square:
    """A picklable toy computation: a task's result is the square of its number."""

    def compute(self, task: Task) -> float:
        return float(task[0]) ** 2

    def failed(self, task: Task, error: str) -> str:
        return error


def check_executor(kind: str, workers: int | None = None) -> None:
    """An executor returns every task's result once, with its position, equal to computing
    it here, and can be used as a context manager (``workers``: default 1 for ``local``,
    which runs in this process, else 2)."""
    assert kind in EXECUTORS, f"executor {kind!r} is not registered"
    workers = workers if workers is not None else (1 if kind == "local" else 2)
    tasks = [(i, ()) for i in range(7)]
    with make_executor(ExecutorConfig(kind, workers), Square()) as pool:
        seen = list(pool.imap(tasks))
    positions = sorted(p for p, _ in seen)
    assert positions == list(range(len(tasks))), f"executor {kind!r} gave positions {positions}"
    assert dict(seen) == {i: float(i) ** 2 for i in range(len(tasks))}, f"executor {kind!r}"


def check_data_source(
    name: str,
    path: str | None = None,
    dataset: str = "cifar10",
    batch_size: int = 4,
    data_root: str | None = None,
) -> None:
    """A data source gives a batch of ``batch_size`` float32 images of the task's shape, the
    same for the same seed, with labels in the task's classes (or none, or a note saying
    why not), and says where it came from."""
    assert name in DATA_SOURCES, f"data source {name!r} is not registered"
    spec, where = get_dataset(dataset), f"data source {name!r}"
    source = f"{name}:{path}" if path is not None else name
    first = load_batch(source, spec, batch_size, 0, data_root)
    again = load_batch(source, spec, batch_size, 0, data_root)
    shape = (batch_size, *spec.input_shape)
    assert tuple(first.x.shape) == shape, f"{where} gave images {tuple(first.x.shape)} != {shape}"
    assert first.x.dtype == torch.float32, f"{where} gave {first.x.dtype} images"
    assert torch.isfinite(first.x).all(), f"{where} gave non-finite pixels"
    assert first.fingerprint == again.fingerprint, f"{where}: the same seed gave another batch"
    assert first.size == batch_size and first.source, f"{where}: size or source not recorded"
    if first.y is not None:
        assert tuple(first.y.shape) == (batch_size,), f"{where}: one label per image"
        assert int(first.y.min()) >= 0 and int(first.y.max()) < spec.num_classes, where
