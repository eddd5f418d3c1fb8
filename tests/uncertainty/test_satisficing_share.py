"""Share of resamples meeting every satisficing constraint."""

from __future__ import annotations

import numpy as np
import pytest

from evalkit.errors import ConfigError, DataError
from evalkit.uncertainty import satisficing_share

VALUES = {
    "recall": np.array([0.95, 0.89, 0.92, 0.90, np.nan]),
    "brier": np.array([0.10, 0.12, 0.20, 0.11, 0.10]),
}


@pytest.mark.parametrize(
    ("constraints", "share"),
    [
        ([], 1.0),
        ([("recall", ">=", 0.9)], 0.6),  # 0.90 counts for >=, NaN never satisfies
        ([("recall", ">", 0.9)], 0.4),
        ([("brier", "<=", 0.12)], 0.8),
        ([("brier", "<", 0.12)], 0.6),
        ([("recall", ">=", 0.9), ("brier", "<", 0.15)], 0.4),  # jointly, per resample
    ],
)
def test_share(constraints, share):
    assert satisficing_share(VALUES, constraints) == pytest.approx(share)


def test_unknown_metric_and_operator():
    with pytest.raises(ConfigError, match="Metrics with values: \\['brier', 'recall'\\]"):
        satisficing_share(VALUES, [("f1", ">=", 0.5)])
    with pytest.raises(ConfigError, match="operator '=>'"):
        satisficing_share(VALUES, [("recall", "=>", 0.5)])


def test_arrays_must_share_resamples():
    with pytest.raises(DataError, match="same resamples"):
        satisficing_share({"a": np.ones(3), "b": np.ones(4)}, [("a", ">", 0)])
