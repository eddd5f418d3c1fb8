"""Rule baseline for the iris example: the textbook two-threshold petal rule."""

import numpy as np
import pandas as pd


def petal_rule(features: pd.DataFrame) -> np.ndarray:
    """Setosa has short petals; among the rest, narrow petals are versicolor."""
    length, width = features["petal length (cm)"], features["petal width (cm)"]
    return np.where(length < 2.5, "setosa", np.where(width < 1.75, "versicolor", "virginica"))
