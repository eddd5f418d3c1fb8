"""Whether the bootstrap uses its compiled loops (numba, the ``fast`` extra) for a given size.

The NumPy code is the reference and runs everywhere; :mod:`evalkit.uncertainty.numba_kernels` holds
loops with exactly its results, which pay off only at a few hundred thousand items (loading or, on a
machine's first run, compiling them costs a fraction of a second to a few seconds). Set the
environment variable ``EVALKIT_COMPILED=0`` to use NumPy alone.
"""

from __future__ import annotations

import functools
import os
import sys
from types import ModuleType

# Below this many items the NumPy code is fast enough that loading numba would not pay.
COMPILED_MIN_ITEMS = 200_000


def kernels(n_items: int) -> ModuleType | None:
    """The compiled kernels module for ``n_items`` items, or None to use the NumPy code."""
    if n_items < COMPILED_MIN_ITEMS or os.environ.get("EVALKIT_COMPILED", "1") == "0":
        return None
    return _load()


@functools.cache
def _load() -> ModuleType | None:
    try:
        from evalkit.uncertainty import numba_kernels
    except ImportError:  # numba not installed (the extra is optional): the NumPy code, silently
        return None
    except Exception as exc:
        # Installed but broken (e.g. a local coverage.py shadows the package numba imports): the NumPy
        # code gives the same numbers, so the run goes on and says why it is slower.
        print(f"evalkit: numba could not be loaded ({type(exc).__name__}: {exc}); the bootstrap "
              "uses its NumPy code (same results, slower)", file=sys.stderr)
        return None
    return numba_kernels
