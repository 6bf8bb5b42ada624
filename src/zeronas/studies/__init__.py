"""Studies above the API: repeated seeded searches against ground truth (seed 001-003
tables)."""
