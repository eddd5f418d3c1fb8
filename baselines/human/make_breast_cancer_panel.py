"""Make the demo's SIMULATED annotator panel: baselines/human/breast_cancer_panel.csv.

The breast-cancer dataset has no real annotators, so this script simulates five with a fixed seed:
each labels a random ~70% of all 569 items, and each has its own sensitivity and specificity.
Real annotator exports in the same form (id, annotator, label) go through the same code.

Run from anywhere: python baselines/human/make_breast_cancer_panel.py
"""

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.datasets import load_breast_cancer

SEED = 20081025
SHARE_LABELLED = 0.7
# (sensitivity on malignant, specificity on benign) per simulated annotator
ANNOTATORS = {"ann_a": (0.93, 0.97), "ann_b": (0.88, 0.95), "ann_c": (0.96, 0.90),
              "ann_d": (0.85, 0.98), "ann_e": (0.91, 0.93)}


def make_panel(seed: int = SEED) -> pd.DataFrame:
    bunch = load_breast_cancer()
    truth = np.asarray(bunch.target_names)[bunch.target]
    rng = np.random.default_rng(seed)
    rows = []
    for name, (sensitivity, specificity) in ANNOTATORS.items():
        items = np.sort(rng.choice(len(truth), size=int(SHARE_LABELLED * len(truth)), replace=False))
        for item in items:
            malignant = truth[item] == "malignant"
            correct = rng.random() < (sensitivity if malignant else specificity)
            label = truth[item] if correct else ("benign" if malignant else "malignant")
            rows.append((item, name, label))
    return pd.DataFrame(rows, columns=["id", "annotator", "label"])


if __name__ == "__main__":
    out = Path(__file__).with_name("breast_cancer_panel.csv")
    make_panel().to_csv(out, index=False)
    print(f"wrote {out}")
