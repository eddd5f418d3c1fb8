"""Wall-clock and CPU time of a benchmark phase, shared by the benchmark scripts.

The scripts run as ``python benchmarks/NAME.py``, so this folder is on ``sys.path`` and they import
it as ``from timing import Timing``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


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

    @classmethod
    def best_of(cls, fn: Callable[[], Any], repeat: int) -> tuple[Timing, Any]:
        """The best wall and the best CPU time over ``repeat`` calls of ``fn``, and its last result.

        The machine may be shared: the best run is the least disturbed one, and CPU time suffers less
        from other people's jobs than wall time.
        """
        wall, cpu, out = float("inf"), float("inf"), None
        for _ in range(repeat):
            clock = cls.start()
            out = fn()
            took = clock.stop()
            wall, cpu = min(wall, took.wall), min(cpu, took.cpu)
        return cls(wall, cpu), out
