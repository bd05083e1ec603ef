"""Reproducible performance figures (README 'Performance'). Not tests: nothing asserts."""
