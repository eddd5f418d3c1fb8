# Makes baselines/ ship as evalkit.bundled.baselines, so the demo runs from any directory.
