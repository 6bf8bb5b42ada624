"""Fitness combiners against their formulas on hand-made rows; limits; bad input."""

import math

import numpy as np
import pytest

from zeronas.errors import ZeroNASError
from zeronas.fitness.combiners import COMBINERS, Fitness, parse_weights
from zeronas.hardware.limits import Limits
from zeronas.proxies import Proxy


def _proxy(name: str, higher: bool = True) -> Proxy:
    return Proxy(name, lambda net, x: 0.0, higher, False, False, name)


UP, DOWN = _proxy("up"), _proxy("down", higher=False)
ROWS = [{"up": 2.0, "down": 10.0}, {"up": 4.0, "down": 5.0}, {"up": -1.0, "down": 20.0}]


def test_norm_sum_is_freereas_formula():
    fitness = Fitness((UP, DOWN), "norm-sum")
    got = fitness(ROWS)
    # up / (max|up| + 1e-9) + 1 - down / (max|down| + 1e-9)
    want = [2 / 4 + 1 - 10 / 20, 4 / 4 + 1 - 5 / 20, -1 / 4 + 1 - 20 / 20]
    assert got == pytest.approx(want, rel=1e-8)
    assert int(np.argmax(got)) == 1


def test_norm_sum_depends_on_the_compared_set():
    fitness = Fitness((UP,), "norm-sum")
    assert fitness([{"up": 2.0}])[0] == pytest.approx(1.0)
    assert fitness([{"up": 2.0}, {"up": 8.0}])[0] == pytest.approx(0.25)


def test_weights_scale_each_proxy():
    fitness = Fitness((UP, DOWN), "norm-sum", (2.0, 0.5))
    want = 2 * (2 / 4) + 0.5 * (1 - 10 / 20)
    assert fitness(ROWS)[0] == pytest.approx(want)


def test_zscore_uses_the_reference_not_the_set():
    reference = [{"up": 0.0, "down": 0.0}, {"up": 2.0, "down": 4.0}]  # mu 1, 2; sigma 1, 2
    fitness = Fitness((UP, DOWN), "zscore").with_reference(reference)
    assert fitness.reference == ((1.0, 1.0), (2.0, 2.0))
    got = fitness([{"up": 3.0, "down": 0.0}])
    assert got[0] == pytest.approx((3 - 1) / 1 - (0 - 2) / 2)


def test_rank_and_logrank():
    fitness = Fitness((UP, DOWN), "rank")
    # up ranks (1 = worst): 2, 3, 1; down is lower-better: 10 -> 2, 5 -> 3, 20 -> 1
    assert fitness(ROWS) == pytest.approx([4 / 3, 6 / 3, 2 / 3])
    log = Fitness((UP, DOWN), "logrank")
    assert log(ROWS) == pytest.approx([2 * math.log(2 / 3), 0.0, 2 * math.log(1 / 3)])
    # places from the top (1 = best): up 2, 1, 3; down 2, 1, 3
    rrf = Fitness((UP, DOWN), "rrf")
    assert rrf(ROWS) == pytest.approx([2 / 62, 2 / 61, 2 / 63])
    weighted = Fitness((UP, DOWN), "rrf", (1.0, 0.5))
    assert weighted(ROWS)[0] == pytest.approx(1 / 62 + 0.5 / 62)


@pytest.mark.parametrize("combine", list(COMBINERS))
def test_non_finite_values_get_minus_inf_and_direction_is_respected(combine):
    rows = [*ROWS, {"up": -math.inf, "down": 20.0}, {"up": math.nan, "down": 1.0}]
    fitness = Fitness((UP, DOWN), combine)
    if combine == "zscore":
        fitness = fitness.with_reference(ROWS)
    got = fitness(rows)
    assert got[4] == -math.inf  # a failure (NaN) is never chosen
    if combine in ("rank", "logrank", "rrf"):  # -inf is a value: the worst 'up', ranked (AZ-NAS)
        assert math.isfinite(got[3]) and got[3] < got[2]  # same 'down', lower 'up'
    else:
        assert got[3] == -math.inf
    assert np.isfinite(got[:3]).all()
    assert int(np.argmax(got)) == 1  # highest 'up' and lowest 'down'


def test_bad_fitness_settings_are_named():
    with pytest.raises(ZeroNASError, match="Did you mean 'norm-sum'"):
        Fitness((UP,), "norm_sum")
    with pytest.raises(ZeroNASError, match="one finite number per proxy"):
        parse_weights("1", [UP, DOWN])
    with pytest.raises(
        ZeroNASError, match="'weights' parameter of Fitness must be numbers, one per proxy"
    ):
        parse_weights("a,b", [UP, DOWN])
    assert parse_weights(None, [UP, DOWN]) == (1.0, 1.0)


def test_constraints():
    limits = Limits(max_params=1.0, max_macs=100.0)
    assert limits.violation(0.5, 50.0) is None
    assert "params 1.5000 M > max 1 M" in limits.violation(1.5, 50.0)
    assert "MACs" in limits.violation(0.5, 150.0)
    assert "FLOPs 300" in Limits(max_flops=200.0).violation(0.1, 150.0)
    assert not Limits().active and limits.active
    with pytest.raises(
        ZeroNASError, match="'max_params' parameter of Limits must be a positive number. Got -1"
    ):
        Limits(max_params=-1)
