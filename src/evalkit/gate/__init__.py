"""The CI regression gate: a run's ``metrics.json`` against a stored reference, with tolerances.

- ``rules``: the ``gate:`` rules, validated (from a run's config or from a reference file).
- ``checks``: pure checks; a run record and a reference in, a list of check results out.
- ``reference``: building, reading and diffing the reference file (the accepted run plus its rules).
- ``recompute``: an entry's score and feasibility recomputed from its metrics, so a stored score
  that does not follow from them fails.
- ``outputs``: the verdict as terminal text, JUnit XML, Markdown and JSON (strings, no I/O).
- ``files``: reading a run's metrics.json (or ``latest``), writing outputs atomically.
- ``command``: ``python -m evalkit gate``: arguments, files and exit codes (0 pass, 1 fail, 2 error).

Every check is fail-closed: what cannot be checked (a missing value, an unknown direction, other
data) fails, and the message says why and what to do.
"""
