"""A run folder is either complete or visibly incomplete; exit codes say what went wrong.

metrics.json is the completion mark (``gate latest`` picks it), so it comes last; an earlier run's
files are cleared before a new run writes; one run writes into a folder at a time; Ctrl-C is one line
and exit 130; a bug in evalkit is exit 3 (never 2, which means bad input); a failed run leaves no
folder that holds nothing but Hydra's bookkeeping.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from evalkit.plots import render
from evalkit.plots.render import FigureSpec
from tests.conftest import run_cli
from tests.experiments import basic_config, basic_files, write_experiment

RESULT_FILES = ("metrics.json", "leaderboard.csv", "report.md", "report.html", "curves.json")


def experiment(root: Path, **overrides) -> Path:
    return write_experiment(root, basic_config(**overrides), basic_files())


def run(root: Path, run_dir: Path, *extra: str, env: dict[str, str] | None = None):
    return run_cli("run", "--config-dir", str(root), "--config-name", "exp", f"hydra.run.dir={run_dir}",
                   *extra, env=env)


def stderr_lines(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


def _broken_figure(*_args) -> None:
    raise RuntimeError("plotting blew up")


@pytest.fixture
def broken_plotting(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug in evalkit's plotting: the first figure raises (stands in for any internal error)."""
    monkeypatch.setattr(render, "FIGURES", (FigureSpec("leaderboard", "broken", _broken_figure),
                                            *render.FIGURES[1:]))


# --- the completion mark comes last ----------------------------------------------------------------------

@pytest.mark.figures("leaderboard")
def test_metrics_json_is_written_after_every_other_result_file(tmp_path, monkeypatch):
    written: list[str] = []
    replace = os.replace

    def spy(src, dst, *args, **kwargs):
        replace(src, dst, *args, **kwargs)
        written.append(Path(dst).relative_to(tmp_path / "out").as_posix())

    monkeypatch.setattr(os, "replace", spy)
    result = run(experiment(tmp_path), tmp_path / "out")
    assert result.code == 0, result.stderr
    assert written[-1] == "metrics.json" and written.count("metrics.json") == 1
    assert {"leaderboard.csv", "report.md", "report.html", "curves.json", "plots/leaderboard.png"} \
        <= set(written[:-1])


@pytest.mark.figures
def test_an_internal_error_while_drawing_leaves_no_completion_mark_and_exits_3(tmp_path, broken_plotting):
    result = run(experiment(tmp_path), tmp_path / "out")
    assert result.code == 3, result.stderr
    (line,) = stderr_lines(result)
    assert line.startswith("evalkit: internal error (RuntimeError: plotting blew up)")
    assert "bug in evalkit" in line and "please report it" in line and "EVALKIT_DEBUG=1" in line
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out" / "metrics.json").exists()


@pytest.mark.figures
def test_evalkit_debug_prints_the_traceback_of_an_internal_error(tmp_path, broken_plotting):
    result = run(experiment(tmp_path), tmp_path / "out", env={"EVALKIT_DEBUG": "1"})
    assert result.code == 3
    assert "Traceback" in result.stderr and "_broken_figure" in result.stderr
    assert stderr_lines(result)[-1].startswith("evalkit: internal error")


@pytest.mark.figures("leaderboard")  # the figure the patched catalogue breaks
def test_an_internal_error_in_another_command_exits_3_too(tmp_path, monkeypatch):
    assert run(experiment(tmp_path), tmp_path / "out").code == 0
    monkeypatch.setattr(render, "FIGURES", (FigureSpec("leaderboard", "broken", _broken_figure),))
    result = run_cli("plot", str(tmp_path / "out"))
    assert result.code == 3 and "Traceback" not in result.stderr
    (line,) = stderr_lines(result)
    assert line.startswith("evalkit: internal error") and "please report it" in line


# --- a second run into the same folder ----------------------------------------------------------------------

@pytest.mark.figures("leaderboard", "confusion")
def test_a_rerun_that_fails_while_writing_leaves_the_folder_visibly_incomplete(tmp_path, monkeypatch):
    root, out = experiment(tmp_path), tmp_path / "out"
    assert run(root, out).code == 0
    assert (out / "plots" / "leaderboard.png").exists()
    (out / "notes.txt").write_text("mine")
    (out / "plots" / "my_figure.png").write_bytes(b"mine")
    # The rerun breaks on its first figure, before it could draw the leaderboard again.
    monkeypatch.setattr(render, "FIGURES", (FigureSpec("confusion", "broken", _broken_figure),
                                            *render.FIGURES[:1]))
    assert run(root, out).code == 3
    assert not (out / "metrics.json").exists()  # the earlier run's mark is gone: nothing claims completeness
    assert not (out / "plots" / "leaderboard.png").exists()  # an earlier figure is not passed off as new
    assert (out / "notes.txt").read_text() == "mine" and (out / "plots" / "my_figure.png").exists()


@pytest.mark.figures("leaderboard")
def test_a_rerun_clears_what_a_killed_writer_left_and_keeps_the_users_files(tmp_path):
    root, out = experiment(tmp_path), tmp_path / "out"
    assert run(root, out).code == 0
    leftovers = [out / ".metrics.json.k1ll3d.tmp", out / ".report.html.x.tmp",
                 out / "plots" / ".leaderboard.png.42.tmp"]
    for path in leftovers:
        path.write_text("half")
    (out / "notes.tmp").write_text("not evalkit's")
    assert run(root, out).code == 0
    assert not any(path.exists() for path in leftovers)
    assert (out / "notes.tmp").exists() and all((out / name).is_file() for name in RESULT_FILES)


# --- a failed run leaves nothing behind -------------------------------------------------------------------

def test_a_run_that_fails_on_bad_input_leaves_no_run_folder(tmp_path):
    root = experiment(tmp_path, strategy={"name": "average", "metrics": ["nonsense"]})
    result = run(root, tmp_path / "results" / "out")
    assert result.code == 2 and stderr_lines(result)[-1].startswith("evalkit: error: ")
    assert not (tmp_path / "results" / "out").exists()  # Hydra made it; nothing of evalkit's is in it


def test_a_failed_run_leaves_a_folder_that_holds_the_users_files_alone(tmp_path):
    root, out = experiment(tmp_path, strategy={"name": "average", "metrics": ["nonsense"]}), tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    assert run(root, out).code == 2
    assert (out / "keep.txt").read_text() == "mine" and not (out / "metrics.json").exists()


@pytest.mark.parametrize(("body", "where"), [
    ("def stop(features):\n    sys.exit(0)\n", "rules.py:stop called sys.exit(0)"),
    ("sys.exit(3)\n\ndef stop(features):\n    return features['x1'] > 0\n",
     "importing the rule file called sys.exit(3)"),
    ("def stop(features):\n    raise ValueError('first line\\n# second line')\n",
     "rules.py:stop raised ValueError: first line\\n# second line"),  # one line, the newline shown
])
def test_a_rule_that_calls_sys_exit_or_raises_is_an_error_naming_it(tmp_path, body, where):
    (tmp_path / "rules.py").write_text("import sys\n\n" + body)
    root = experiment(tmp_path, baselines={"r": {"kind": "rule", "function": "rules.py:stop"}})
    result = run(root, tmp_path / "out")
    assert result.code == 2, result.stderr
    (line,) = stderr_lines(result)
    assert line.startswith("evalkit: error: ") and where in line
    assert not (tmp_path / "out").exists()


# --- a run in progress: Ctrl-C, and a second run into its folder -----------------------------------------

WAITING_RULE = """\
import pathlib
import time


def wait(features):
    pathlib.Path(__file__).with_name("started").write_text("the run is computing")
    while True:
        time.sleep(0.05)
"""


@pytest.fixture
def computing_run(tmp_path: Path) -> Iterator[tuple[subprocess.Popen, Path]]:
    """``evalkit run`` in a subprocess, stopped inside a rule baseline (its metrics are under way)."""
    (tmp_path / "rules.py").write_text(WAITING_RULE)
    root = experiment(tmp_path, baselines={"r": {"kind": "rule", "function": "rules.py:wait"}})
    run_dir = tmp_path / "results" / "out"
    process = subprocess.Popen(
        [sys.executable, "-m", "evalkit", "run", "--config-dir", str(root), "--config-name", "exp",
         f"hydra.run.dir={run_dir}"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"})
    try:
        for _ in range(6000):  # a bound, not a timing assertion: the rule signals when it is reached
            if (tmp_path / "started").exists() or process.poll() is not None:
                break
            time.sleep(0.05)
        assert (tmp_path / "started").exists(), process.communicate()
        yield process, run_dir
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()


def test_ctrl_c_is_one_line_exit_130_and_leaves_nothing_behind(computing_run, tmp_path):
    process, run_dir = computing_run
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130
    assert [line for line in stderr.splitlines() if line.strip()] == ["evalkit: interrupted"]
    assert not list(tmp_path.rglob("*.tmp")) and not list(tmp_path.rglob("metrics.json"))
    assert not run_dir.exists()  # it held nothing but Hydra's files


def test_a_second_run_into_a_folder_in_use_is_refused_and_leaves_the_first_alone(computing_run, tmp_path):
    process, run_dir = computing_run
    result = run(tmp_path, run_dir)
    assert result.code == 2, result.stderr
    (line,) = stderr_lines(result)
    assert line.startswith(f"evalkit: error: {run_dir}: another evalkit run (process {process.pid})")
    assert "write elsewhere" in line
    assert run_dir.is_dir() and process.poll() is None  # the first run goes on, its folder in place
