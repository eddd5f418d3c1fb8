"""Regression: continuous targets (one or several columns), their errors and agreement."""
