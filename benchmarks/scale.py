"""Scale benchmark: each phase of the binary, multi-label and detection workloads, against a naive or
reference approach timed in the same run.

    python benchmarks/scale.py --quick     # small sizes, about a minute
    python benchmarks/scale.py             # 1,000,000 binary items; 20,000 x 50 multi-label; 5,000 images
    python benchmarks/scale.py --only binary --full-precision   # every score distinct: nothing to merge

Binary (the issue's workload, written by ``scale_data.py``): a truth file, three candidates' predictions
files (rows shuffled), a rule and an external baseline, 1,000 resamples. Phases are timed in this
process with evalkit's own functions — reading the truth, reading and aligning each predictions file
(reference: pandas' plain typed ``read_csv`` of the same file, which checks and aligns nothing; best
of 3 each), the paired bootstrap of accuracy, F1, ROC AUC and average precision for the four scored
entries (every resample; reference: resampled indices + scikit-learn, timed on a few resamples
and scaled). Then the whole ``evalkit run`` as a child
process: wall, CPU and peak memory (``ru_maxrss`` of the child). Multi-label: the AP family of one
entry in blocks vs indices + scikit-learn (``multilabel_bootstrap.py``'s pieces). Detection:
``load_coco`` vs orjson's parse of the same two files, and the 12 stats vs pycocotools (``coco.py``'s
pieces).

CPU time is this process's (or the child's) own, so it suffers less than wall time on a shared machine.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from timing import Timing

BINARY_METRICS = ("accuracy", "f1", "roc_auc", "average_precision")


def _line(what: str, t: Timing, reference: Timing | None = None, ref_name: str = "") -> None:
    text = f"  {what:44s} {t.wall:8.2f} s wall {t.cpu:8.2f} s CPU"
    if reference is not None:
        text += f"   {ref_name} {reference.wall:7.2f} s wall {reference.cpu:7.2f} s CPU"
    print(text, flush=True)


def run_child(args: list[str]) -> tuple[Timing, float]:
    """Run ``python -m evalkit ARGS``; its wall and CPU time and its peak memory in GB."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    clock = Timing.start()
    done = subprocess.run([sys.executable, "-m", "evalkit", *args], capture_output=True, text=True)
    wall = clock.stop().wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    # ru_maxrss of the children is the largest of them (kB on Linux): only this run has finished since.
    return Timing(wall, cpu), after.ru_maxrss / 1e6


def binary(n: int, resamples: int, naive_resamples: int, fmt: str, decimals: int | None = 3) -> None:
    import pandas as pd
    from bootstrap import naive_values
    from scale_data import CANDIDATES, make_binary

    from evalkit.config import DataConfig
    from evalkit.tasks import get_task
    from evalkit.tasks.classification.bootstrap import bootstrap_entries
    from evalkit.uncertainty import Resampler

    precision = "full-precision scores" if decimals is None else f"scores to {decimals} decimals"
    print(f"binary: {n:,} items, 3 candidates' {fmt} files ({precision}) + a rule + an external "
          f"baseline, {resamples:,} resamples", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_binary(root, n, fmt, decimals=decimals)
        task = get_task("binary")
        read = pd.read_parquet if fmt == "parquet" else pd.read_csv
        # Best of 3 on a shared machine (the least disturbed run, evalkit's and the reference's alike).
        t_truth, evalset = Timing.best_of(
            lambda: task.load_evalset(DataConfig(path=f"truth.{fmt}", positive_label=1),
                                      truth_path=root / f"truth.{fmt}", train_path=None), 3)
        t_plain, _ = Timing.best_of(lambda: read(root / f"truth.{fmt}"), 3)
        _line("read + check the truth", t_truth, t_plain, "plain read")
        print(f"    {t_truth.cpu / t_plain.cpu:.1f}x the plain read's CPU", flush=True)
        entries = {}
        for name in CANDIDATES:
            path = root / "preds" / f"{name}.{fmt}"
            t_file, predictions = Timing.best_of(
                lambda path=path: task.predictions_from_file(path, evalset, id_column="id"), 3)
            t_plain, _ = Timing.best_of(lambda path=path: read(path), 3)
            _line(f"read + check + align {name}", t_file, t_plain, "plain read")
            print(f"    {t_file.cpu / t_plain.cpu:.1f}x the plain read's CPU", flush=True)
            entries[name] = (predictions.labels, predictions.scores)
        rule = (evalset.features["x"].to_numpy() > 0.9).astype(np.int64)
        entries["x_rule"] = (rule, None)
        scored = {k: v for k, v in entries.items() if v[1] is not None}
        clock = Timing.start()
        # Every resample, not a few scaled: setting up (merging equal rows, one sort per entry) is paid
        # once per run, so scaling a short run would multiply it.
        bootstrap_entries("binary", list(BINARY_METRICS), evalset.y, scored,
                          Resampler(n, resamples, seed=0), progress=False)
        bootstrap_entries("binary", ["accuracy", "f1"], evalset.y, {"x_rule": entries["x_rule"]},
                          Resampler(n, resamples, seed=0), progress=False)
        t_boot_all = clock.stop()
        naive = Timing(0.0, 0.0)
        for labels, scores in scored.values():
            resampler = Resampler(n, naive_resamples, seed=0)
            _, t = naive_values(evalset.y, labels, scores, resampler, naive_resamples)
            naive = Timing(naive.wall + t.wall, naive.cpu + t.cpu)
        naive_scale = resamples / naive_resamples
        naive_all = Timing(naive.wall * naive_scale, naive.cpu * naive_scale)
        _line("bootstrap, 3 scored + rule", t_boot_all, naive_all,
              f"naive (x{naive_scale:g} of {naive_resamples})")
        print(f"    bootstrap ratio naive (3 scored entries) / evalkit (and the rule): "
              f"{naive_all.cpu / t_boot_all.cpu:.1f}x CPU", flush=True)
        run_dir = root / "run"
        t_run, peak = run_child(["run", "--config-dir", str(root), "--config-name", "exp",
                                 f"hydra.run.dir={run_dir}", f"bootstrap.resamples={resamples}"])
        _line("evalkit run, end to end (child process)", t_run)
        print(f"    peak memory of the run: {peak:.2f} GB (ru_maxrss)", flush=True)


def multilabel(n: int, n_labels: int, resamples: int, naive_resamples: int) -> None:
    from multilabel_bootstrap import AP_FAMILY, make_data, naive

    from evalkit.metrics.multilabel_resampled import MultilabelPlan
    from evalkit.uncertainty.resampling import Resampler

    print(f"multi-label: {n:,} items x {n_labels} labels x {resamples:,} resamples, "
          "AP family of one entry", flush=True)
    Y, P, S = make_data(n, n_labels, 0)
    resampler = Resampler(n, resamples, seed=0)
    clock = Timing.start()
    plan = MultilabelPlan(AP_FAMILY, Y, labels=P, scores=S)
    values = {m: np.empty(resamples) for m in AP_FAMILY}
    for start, block in resampler.blocks(compact=True, prefetch=True):
        for name, got in plan.values(block).items():
            values[name][start : start + block.shape[0]] = got
    t_fast = clock.stop()
    clock = Timing.start()
    worst = 0.0
    for r in range(naive_resamples):
        reference = naive(AP_FAMILY, Y, P, S, resampler.indices(r))
        worst = max(worst, max(abs(reference[m] - values[m][r]) for m in AP_FAMILY))
    t_naive = clock.stop()
    scale = resamples / naive_resamples
    naive_all = Timing(t_naive.wall * scale, t_naive.cpu * scale)
    _line("bootstrap in blocks", t_fast, naive_all, f"naive (x{scale:g} of {naive_resamples})")
    print(f"    ratio naive / evalkit: {naive_all.cpu / t_fast.cpu:.1f}x CPU; largest difference {worst:.1e}",
          flush=True)


def detection(n_images: int) -> None:
    import orjson
    from coco import make_workload, run_cocoapi, write_workload

    from evalkit.detection.fast import summarize
    from evalkit.detection.loading import load_and_prepare, load_coco

    gt, dets = make_workload(0, n_images)
    print(f"detection: {len(gt['images']):,} images, {len(gt['annotations']):,} boxes, "
          f"{len(dets):,} detections", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        gt_path, res_path = write_workload(tmp, gt, dets)

        def best(fn) -> Timing:
            return Timing.best_of(fn, 3)[0]

        def parse() -> None:
            for path in (gt_path, res_path):
                with open(path, "rb") as f:
                    orjson.loads(f.read())

        t_parse = best(parse)
        t_load = best(lambda: load_coco(gt_path, res_path))
        _line("load + validate (load_coco)", t_load, t_parse, "orjson parse")
        print(f"    load / parse: {t_load.wall / t_parse.wall:.2f}x wall, "
              f"{t_load.cpu / t_parse.cpu:.2f}x CPU", flush=True)
        clock = Timing.start()
        ours = np.array(list(summarize(load_and_prepare(gt_path, res_path)).as_dict().values()))
        t_ours = clock.stop()
        clock = Timing.start()
        reference = run_cocoapi("pycocotools", gt_path, res_path)
        t_ref = clock.stop()
        _line("end to end (load, match, 12 stats)", t_ours, t_ref, "pycocotools")
        same = bool(np.array_equal(ours, reference))
        print(f"    12 stats bit-identical to pycocotools: {same}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (about a minute)")
    parser.add_argument("--format", choices=("csv", "parquet"), default="csv")
    parser.add_argument("--only", choices=("binary", "multilabel", "detection"))
    parser.add_argument("--full-precision", action="store_true",
                        help="binary: every score distinct (no equal rows to merge), instead of 3 decimals")
    args = parser.parse_args()
    decimals = None if args.full_precision else 3
    print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cpus")
    if args.only in (None, "binary"):
        if args.quick:
            binary(20_000, 200, 5, args.format, decimals)
        else:
            binary(1_000_000, 1000, 2, args.format, decimals)
    if args.only in (None, "multilabel"):
        multilabel(*((2_000, 20, 200, 5) if args.quick else (20_000, 50, 1000, 3)))
    if args.only in (None, "detection"):
        detection(300 if args.quick else 5000)
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
