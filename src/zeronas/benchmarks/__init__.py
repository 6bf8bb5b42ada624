"""Ground truth for benchmark spaces and proxy-vs-accuracy correlation."""

from zeronas.benchmarks.correlation import CorrelationRow, correlate, correlation_rows
from zeronas.benchmarks.groundtruth import (
    CSVGroundTruth,
    GroundTruth,
    NatsBenchGroundTruth,
    open_ground_truth,
)

__all__ = [
    "CSVGroundTruth",
    "CorrelationRow",
    "GroundTruth",
    "NatsBenchGroundTruth",
    "correlate",
    "correlation_rows",
    "open_ground_truth",
]
