"""Baseline runners: each produces a leaderboard entry that sets a lower bound."""
