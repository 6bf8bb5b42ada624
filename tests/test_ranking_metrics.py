"""The picking metrics of correlate against values worked out by hand."""

import math

import numpy as np
import pytest

from zeronas.groundtruth.ranking import ranking_metrics, top_weights

ACC = np.array([90.0, 91.0, 80.0, 95.0, 85.0])


def test_metrics_by_hand():
    got = ranking_metrics(np.array([5.0, 4.0, 3.0, 2.0, 1.0]), ACC)
    assert got.top1 == 90.0
    assert got.top10 == pytest.approx(ACC.mean())  # fewer than 10 cells: all of them
    assert got.recall_1pct == 0.0  # k = 1: the best cell (index 3) is not the top-scored
    # gain = max(0, a − a90), a90 = 93.4: only index 3 (1.6), ranked 4th; ideal: 1st
    assert got.ndcg100 == pytest.approx(1 / math.log2(5))


def test_a_perfect_ranking_and_direction():
    perfect = ranking_metrics(ACC, ACC)
    assert (perfect.top1, perfect.recall_1pct, perfect.ndcg100) == (95.0, 1.0, 1.0)
    flipped = ranking_metrics(-ACC, ACC, higher_is_better=False)
    assert flipped == perfect


def test_ties_are_resolved_in_expectation_and_failures_rank_last():
    assert ranking_metrics(np.array([1.0, 1.0, 0.0]), np.array([90.0, 80.0, 70.0])).top1 == 85
    failed = ranking_metrics(np.array([math.nan, 1.0, -math.inf]), np.array([99.0, 90.0, 80.0]))
    assert failed.top1 == 90.0
    weights, position = top_weights(np.array([3.0, 2.0, 2.0, 2.0, 1.0]), 2)
    assert weights.tolist() == pytest.approx([1, 1 / 3, 1 / 3, 1 / 3, 0])
    assert position.tolist() == [1, 3, 3, 3, 5]
