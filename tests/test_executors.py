"""Executors: the same scores as in-process scoring, timeouts and dead workers recorded as
failures with the worker replaced, and correlate with 2 workers equal to 1."""

import os
import time

import pytest
import torch

from zeronas import api
from zeronas.data.sources import load_batch
from zeronas.data.tasks import get_dataset
from zeronas.errors import ZeroNASError
from zeronas.execution import ExecutorConfig, make_executor
from zeronas.execution.local import LocalExecutor
from zeronas.execution.processes import ProcessExecutor
from zeronas.groundtruth.accuracy import CSVGroundTruth
from zeronas.groundtruth.correlation import sample_indices
from zeronas.proxies import Proxy, parse_proxy_list
from zeronas.scoring.config import ScoringConfig
from zeronas.scoring.scorer import Scorer
from zeronas.spaces import get_space

SPACE = get_space("nats-tss")
CIFAR10 = get_dataset("cifar10")


def sleepy(net: torch.nn.Module, x: torch.Tensor) -> float:
    """Sleeps for cells whose first edge is a 3x3 conv; 1.0 otherwise."""
    if net.arch.ops[0] == "nor_conv_3x3":
        time.sleep(30)
    return 1.0


def fatal(net: torch.nn.Module, x: torch.Tensor) -> float:
    """Kills its process for cells whose first edge is 'none' (an out-of-memory kill)."""
    if net.arch.ops[0] == "none":
        os._exit(3)
    return 2.0


def _scorer(proxies) -> Scorer:
    return Scorer(
        ScoringConfig(space=SPACE.name, dataset=CIFAR10.name, proxies=proxies),
        load_batch("synthetic", CIFAR10, 4),
    )


def _task(arch, scorer):
    return arch, tuple(p.name for p in scorer.proxies)


def test_process_workers_compute_what_this_process_computes():
    scorer = _scorer(parse_proxy_list("naswot,synflow,params"))
    archs = [SPACE.arch(i) for i in (1, 2, 3, 4, 5)]
    serial = LocalExecutor(scorer).map([_task(a, scorer) for a in archs])
    with ProcessExecutor(scorer, workers=2) as pool:
        parallel = pool.map([_task(a, scorer) for a in archs])
    for one, other in zip(serial, parallel, strict=True):
        assert one.arch == other.arch
        for name in ("naswot", "synflow", "params"):
            assert other.values[name].value == pytest.approx(one.values[name].value, rel=1e-6)


def test_timeouts_and_dead_workers_are_failures_and_the_pool_goes_on():
    proxies = [
        Proxy("sleepy", sleepy, True, False, False, "sleeps"),
        Proxy("fatal", fatal, True, False, False, "dies"),
    ]
    scorer = _scorer(proxies)
    archs = [
        SPACE.decode("|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|"),
        SPACE.decode("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"),
        SPACE.decode("|skip_connect~0|+|none~0|none~1|+|none~0|none~1|none~2|"),
    ]
    start = time.monotonic()
    with ProcessExecutor(scorer, workers=2, timeout=3) as pool:
        results = pool.map([_task(a, scorer) for a in archs])
        again = pool.map([_task(archs[2], scorer)])[0]
    assert time.monotonic() - start < 25
    assert results[0].error == "timeout after 3 s"
    assert results[1].error == "worker died (exit 3)"
    assert results[2].error is None and results[2].values["fatal"].value == 2.0
    assert again.values["sleepy"].value == 1.0  # replaced workers serve new tasks


def test_local_timeout_in_the_main_thread():
    scorer = _scorer([Proxy("sleepy", sleepy, True, False, False, "sleeps")])
    arch = SPACE.decode("|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|")
    result = LocalExecutor(scorer, timeout=1).map([_task(arch, scorer)])[0]
    assert "timeout after 1 s" in result.values["sleepy"].error


def test_bad_executor_settings():
    scorer = _scorer(parse_proxy_list("params"))
    with pytest.raises(ZeroNASError, match="'kind' parameter of ExecutorConfig must be one of"):
        make_executor(ExecutorConfig("threads"), scorer)
    with pytest.raises(ZeroNASError, match="'workers' parameter of ExecutorConfig must be an int"):
        make_executor(ExecutorConfig("process", workers=0), scorer)
    with pytest.raises(ZeroNASError, match="'timeout' parameter of ExecutorConfig must be a pos"):
        make_executor(ExecutorConfig("local", timeout=-1), scorer)


def test_correlate_with_two_workers_equals_one(accuracy_csv, tmp_path):
    truth = CSVGroundTruth(accuracy_csv)
    rows = {}
    for workers in (1, 2):
        run = api.setup(
            proxies="synflow,relu_count", batch_size=4, cache=tmp_path / f"{workers}.db"
        )
        result = api.run_correlation(
            run, truth, 24, 0, execution=ExecutorConfig("process", workers=workers)
        )
        rows[workers] = [(r.proxy, r.n, r.kendall_tau, r.spearman_rho) for r in result.rows]
        assert [r.index for r in result.records] == sample_indices(SPACE.size, 24, 0)
    assert rows[1] == rows[2]


def test_ray_executor_matches_the_local_one(accuracy_csv, tmp_path):
    pytest.importorskip("ray", reason="Ray is an optional extra: pip install 'zeronas[ray]'")
    import ray

    truth = CSVGroundTruth(accuracy_csv)
    run = api.setup(proxies="synflow,relu_count", batch_size=4)
    local = api.run_correlation(run, truth, 12, 0)
    try:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
        remote = api.run_correlation(run, truth, 12, 0, execution=ExecutorConfig("ray", 2))
    finally:
        ray.shutdown()
    assert [(r.proxy, r.kendall_tau) for r in local.rows] == [
        (r.proxy, r.kendall_tau) for r in remote.rows
    ]
    assert [r.arch for r in local.records] == [r.arch for r in remote.records]


def _history(result):
    return [(e.arch, e.status, e.values) for e in result.history]


def test_parallel_random_search_is_the_serial_one():
    run = api.search_setup(proxies="synflow,relu_count", batch_size=4)
    serial = api.search(run, "random", 8, None, 3)
    parallel = api.search(run, "random", 8, None, 3, execution=ExecutorConfig("process", 2))
    assert [e.arch for e in parallel.history] == [e.arch for e in serial.history]
    for one, other in zip(serial.history, parallel.history, strict=True):
        assert other.values == pytest.approx(one.values, rel=1e-6)


def test_search_on_ray_has_the_history_of_the_process_pool():
    pytest.importorskip("ray", reason="Ray is an optional extra: pip install 'zeronas[ray]'")
    import ray

    run = api.search_setup(proxies="synflow,relu_count", batch_size=4)
    options = {"population": 4, "tournament": 2}
    local = api.search(run, "rea", 12, None, 0, options, execution=ExecutorConfig("process", 2))
    try:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
        remote = api.search(run, "rea", 12, None, 0, options, execution=ExecutorConfig("ray", 2))
    finally:
        ray.shutdown()
    assert _history(remote) == _history(local) and remote.evaluations == 12
