# Makes conf/ importable as evalkit.bundled.conf, so Hydra finds the built-in configs after install.
