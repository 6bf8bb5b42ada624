"""Fitness: one number per candidate from its proxy values (combiners, weights, size
penalties)."""
