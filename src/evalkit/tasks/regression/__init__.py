"""The regression task: single-target metrics, named per-item errors and their bootstrap values."""
