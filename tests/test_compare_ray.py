"""Significance across jobs on Hydra's Ray launcher, with a local Ray instance (no cluster).

Ray is an optional extra (``pip install evalkit[ray]``, about 60 packages), so the suite skips this
module when the plugin is missing; ``.ci/run`` installs the extra in its own step and runs it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_compare_significance import _installed, assert_merged_equals_single, run_single_and_merged

pytestmark = pytest.mark.skipif(not _installed("hydra_plugins.hydra_ray_launcher"),
                                reason="no hydra-ray-launcher: pip install evalkit[ray]")

# A local instance on this machine's cores; the dashboard is not needed for two jobs.
RAY_OVERRIDES = ["hydra/launcher=ray", "+hydra.launcher.ray.init.num_cpus=2",
                 "+hydra.launcher.ray.init.include_dashboard=false"]


def test_jobs_run_by_ray_merge_number_for_number_as_one_run(tmp_path: Path) -> None:
    single, merged, tmp = run_single_and_merged(tmp_path, RAY_OVERRIDES)
    assert_merged_equals_single(single, merged)
    assert len(merged["merged_from"]) == 2
    # The launcher that ran the jobs is recorded in the sweep's own config.
    assert "RayLauncher" in (tmp / "sweep" / "multirun.yaml").read_text()
