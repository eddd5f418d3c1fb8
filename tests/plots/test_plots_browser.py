"""report.html opened from disk in a real headless browser renders every figure.

CI installs Debian's ``chromium`` (see .ci/run); without a browser this test is skipped locally, and
fails under CI (``CI`` set) so that a missing browser never passes as a skip there.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

from evalkit.plots import style

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Reports the images' state once the page has loaded: how many there are, and how many decoded
# to a real picture (complete, with a natural width). Appended to a copy of the page, never shipped.
PROBE = """<script>
window.addEventListener("load", () => {
  const images = Array.from(document.images);
  const drawn = images.filter(i => i.complete && i.naturalWidth > 0).length;
  // Tables wider than the page would need horizontal scrolling: count them, and the page's own overflow.
  const wide = Array.from(document.querySelectorAll(".table-wrap"))
    .filter(t => t.scrollWidth > t.clientWidth + 1).length;
  const page = document.documentElement.scrollWidth - document.documentElement.clientWidth;
  document.body.setAttribute("data-probe", images.length + ":" + drawn + ":" + wide + ":" + page);
});
</script>"""


def find_browser() -> str:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get("CI"):
        pytest.fail("no headless browser under CI: .ci/run must install Debian's chromium")
    pytest.skip("no chromium on this machine (apt-get install chromium); CI runs this test")


def headless(browser: str, *args: str) -> subprocess.CompletedProcess[str]:
    # --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
    return subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                           "--virtual-time-budget=10000", *args], capture_output=True, text=True, timeout=120)


def test_the_html_report_renders_every_figure_in_a_real_browser(demo_run, tmp_path):
    browser = find_browser()
    page = tmp_path / "report.html"
    page.write_text((demo_run / "report.html").read_text().replace("</body>", PROBE + "</body>"))

    # A laptop screen: 1366 px wide.
    dom = headless(browser, "--dump-dom", "--window-size=1366,900", page.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    probe = re.search(r'data-probe="(\d+):(\d+):(\d+):(-?\d+)"', dom.stdout)
    assert probe, "the page never finished loading"
    images, drawn, wide_tables, page_overflow = map(int, probe.groups())
    assert images == len(list((demo_run / "plots").glob("*.png"))) and drawn == images
    assert wide_tables == 0 and page_overflow <= 0  # no horizontal scrolling at 1366 px

    # The figures come after the tables: a copy of the page showing only them is screenshotted.
    figures_only = tmp_path / "figures.html"
    figures_only.write_text((demo_run / "report.html").read_text().replace(
        "</style>", "main > :not(figure) { display: none; }</style>"))
    shot = tmp_path / "screenshot.png"
    done = headless(browser, f"--screenshot={shot}", "--window-size=1280,1600", figures_only.as_uri())
    assert done.returncode == 0 and shot.is_file(), done.stderr[-2000:]
    pixels = np.asarray(Image.open(shot).convert("RGB")).reshape(-1, 3).astype(int)
    # The candidate blue is drawn by the figures only (the page's own styles never use it): seeing it
    # means the leaderboard's bars made it onto the screen.
    blue = np.array([int(style.CANDIDATE[i:i + 2], 16) for i in (1, 3, 5)])
    assert (np.abs(pixels - blue).sum(axis=1) < 30).sum() > 2000
