"""Rank agreement with the scores FreeREA's implementation computed (reference_scores.csv)."""

import csv

import numpy as np
import pytest
from scipy import stats

from zeronas.api import setup
from zeronas.groundtruth.correlation import sample_indices


def _reference(path, column):
    with path.open() as handle:
        return {int(r["index"]): float(r[column]) for r in csv.DictReader(handle)}


def _spearman_vs_reference(run, reference_csv, n, seed) -> dict[str, float]:
    """Spearman ρ of each of ``run``'s proxies against FreeREA's values on ``n`` seeded
    cells, every cell scored once."""
    names = [p.name for p in run.proxies]
    reference = {name: _reference(reference_csv, f"{name}_cifar10") for name in names}
    records = [(i, run.scorer(run.space.arch(i))) for i in sample_indices(15625, n, seed)]
    rhos = {}
    for name in names:
        pairs = [(r.value(name), reference[name][i]) for i, r in records]
        pairs = [(a, b) for a, b in pairs if np.isfinite(a) and np.isfinite(b)]
        assert len(pairs) >= 0.95 * n
        rhos[name] = stats.spearmanr(*zip(*pairs, strict=True)).statistic
    return rhos


def test_synflow_and_logsynflow_agree_with_reference(reference_csv):
    run = setup(proxies="synflow,logsynflow", data="synthetic", batch_size=1, seed=0)
    rhos = _spearman_vs_reference(run, reference_csv, 200, seed=7)
    assert min(rhos.values()) >= 0.95, rhos


def test_naswot_on_real_images_agrees_with_reference(reference_csv, cifar10_npz):
    run = setup(proxies="naswot", data=f"npz:{cifar10_npz}", batch_size=64, seed=0)
    rho = _spearman_vs_reference(run, reference_csv, 60, seed=11)["naswot"]
    assert rho >= 0.98, rho


@pytest.mark.parametrize("seed", [0])
def test_naswot_on_synthetic_batch_still_agrees(reference_csv, seed):
    run = setup(proxies="naswot", data="synthetic", batch_size=64, seed=seed)
    rho = _spearman_vs_reference(run, reference_csv, 60, seed=13)["naswot"]
    assert rho >= 0.95, rho
