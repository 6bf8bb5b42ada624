"""Hardware: what a network costs (parameters, MACs, memory, latency), the limits a search
keeps to, and device latency tables."""

from zeronas.hardware.costs import COSTS, CostModel, check_costs, measure_eager_ms
from zeronas.hardware.limits import LimitChecker, LimitedSpace, Limits

__all__ = [
    "COSTS",
    "CostModel",
    "LimitChecker",
    "LimitedSpace",
    "Limits",
    "check_costs",
    "measure_eager_ms",
]
