"""A newcomer's usual mistakes with `evalkit run` each get one line on stderr and exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from evalkit import __version__
from tests.conftest import one_error_line, run_cli
from tests.experiments import basic_config, basic_files, write_experiment


@pytest.fixture
def experiment(tmp_path: Path) -> Path:
    return write_experiment(tmp_path / "my_exp", basic_config(), basic_files())


def test_yaml_syntax_error_names_file_line_and_column(experiment: Path, tmp_path: Path):
    (experiment / "broken.yaml").write_text("task: binary\ndata:\n  path: [truth.csv\n")
    line = one_error_line(run_cli("run", "--config-dir", str(experiment), "--config-name", "broken",
                                  f"hydra.run.dir={tmp_path / 'out'}"))
    assert "broken.yaml:4:1" in line
    assert "YAML syntax error" in line and "expected ',' or ']'" in line
    assert not (tmp_path / "out").exists()


def test_experiment_file_that_is_not_a_mapping_is_refused(experiment: Path):
    (experiment / "list.yaml").write_text("- task\n- data\n")
    line = one_error_line(run_cli("run", "--config-dir", str(experiment), "--config-name", "list"))
    assert "list.yaml" in line and "mapping" in line


def test_misspelt_override_gets_evalkits_message_not_hydras_plus_advice(experiment: Path):
    line = one_error_line(run_cli("run", "--config-dir", str(experiment), "--config-name", "exp",
                                  "data.pth=truth.csv"))
    assert "unknown config key 'data.pth'" in line
    assert "path" in line and "label_column" in line  # the valid keys at that level
    assert "+data.pth" not in line


def test_misspelt_top_level_override_lists_the_top_level_keys():
    line = one_error_line(run_cli("run", "bootstarp.resamples=10"))
    assert "unknown config key 'bootstarp.resamples'" in line and "bootstrap" in line


def test_free_form_keys_under_an_estimator_are_not_second_guessed(tmp_path: Path):
    # candidates.<name>.estimator.<param> is the estimator's business; the preflight lets it through.
    result = run_cli("run", "candidates.logreg.estimator._args_.1.C=0.5", "select=[logreg]",
                     "bootstrap.resamples=0", f"hydra.run.dir={tmp_path / 'out'}")
    assert "unknown config key" not in result.stderr


def test_config_dir_without_config_name_lists_the_folder(experiment: Path):
    (experiment / "other.yaml").write_text("task: binary\n")
    line = one_error_line(run_cli("run", "--config-dir", str(experiment)))
    assert "without --config-name" in line
    assert "exp" in line and "other" in line


def test_unknown_config_name_lists_the_yaml_files(experiment: Path):
    line = one_error_line(run_cli("run", "--config-dir", str(experiment), "--config-name", "expp"))
    assert "no file expp.yaml" in line and "(it holds: exp)" in line
    assert "evalkit_experiment" not in line  # Hydra's internal config name stays internal


def test_missing_config_dir_is_named(tmp_path: Path):
    line = one_error_line(run_cli("run", "--config-dir", str(tmp_path / "nope"), "--config-name", "exp"))
    assert "no such folder" in line


def test_unknown_group_option_lists_the_available_ones():
    line = one_error_line(run_cli("run", "+experiment=irs"))
    assert "experiment/irs" in line and "iris" in line and "detection_demo" in line


def test_sweeping_the_split_seed_on_own_data_is_refused(experiment: Path):
    line = one_error_line(run_cli("run", "--config-dir", str(experiment), "--config-name", "exp",
                                  "data.seed=1"))
    assert "data.seed" in line and "bootstrap.seed" in line


def test_no_command_prints_usage_and_exits_2():
    result = run_cli()
    assert result.code == 2
    assert "usage: python -m evalkit COMMAND" in result.stderr
    assert "evalkit: error: name a command" in result.stderr


def test_version_prints_the_package_version():
    result = run_cli("--version")
    assert result.code == 0
    assert result.stdout.strip() == f"evalkit {__version__}"


@pytest.mark.parametrize("args", [["--help"], ["run", "--help"], ["gate", "--help"], ["plot", "--help"],
                                  ["compare", "--help"]])
def test_help_loads_none_of_the_heavy_libraries(args: list[str]):
    # Help must be instant: it may not import what only the work needs (measured in
    # benchmarks/cli_startup.py; asserted here by what is imported, never by time).
    probe = ("import sys, contextlib, io\n"
             "from evalkit.cli import main\n"
             "with contextlib.redirect_stdout(io.StringIO()):\n"
             "    try:\n"
             f"        code = main({args!r})\n"
             "    except SystemExit as exc:\n"
             "        code = exc.code\n"
             "heavy = sorted(m for m in ('sklearn', 'scipy', 'pandas', 'matplotlib') if m in sys.modules)\n"
             "print(code, ','.join(heavy))\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["0"], f"help imported: {done.stdout}"


def test_run_help_lists_every_config_group_and_built_in_experiment():
    result = run_cli("run", "--help")
    assert result.code == 0
    assert ("experiment: breast_cancer_slices, detection_demo, detection_slices, diabetes, iris, "
            "learning_curve_demo, "
            "multilabel_demo, "
            "pose_demo") in result.stdout
    assert ("strategy: average, formula, mae_given_r2, map, map_within_latency, pose_requirements, "
            "satisficing") in result.stdout
    assert "--config-dir DIR --config-name NAME" in result.stdout and "--cfg job" in result.stdout
