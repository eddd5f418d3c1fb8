"""Strategies: reduce an entry's metrics to one number, and say whether the entry is feasible."""
