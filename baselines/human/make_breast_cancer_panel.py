"""Make the demo's SIMULATED annotator panel: baselines/human/breast_cancer_panel.csv.

The breast-cancer dataset has no real annotators, so this script simulates two groups with a fixed
seed, each annotator with their own sensitivity and specificity:

- ``crowd``: six annotators who each label a random ~60% of the 569 items, plus one trainee who
  labels only 40 (about 10 of them in the demo's test split, fewer than the demo's ``min_items: 20``,
  so the trainee is listed but not averaged);
- ``expert``: three more accurate annotators who each label a random ~35%.

Real annotator exports in the same form (id, annotator, label, group) go through the same code.

Run from anywhere: python baselines/human/make_breast_cancer_panel.py
"""

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.datasets import load_breast_cancer

SEED = 20081025
# name: (group, items labelled, sensitivity on malignant, specificity on benign)
ANNOTATORS = {
    "crowd_a": ("crowd", 341, 0.90, 0.93), "crowd_b": ("crowd", 341, 0.85, 0.92),
    "crowd_c": ("crowd", 341, 0.93, 0.86), "crowd_d": ("crowd", 341, 0.80, 0.95),
    "crowd_e": ("crowd", 341, 0.88, 0.90), "crowd_f": ("crowd", 341, 0.83, 0.91),
    "crowd_trainee": ("crowd", 40, 0.75, 0.85),
    "expert_a": ("expert", 285, 0.93, 0.97), "expert_b": ("expert", 285, 0.90, 0.98),
    "expert_c": ("expert", 285, 0.95, 0.95),
}


def make_panel(seed: int = SEED) -> pd.DataFrame:
    """One row per (item, annotator): id, annotator, label, group."""
    bunch = load_breast_cancer()
    truth = np.asarray(bunch.target_names)[bunch.target]
    rng = np.random.default_rng(seed)
    rows = []
    for name, (group, n_items, sensitivity, specificity) in ANNOTATORS.items():
        items = np.sort(rng.choice(len(truth), size=n_items, replace=False))
        for item in items:
            malignant = truth[item] == "malignant"
            correct = rng.random() < (sensitivity if malignant else specificity)
            label = truth[item] if correct else ("benign" if malignant else "malignant")
            rows.append((item, name, label, group))
    return pd.DataFrame(rows, columns=["id", "annotator", "label", "group"])


if __name__ == "__main__":
    out = Path(__file__).with_name("breast_cancer_panel.csv")
    make_panel().to_csv(out, index=False)
    print(f"wrote {out}")
