"""The ``run`` command: a thin ``@hydra.main`` that hands the composed config to :func:`run_job`.

Hydra gives evalkit its config groups, overrides, ``-m`` multirun and launchers (joblib, submitit,
Ray) for free; every job writes its own run directory, and ``evalkit compare`` merges them.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any

import hydra
from hydra.core.config_store import ConfigStore
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from evalkit.config import defaults_node, validate
from evalkit.errors import ConfigError
from evalkit.paths import CONFIG_PACKAGE, PathResolver, bundled_conf_dir

# The modules that do the work (scikit-learn, SciPy, pandas, matplotlib) are imported inside
# run_job, so `evalkit run --help` prints before they load.

RUN_DIR = "results/${now:%Y-%m-%d_%H-%M-%S}"
SWEEP_DIR = "results/multirun/${now:%Y-%m-%d_%H-%M-%S}"
DEFAULTS_NAME = "evalkit_defaults"
EXPERIMENT_NAME = "evalkit_experiment"

ConfigStore.instance().store(name=DEFAULTS_NAME, node=defaults_node())


# Launchers that run a sweep's jobs one after another, or on machines of their own: timings stay honest.
SEQUENTIAL_OR_REMOTE = ("BasicLauncher", "SlurmLauncher", "RQLauncher")


def shared_cores_warning(multirun: bool, launcher: Any) -> str | None:
    """Why timings of this job are not to be trusted, when it runs beside others on one machine.

    ``launcher`` is the composed ``hydra.launcher`` node (``_target_`` and its options). The basic
    launcher runs jobs one at a time; joblib (and submitit's local launcher, Ray on one host) run
    several at once, which then share the cores.

    >>> shared_cores_warning(True, {"_target_": "hydra_plugins.x.JoblibLauncher", "n_jobs": -1})[:28]
    'jobs of this sweep run in pa'
    """
    if not multirun or not isinstance(launcher, dict | DictConfig):
        return None
    target = str(launcher.get("_target_") or "")
    if not target or target.rsplit(".", 1)[-1] in SEQUENTIAL_OR_REMOTE or launcher.get("n_jobs") == 1:
        return None
    name = target.rsplit(".", 1)[-1]
    return (f"jobs of this sweep run in parallel on one machine ({name}), so measured costs such as "
            "latency_ms share the cores and read high; measure them in a run of their own (or set the "
            "launcher's n_jobs=1)")


def run_job(cfg: DictConfig | dict[str, Any], run_dir: Path, paths: PathResolver, *,
            echo: bool = True, timing_warning: str | None = None) -> dict[str, Any]:
    """Validate, run, write the results into ``run_dir`` and print the leaderboard; returns metrics.json.

    The folder is locked from the start (a second run into it is refused at once, not after its
    work), and written only once everything is computed, ``metrics.json`` last (see run_folder).
    ``timing_warning`` (see :func:`shared_cores_warning`) is printed and recorded in
    ``measurement_notes`` when the run measured a cost.
    """
    # The work's modules load here, not at import: `run --help` and errors in the arguments need none.
    from evalkit import run_folder
    from evalkit.curves import curve_record
    from evalkit.report import terminal_table
    from evalkit.results import to_record
    from evalkit.runner import run_experiment

    with run_folder.exclusive(run_dir):
        config = validate(cfg)
        # Said before the bootstrap runs, so a user can stop a run whose answer is decided by its settings.
        result = run_experiment(config, paths,
                                warn=lambda text: print(f"evalkit: warning: {text}", file=sys.stderr))
        record = to_record(result)
        if timing_warning and any(e.get("measured") for e in record["entries"]):
            record["measurement_notes"] = [timing_warning]
        curves = curve_record(result.entries, result.evalset, registry=result.registry)
        resamples = None
        if "resamples_file" in record:
            from evalkit.resamples_file import resamples_npz

            assert result.assessment is not None
            resamples = resamples_npz(result.assessment.resampled.values(), result.evalset.n_items)
        run_folder.write_run(run_dir, record, curves, resamples,
                             label_review_csv=result.label_review.csv if result.label_review else None,
                             figures=config.figures)
    for warning in [*record["data"].get("warnings", []), *record.get("measurement_notes", [])]:
        print(f"evalkit: warning: {warning}", file=sys.stderr)  # e.g. COCO annotation ids renumbered
    if echo:
        print(terminal_table(record))
        print(f"results: {run_dir}")
    return record


def _resolver_from_hydra() -> PathResolver:
    """Paths resolve against the user's experiment directory (``--config-dir``), else evalkit's conf/."""
    hydra_cfg = HydraConfig.get()
    config_dir = bundled_conf_dir()
    for source in hydra_cfg.runtime.config_sources:
        if source.provider == "command-line" and source.schema == "file":
            config_dir = Path(source.path)
            break
    cli_keys = frozenset(o.split("=", 1)[0].lstrip("+~") for o in hydra_cfg.overrides.task)
    return PathResolver(config_dir=config_dir, cli_keys=cli_keys)


def _wrap_user_config(args: list[str]) -> list[str]:
    """Put a user's experiment file on top of evalkit's defaults.

    ``--config-name NAME`` would make the user's file the whole config; instead evalkit composes a
    primary config whose defaults list is [evalkit's defaults, NAME], so the file need only hold the
    keys the user sets, and may still pick evalkit's config groups in its own ``defaults:`` list.
    """
    out = list(args)
    for i, arg in enumerate(out):
        name = None
        if arg in ("--config-name", "-cn") and i + 1 < len(out):
            name, out[i + 1] = out[i + 1], EXPERIMENT_NAME
        elif arg.startswith("--config-name="):
            name, out[i] = arg.split("=", 1)[1], f"--config-name={EXPERIMENT_NAME}"
        if name is not None:
            name = name.removesuffix(".yaml")
            ConfigStore.instance().store(
                name=EXPERIMENT_NAME, node={"defaults": [DEFAULTS_NAME, f"/{name}@_global_", "_self_"]})
            break
    return out


def _refuse_split_keys_for_own_data(cfg: DictConfig, cli_keys: frozenset[str]) -> None:
    """``data.seed``/``data.test_size`` split a built-in dataset; on a user's file they change nothing."""
    given = sorted(k for k in ("data.seed", "data.test_size") if k in cli_keys)
    if given and cfg.get("data", {}).get("path"):
        raise ConfigError(
            f"{given[0]} only splits a built-in dataset (data.name); with data.path your file is the "
            "evaluation set and every value would give the same run: sweep bootstrap.seed or a strategy "
            "option instead (e.g. -m strategy.optimize=precision,f1)")


@hydra.main(version_base="1.3", config_path=f"pkg://{CONFIG_PACKAGE}", config_name="config")
def _hydra_main(cfg: DictConfig) -> None:
    from omegaconf.errors import OmegaConfBaseException

    from evalkit import exit_codes, run_folder
    from evalkit.errors import ConfigError

    hydra_cfg = HydraConfig.get()
    run_dir = Path(hydra_cfg.runtime.output_dir)
    try:
        try:
            container = OmegaConf.to_container(cfg, resolve=True)
        except OmegaConfBaseException as exc:  # e.g. ${oc.env:UNSET}: the user's config, not a bug
            raise ConfigError(f"the config cannot be resolved: {' '.join(str(exc).split())}") from None
        resolver = _resolver_from_hydra()
        _refuse_split_keys_for_own_data(cfg, resolver.cli_keys)
        from hydra.types import RunMode

        launcher = OmegaConf.to_container(hydra_cfg.launcher) if hydra_cfg.get("launcher") else None
        run_job(container, run_dir, resolver,
                timing_warning=shared_cores_warning(hydra_cfg.mode == RunMode.MULTIRUN, launcher))
    except (KeyboardInterrupt, Exception) as exc:
        # Hydra would print a traceback for any exception and exit 1: evalkit says one line instead
        # (2 bad input, 3 internal error, 130 interrupted) and removes the folder Hydra made for the
        # run if nothing but Hydra's own files is in it.
        run_folder.remove_if_unused(run_dir, bookkeeping_dir=hydra_cfg.output_subdir,
                                    log_file=f"{hydra_cfg.job.name}.log")
        raise SystemExit(exit_codes.report(exc)) from None


def _hydra_error_line(exc: Exception) -> str | None:
    """One line for an error Hydra raises while composing the config (not while running the job)."""
    import yaml
    from hydra.errors import HydraException, MissingConfigException
    from omegaconf.errors import OmegaConfBaseException

    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark
        where = f"{mark.name}:{mark.line + 1}:{mark.column + 1}" if mark is not None else "a config file"
        what = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        return f"{where}: YAML syntax error: {what}; fix the file at that line"
    if isinstance(exc, MissingConfigException):
        first = re.sub(r"^In '[^']*': ", "", str(exc).strip().splitlines()[0])
        options = f" (available: {', '.join(exc.options)})" if exc.options else ""
        return f"{first}{options}; `python -m evalkit run --help` lists the built-in options"
    if isinstance(exc, HydraException | OmegaConfBaseException):
        lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
        lines = [line for line in lines if not line.startswith("To append to your config")]
        return "; ".join(lines[:2]) if lines else type(exc).__name__
    return None


def main(args: list[str]) -> int:
    """Run Hydra with ``args`` (checked by :mod:`evalkit.run_command` first); results go under
    ``results/`` unless the user sets the run dirs."""
    defaults = []
    if not any(a.startswith("hydra.run.dir=") for a in args):
        defaults.append(f"hydra.run.dir={RUN_DIR}")
    if not any(a.startswith("hydra.sweep.dir=") for a in args):
        defaults.append(f"hydra.sweep.dir={SWEEP_DIR}")
    saved_argv, saved_full_error = sys.argv, os.environ.get("HYDRA_FULL_ERROR")
    sys.argv = [f"{Path(saved_argv[0]).name} run", *_wrap_user_config(args), *defaults]
    # Hydra prints its own traceback for composition errors unless asked to raise them; evalkit turns
    # them into one line below.
    os.environ["HYDRA_FULL_ERROR"] = "1"
    try:
        _hydra_main()
    except SystemExit as exc:
        # Hydra exits 1 on some config-composition errors (unknown group option, bad override): those
        # are input errors, which evalkit reports with exit code 2 like all others.
        return 2 if exc.code == 1 else int(exc.code or 0)
    except Exception as exc:
        line = _hydra_error_line(exc)
        if line is None:
            raise
        print(f"evalkit: error: {line}", file=sys.stderr)
        return 2
    finally:
        sys.argv = saved_argv
        if saved_full_error is None:
            os.environ.pop("HYDRA_FULL_ERROR", None)
        else:
            os.environ["HYDRA_FULL_ERROR"] = saved_full_error
    return 0
