"""A whole `evalkit run` of a 1,000,000-item regression: 3 candidates' predictions files, 1000 resamples.

The issue's bar: under 60 s on the 2-core machine. The data are made here (seeded): one target, three
prediction files of different quality, the nine single-target metrics, a satisficing
strategy, the paired bootstrap with 1000 resamples, figures and reports. The run is a subprocess of the
installed CLI, timed from start to exit; the same run with ``bootstrap.resamples=0`` is timed too, so the
bootstrap's share is visible.

    python benchmarks/regression_run.py [--items 1000000] [--resamples 1000] [--format csv|parquet]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml


def make(root: Path, n: int, fmt: str) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=n)
    y = 5 * x + rng.normal(size=n)
    write = (lambda f, p: f.to_parquet(p, index=False)) if fmt == "parquet" else \
        (lambda f, p: f.to_csv(p, index=False))
    write(pd.DataFrame({"id": np.arange(n), "x": x, "label": y}), root / f"truth.{fmt}")
    for name, noise in (("good", 0.8), ("fair", 1.5), ("poor", 3.0)):
        write(pd.DataFrame({"id": np.arange(n), "label": y + rng.normal(scale=noise, size=n)}),
              root / f"{name}.{fmt}")
    config = {"task": "regression", "data": {"path": f"truth.{fmt}"},
              "candidates": {name: {"predictions": f"{name}.{fmt}"} for name in ("good", "fair", "poor")},
              "strategy": {"name": "satisficing", "optimize": "mae", "constraints": {"r2": ">= 0.5"}}}
    (root / "exp.yaml").write_text(yaml.safe_dump(config))


def timed_run(root: Path, out: str, resamples: int) -> float:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "evalkit", "run", "--config-dir", str(root), "--config-name",
                           "exp", f"hydra.run.dir={root / out}", f"bootstrap.resamples={resamples}"],
                          capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--format", choices=("csv", "parquet"), default="csv")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make(root, args.items, args.format)
        without = timed_run(root, "no_bootstrap", 0)
        full = timed_run(root, "full", args.resamples)
    print(f"{args.items:,} items, 3 candidates ({args.format} files), the 9 single-target metrics")
    print(f"  evalkit run, bootstrap off:             {without:6.1f} s")
    print(f"  evalkit run, {args.resamples} paired resamples: {full:6.1f} s  (bar: 60 s)")
    print(f"  bootstrap share: {full - without:.1f} s")


if __name__ == "__main__":
    main()
