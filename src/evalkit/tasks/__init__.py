"""Tasks: each one a plug-in (see evalkit.tasks.base)."""
