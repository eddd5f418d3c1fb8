"""Files that ship with evalkit: built-in configs (repo `conf/`) and demo baselines (repo `baselines/`)."""
