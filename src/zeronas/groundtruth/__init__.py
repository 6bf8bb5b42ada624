"""Ground truth for benchmark spaces and proxy-vs-accuracy correlation."""

from zeronas.groundtruth.accuracy import CSVGroundTruth, GroundTruth
from zeronas.groundtruth.correlation import CorrelationRow, correlate, correlation_rows
from zeronas.groundtruth.natsbench import NatsBenchGroundTruth
from zeronas.groundtruth.sources import open_ground_truth

__all__ = [
    "CSVGroundTruth",
    "CorrelationRow",
    "GroundTruth",
    "NatsBenchGroundTruth",
    "correlate",
    "correlation_rows",
    "open_ground_truth",
]
