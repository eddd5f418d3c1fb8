"""Wall-clock and CPU time of a benchmark phase, shared by the benchmark scripts.

The scripts run as ``python benchmarks/NAME.py``, so this folder is on ``sys.path`` and they import
it as ``from timing import Timing``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass
class Timing:
    """Wall-clock and CPU seconds (CPU summed over the process's threads)."""

    wall: float
    cpu: float

    @classmethod
    def start(cls) -> Timing:
        return cls(time.perf_counter(), time.process_time())

    def stop(self) -> Timing:
        return Timing(time.perf_counter() - self.wall, time.process_time() - self.cpu)
