"""Files that ship with evalkit: the built-in configs (repo `conf/`) and the demo baselines (repo `baselines/`)."""
