# Makes examples/ ship as evalkit.bundled.examples, so the example experiments run from any directory.
