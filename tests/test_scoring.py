"""Scorer: failures recorded per proxy, repeats averaged and seeded."""

import math

import numpy as np
import pytest

from zeronas.data.sources import load_batch
from zeronas.data.tasks import get_dataset
from zeronas.errors import ZeroNASError
from zeronas.proxies import Proxy, get_proxy
from zeronas.scoring.config import ScoringConfig
from zeronas.scoring.scorer import Scorer
from zeronas.spaces import get_space

SPACE, DATASET = get_space("nats-tss"), get_dataset("ImageNet16-120")
BATCH = load_batch("synthetic", DATASET, 8, seed=0)


def _proxy(name, fn, init_dependent=True):
    return Proxy(name, fn, True, False, init_dependent, name)


def _boom(net, x):
    raise RuntimeError("out of memory (simulated)")


def test_failures_are_recorded_and_the_rest_still_scores():
    proxies = [
        _proxy("boom", _boom),
        _proxy("nan", lambda net, x: math.nan),
        _proxy("minus_inf", lambda net, x: -math.inf),
        get_proxy("params"),
    ]
    result = Scorer(ScoringConfig(space=SPACE.name, dataset=DATASET.name, proxies=proxies), BATCH)(
        SPACE.arch(1)
    )
    assert result.values["boom"].error == "RuntimeError: out of memory (simulated)"
    assert math.isnan(result.values["boom"].value)
    assert result.values["nan"].error == "proxy returned nan"
    assert result.values["minus_inf"].ok and result.values["minus_inf"].value == -math.inf
    assert result.values["params"].value == pytest.approx(0.809576)


def test_repeats_average_init_dependent_proxies_only():
    calls = {"fixed": 0}

    def fixed(net, x):
        calls["fixed"] += 1
        return 1.0

    first_weight = _proxy("w", lambda net, x: net.stem[0].weight[0, 0, 0, 0].item())
    scorer = Scorer(
        ScoringConfig(
            space=SPACE.name,
            dataset=DATASET.name,
            proxies=[first_weight, _proxy("fixed", fixed, False)],
            seed=3,
            repeats=3,
        ),
        BATCH,
    )
    result = scorer(SPACE.arch(5))
    assert calls["fixed"] == 1
    single = [
        Scorer(
            ScoringConfig(
                space=SPACE.name, dataset=DATASET.name, proxies=[first_weight], seed=3, repeats=r
            ),
            BATCH,
        )(SPACE.arch(5)).value("w")
        for r in (1, 3)
    ]
    assert result.value("w") == single[1] != single[0]


def test_bad_scorer_settings():
    with pytest.raises(
        ZeroNASError, match="'repeats' parameter of ScoringConfig must be an integer >= 1. Got 0"
    ):
        Scorer(
            ScoringConfig(
                space=SPACE.name, dataset=DATASET.name, proxies=[get_proxy("params")], repeats=0
            ),
            BATCH,
        )


@pytest.mark.parametrize(
    ("space", "dataset"),
    [("nats-tss", "cifar100"), ("nats-tss", "ImageNet16-120"), ("blocks", "vww"),
     ("mcu", "cifar10")],
)  # fmt: skip
def test_cost_proxies_come_from_the_space_formula_without_building(monkeypatch, space, dataset):
    """A screen by size builds no network: ``params``, ``flops`` and ``macs`` come from the
    space's exact ``costs`` and equal the proxies' counted values."""
    spec, chosen = get_dataset(dataset), get_space(space)
    batch = load_batch("synthetic", spec, 2, seed=0)
    proxies = [get_proxy(n) for n in ("params", "flops", "macs")]
    scorer = Scorer(ScoringConfig(space=chosen.name, dataset=spec.name, proxies=proxies), batch)
    archs = [chosen.sample(np.random.default_rng(seed)) for seed in range(5)]
    if space == "nats-tss":  # the first and the last cell too
        archs += [chosen.arch(0), chosen.arch(chosen.size - 1)]
    counted = []
    for arch in archs:
        net = chosen.build(arch, spec.num_classes, spec.input_shape)
        counted.append({p.name: p(net, batch.x) for p in proxies})

    def no_build(*args, **kwargs):
        raise AssertionError("a network was built for a cost proxy")

    monkeypatch.setattr(scorer.space, "build", no_build)
    for arch, expected in zip(archs, counted, strict=True):
        scores = scorer.score(arch)
        assert {p.name: scores.value(p.name) for p in proxies} == expected
        assert scores.build_seconds == 0.0
