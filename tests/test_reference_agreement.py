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


def _spearman_vs_reference(run, reference_csv, proxy, n, seed):
    reference = _reference(reference_csv, f"{proxy}_cifar10")
    ours, theirs = [], []
    for index in sample_indices(15625, n, seed):
        value = run.scorer(run.space.arch(index)).value(proxy)
        if np.isfinite(value) and np.isfinite(reference[index]):
            ours.append(value)
            theirs.append(reference[index])
    assert len(ours) >= 0.95 * n
    return stats.spearmanr(ours, theirs).statistic


def test_synflow_and_logsynflow_agree_with_reference(reference_csv):
    run = setup(proxies="synflow,logsynflow", data="synthetic", batch_size=1, seed=0)
    for proxy in ("synflow", "logsynflow"):
        rho = _spearman_vs_reference(run, reference_csv, proxy, 200, seed=7)
        assert rho >= 0.95, (proxy, rho)


def test_naswot_on_real_images_agrees_with_reference(reference_csv, cifar10_npz):
    run = setup(proxies="naswot", data=f"npz:{cifar10_npz}", batch_size=64, seed=0)
    rho = _spearman_vs_reference(run, reference_csv, "naswot", 200, seed=11)
    assert rho >= 0.98, rho


@pytest.mark.parametrize("seed", [0])
def test_naswot_on_synthetic_batch_still_agrees(reference_csv, seed):
    run = setup(proxies="naswot", data="synthetic", batch_size=64, seed=seed)
    rho = _spearman_vs_reference(run, reference_csv, "naswot", 200, seed=13)
    assert rho >= 0.95, rho
