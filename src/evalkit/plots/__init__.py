"""Figures of a run: one module per figure family, each a function from data to a matplotlib Figure.

- :mod:`~evalkit.plots.leaderboard`: the strategy score per entry, the lower bound, the human level;
- :mod:`~evalkit.plots.satisficing`: the optimized metric against each constrained metric;
- :mod:`~evalkit.plots.metric_bars`: every metric per entry;
- :mod:`~evalkit.plots.score_curves`: PR and ROC curves; :mod:`~evalkit.plots.confusion`: confusion matrices;
- :mod:`~evalkit.plots.render`: draws them all for a run directory and writes ``report.md``/``report.html``;
- :mod:`~evalkit.plots.command`: ``python -m evalkit plot RUN_DIR``.

Figure functions take the ``metrics.json`` record (and the ``curves.json`` document) as dicts and
return a Figure, or raise :class:`NothingToDraw` when the data holds nothing to show: a figure is
skipped with a note, never drawn empty. Nothing here imports pyplot, so no global figure state leaks.
"""


class NothingToDraw(Exception):
    """The data holds nothing this figure could show; the message says what is missing (for the report)."""
