"""The docstring examples of evalkit.uncertainty are tests too."""

from __future__ import annotations

import doctest
import importlib

import numpy as np
import pytest

MODULES = ["evalkit.tasks.classification.bootstrap", "evalkit.uncertainty.comparison",
           "evalkit.tasks.classification.intervals", "evalkit.uncertainty.resampling",
           "evalkit.uncertainty.satisficing", "evalkit.uncertainty.resolution", "evalkit.confidence"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, extraglobs={"np": np}, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
