"""The binary workload of ``benchmarks/scale.py``: a truth file, three candidates' predictions files, a rule.

``make_binary(root, n)`` writes, seeded:

- ``truth.{csv,parquet}``: ``id``, ``label`` (0/1, 30% positive), one feature ``x``;
- ``preds/{strong,medium,weak}.{fmt}``: ``id``, ``score`` in [0, 1] (3 decimals, so ties exist, as
  predictions files often are written; ``decimals=None``: full precision, every score distinct), rows
  shuffled so that evalkit has to align them by id;
- ``rules.py``: a rule baseline that thresholds ``x`` (vectorised, as a user would write it);
- ``exp.yaml``: the three candidates, the rule and an external baseline (the issue's five entries),
  satisficing on precision subject to recall.

    python benchmarks/scale_data.py DIR --items 1000000 [--format parquet] [--full-precision]  # files only
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import yaml

CANDIDATES = {"strong": 1.2, "medium": 0.8, "weak": 0.4}

RULES = '''"""Rule baseline of the scale benchmark: call an item positive when its one feature is high."""

import pandas as pd


def x_rule(features: pd.DataFrame) -> pd.Series:
    return (features["x"] > 0.9).astype("int64")
'''


def make_binary(root: Path, n: int, fmt: str = "csv", seed: int = 0, decimals: int | None = 3) -> Path:
    """Write the binary scale workload under ``root`` and return the experiment file's path."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    label = (rng.random(n) < 0.3).astype(np.int64)
    x = rng.normal(size=n) + label
    (root / "preds").mkdir(parents=True, exist_ok=True)

    def write(frame: pd.DataFrame, path: Path) -> None:
        if fmt == "parquet":
            frame.to_parquet(path, index=False)
        else:
            # pyarrow's CSV writer: pandas' own takes ~10 s per million-row file and is not what's measured
            import pyarrow as pa
            import pyarrow.csv as pacsv

            pacsv.write_csv(pa.Table.from_pandas(frame, preserve_index=False), path)

    ids = np.arange(n)
    write(pd.DataFrame({"id": ids, "label": label, "x": np.round(x, 4)}), root / f"truth.{fmt}")
    for name, signal in CANDIDATES.items():
        logit = signal * (2 * label - 1) + rng.normal(size=n)
        score = 1 / (1 + np.exp(-logit))
        score = score if decimals is None else np.round(score, decimals)
        order = rng.permutation(n)
        write(pd.DataFrame({"id": ids[order], "score": score[order]}), root / "preds" / f"{name}.{fmt}")
    (root / "rules.py").write_text(RULES)
    config = {
        "task": "binary",
        "data": {"path": f"truth.{fmt}", "positive_label": 1},
        "candidates": {name: {"predictions": f"preds/{name}.{fmt}", "metrics": {"latency_ms": 5.0 * (i + 1)}}
                       for i, name in enumerate(CANDIDATES)},
        "baselines": {
            "x_rule": {"kind": "rule", "function": "rules.py:x_rule"},
            "requirement": {"kind": "external", "metrics": {"recall": 0.6, "precision": 0.5},
                            "source": "scale benchmark: a stated requirement"},
        },
        "strategy": {"name": "satisficing", "optimize": "precision", "constraints": {"recall": ">= 0.6"}},
    }
    path = root / "exp.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", type=Path)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--format", choices=("csv", "parquet"), default="csv")
    parser.add_argument("--full-precision", action="store_true",
                        help="scores at full precision (every score distinct) instead of 3 decimals")
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    print(make_binary(args.dir, args.items, args.format, decimals=None if args.full_precision else 3))


if __name__ == "__main__":
    main()
