"""Rule baseline for the SYNTHETIC multi-label demo (`+experiment=multilabel_demo`).

A keyword rule, as a domain expert would write one: each tag has a short list of telling words, and a
document gets a tag's score from the share of its words that are that tag's keywords. The keyword lists
were read once off the generator's word distributions (the words most over-represented for each tag),
the way an expert would list words from experience; nothing is fitted here.
"""

from __future__ import annotations

import pandas as pd

KEYWORDS = {
    "tag0": ["w11", "w6"],
    "tag1": ["w1", "w4"],
    "tag2": ["w9", "w15"],
    "tag3": ["w3", "w14"],
    "tag4": ["w7", "w10"],
    "tag5": ["w12", "w13"],
}
# A document has a tag when at least this share of its words are the tag's keywords: two words of
# twenty make 10% of a document by chance, so a little more than that is taken as a sign of the tag.
MIN_SHARE = 0.12


def keyword_tags(features: pd.DataFrame) -> pd.DataFrame:
    """One score_<tag> column (keyword share, in [0, 1]) and one 0/1 label_<tag> column per tag."""
    total = features.sum(axis=1).clip(lower=1)
    out = pd.DataFrame(index=features.index)
    for tag, words in KEYWORDS.items():
        share = features[words].sum(axis=1) / total
        out[f"score_{tag}"] = share
        out[f"label_{tag}"] = (share >= MIN_SHARE).astype(int)
    return out
