"""evalkit's exceptions. Each message says what is wrong, where (file, field) and how to fix it.

The CLI prints ``evalkit: error: <message>`` on one line and exits with ``exit_code``.
"""


class EvalkitError(Exception):
    """Base class: bad input or configuration that the user can fix. Exit code 2."""

    exit_code = 2


class ConfigError(EvalkitError):
    """The experiment configuration is invalid (unknown key, wrong type, unknown name)."""


class DataError(EvalkitError):
    """An input file (truth, predictions, annotations, results) is missing or malformed."""
