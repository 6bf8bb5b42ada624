"""Fitness: one number per candidate from its proxy values (combiners, weights, size
penalties), computed over the set being compared."""

from zeronas.fitness.combiners import COMBINERS, Fitness, parse_weights
from zeronas.fitness.penalties import PENALTIES, SizePenalty

__all__ = ["COMBINERS", "PENALTIES", "Fitness", "SizePenalty", "parse_weights"]
