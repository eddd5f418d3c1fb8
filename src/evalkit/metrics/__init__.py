"""Metrics: pure functions and a registry of names with their direction and what they need."""
