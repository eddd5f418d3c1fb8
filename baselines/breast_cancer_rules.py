"""Rule baselines for the breast-cancer demo: what a clinician's rule of thumb would do.

A rule function receives the feature table (one row per evaluated item, indexed by item id) and
returns one label per row, or a DataFrame with ``label`` and/or ``score`` columns.
"""

import pandas as pd

# Roughly the midpoint between the class means of "worst radius" in the public dataset description.
WORST_RADIUS_CUTOFF_MM = 16.8


def worst_radius_rule(features: pd.DataFrame) -> pd.Series:
    """Call a tumour malignant when its worst radius exceeds the cutoff."""
    return (features["worst radius"] > WORST_RADIUS_CUTOFF_MM).map({True: "malignant", False: "benign"})
