"""Ground truth for benchmark spaces and proxy-vs-accuracy correlation."""

from zeronas.groundtruth.accuracy import (
    CSVGroundTruth,
    GroundTruth,
    NatsBenchGroundTruth,
    open_ground_truth,
)
from zeronas.groundtruth.correlation import CorrelationRow, correlate, correlation_rows

__all__ = [
    "CSVGroundTruth",
    "CorrelationRow",
    "GroundTruth",
    "NatsBenchGroundTruth",
    "correlate",
    "correlation_rows",
    "open_ground_truth",
]
