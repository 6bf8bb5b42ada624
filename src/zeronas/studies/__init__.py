"""Studies above the API: repeated seeded searches against ground truth (the search tables of
Cossu et al., Fernandes and Hsieh)."""
