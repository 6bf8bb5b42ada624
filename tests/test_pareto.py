"""Multi-objective search (issue 17): Pareto sets, crowding, hypervolume on hand-made
points; NSGA-II on NATS-TSS against a device latency table; picking under a budget; a
resumed run equals an uninterrupted one."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from conftest import shared_file
from test_search_cli import _fail, _ok

from zeronas import api
from zeronas.data.tasks import get_dataset
from zeronas.errors import ZeroNASError
from zeronas.hardware.costs import CostModel, check_costs
from zeronas.search.pareto import crowding_distance, hypervolume, nondominated, pareto_ranks
from zeronas.spaces import get_space

# (cost, −fitness): a, b, d form the front; c is dominated by b; e duplicates b
POINTS = np.array([[1.0, 5.0], [2.0, 3.0], [3.0, 4.0], [4.0, 1.0], [2.0, 3.0]])


def test_the_front_of_hand_made_points():
    assert nondominated(POINTS).tolist() == [True, True, False, True, True]
    assert pareto_ranks(POINTS).tolist() == [0, 0, 1, 0, 0]
    with_nan = np.vstack([POINTS, [[0.0, np.nan]]])  # a failed candidate: never on the front
    assert nondominated(with_nan).tolist() == [True, True, False, True, True, False]
    assert pareto_ranks(with_nan)[-1] == 2


def test_hypervolume_and_crowding_by_hand():
    # boxes to (5, 6): [1,2]x[5,6] = 1, [2,4]x[3,6] = 6, [4,5]x[1,6] = 5
    assert hypervolume(POINTS, [5.0, 6.0]) == pytest.approx(12.0)
    assert hypervolume(POINTS, [0.5, 0.5]) == 0.0  # nothing dominates the reference
    front = POINTS[[0, 1, 3]]  # sorted by cost: a, b, d
    distance = crowding_distance(front)
    assert np.isinf(distance[[0, 2]]).all()
    # b: neighbours a and d; (4 - 1) / 3 in cost + (5 - 1) / 4 in −fitness
    assert distance[1] == pytest.approx(3 / 3 + 4 / 4)


def test_costs_are_checked_and_computed_from_the_formula_and_table():
    assert check_costs("latency,params") == ("latency_ms", "params")
    with pytest.raises(ZeroNASError, match="unknown cost 'latncy'. Known: params"):
        check_costs("latncy")
    table = shared_file("benchmarks/nats-tss/latency_cifar10.csv")
    space = get_space("nats-tss")
    model = CostModel(space, get_dataset("cifar10"), f"{table}:pixel3_ms")
    row = next(r for r in csv.DictReader(table.open()) if r["index"] == "123")
    costs = model(space.arch(123), ["latency_ms", "params", "flops"])
    params, macs = space.costs(space.arch(123), 10, (3, 32, 32))
    assert costs == {
        "latency_ms": float(row["pixel3_ms"]),
        "params": params / 1e6,
        "flops": 2 * macs / 1e6,
    }


def _nsga2(budget: int, cache=None, live: bool = False):
    """NSGA-II against Raspberry Pi 4 latency: proxy values from the reference table, or
    (``live``) logsynflow scored here on a small synthetic batch, behind the store ``cache``."""
    table = shared_file("benchmarks/nats-tss/latency_cifar10.csv")
    scoring = {"proxies": "logsynflow,params", "data": "synthetic", "batch_size": 8}
    if not live:
        scores = shared_file("benchmarks/nats-tss/reference_scores.csv")
        scoring = {"proxies": "naswot,logsynflow", "scores": str(scores)}
    run = api.search_setup(
        **scoring, objectives="latency_ms", latency_table=f"{table}:raspi4_ms", cache=cache
    )
    return api.search(run, "nsga2", budget=budget, seed=0, options={"population": 6})


def test_nsga2_front_is_the_non_dominated_set_of_its_history():
    result = _nsga2(120)
    assert result.evaluations == 120 and result.objectives == ("latency_ms",)
    fitness = result.history_fitness()
    front = result.pareto()
    assert front and [e.costs["latency_ms"] for e in front] == sorted(
        e.costs["latency_ms"] for e in front
    )
    on_front = {e.arch for e in front}
    for record in result.scored:  # brute force: on the front iff nothing dominates it
        dominated = any(
            other.costs["latency_ms"] <= record.costs["latency_ms"]
            and fitness[other.arch] >= fitness[record.arch]
            and (
                other.costs["latency_ms"] < record.costs["latency_ms"]
                or fitness[other.arch] > fitness[record.arch]
            )
            for other in result.scored
        )
        assert (record.arch in on_front) == (not dominated)
    budget = float(np.median([e.costs["latency_ms"] for e in front]))
    pick = result.pick_under("latency_ms", budget)
    assert pick.costs["latency_ms"] <= budget
    assert fitness[pick.arch] == max(
        fitness[e.arch] for e in front if e.costs["latency_ms"] <= budget
    )
    assert result.pick_under("latency_ms", 1e-6) is None
    with pytest.raises(ZeroNASError, match="objectives are latency_ms"):
        result.pick_under("params", 1.0)


def test_a_resumed_multi_objective_run_equals_an_uninterrupted_one(tmp_path):
    """The store holds what a killed run finished; running again replays it for free and
    goes on: the history (architectures, values, costs) equals an uninterrupted run's."""
    store = tmp_path / "store.sqlite"
    uninterrupted = _nsga2(24, live=True)
    _nsga2(9, cache=store, live=True)  # the "killed" run: 9 candidates stored
    resumed = _nsga2(24, cache=store, live=True)
    strip = [(e.arch, e.values, e.costs) for e in uninterrupted.history]
    assert [(e.arch, e.values, e.costs) for e in resumed.history] == strip
    assert [e.arch for e in resumed.pareto()] == [e.arch for e in uninterrupted.pareto()]


def test_a_multi_objective_search_runs_in_one_stage():
    with pytest.raises(ZeroNASError, match="runs in one stage"):
        api.search_setup(proxies="naswot,logsynflow", objectives="params", rerank=10,
                         screen="params")  # fmt: skip


def test_search_cli_writes_the_front_and_picks_under_a_latency_budget(
    tmp_path, accuracy_csv, reference_csv
):
    table = shared_file("benchmarks/nats-tss/latency_cifar10.csv")
    args = ["search", "--scores", str(reference_csv), "--benchmark", str(accuracy_csv)]
    args += ["--proxies", "naswot,logsynflow", "--budget", "120", "--algorithm", "nsga2"]
    args += ["-o", "population=16", "--latency-table", f"{table}:fpga_ms"]
    args += ["--out", str(tmp_path), "--json", "--pick-under-latency-ms", "3"]
    doc = json.loads(_ok([*args, "--objectives", "latency_ms"]).stdout)
    front = list(csv.DictReader((tmp_path / "pareto.csv").open()))
    assert (tmp_path / "pareto.png").stat().st_size > 0
    assert doc["pareto"]["size"] == len(front) > 1
    assert 0 < doc["pareto"]["hypervolume_fraction"] <= 1 and doc["pick"] == ["latency_ms", 3]
    under = [r for r in front if float(r["latency_ms"]) <= 3]
    best = max(under, key=lambda r: float(r["fitness"]))
    assert doc["best"]["index"] == int(best["index"])
    assert doc["best"]["costs"]["latency_ms"] == float(best["latency_ms"]) <= 3
    assert doc["best"]["accuracy"] == float(best["accuracy"])
    wrong = [*args, "--objectives", "params", "--max-latency-ms", "50"]
    assert "add latency_ms to --objectives" in _fail(wrong)
