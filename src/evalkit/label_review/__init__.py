"""Label review: which evaluated items' gold labels are probably wrong, and whether the verdict survives them.

- :mod:`evalkit.label_review.ranking`: confident learning on out-of-sample scores, with panels' votes;
- :mod:`evalkit.label_review.duplicates`: identical feature rows, and evaluated items also in the train split;
- :mod:`evalkit.label_review.evidence`: which entries and panels of a run give admissible evidence;
- :mod:`evalkit.label_review.sensitivity`: the leaderboard, verdict and significance without the flagged
  items, and with their labels replaced by the suggestions;
- :mod:`evalkit.label_review.review`: the whole review of a run, its ``metrics.json`` block and
  ``label_review.csv``.
"""
