"""Making user-supplied text safe for each output format: Markdown (and the HTML rendered from it),
JUnit XML and spreadsheet-opened CSV.

Entry, annotator, label and metric names, paths and a baseline's ``source`` come from config and
data files that evalkit does not control; written verbatim they can inject headings, links or raw
HTML into ``report.md``/``gate.md`` (a pull-request comment), break ``gate.xml``, or run formulas
when ``leaderboard.csv`` is opened in a spreadsheet. Every writer passes such text through here.
Pure functions, no imports beyond the standard library.
"""

from __future__ import annotations

import re
import unicodedata

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# Bidirectional overrides and isolates reorder what a reader sees ("Trojan Source"), so they are
# shown like control characters.
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _invisible(char: str) -> bool:
    return unicodedata.category(char) in ("Cc", "Zl", "Zp", "Cs") or char in _BIDI


def _shown(char: str) -> str:
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(value: object) -> str:
    """``str(value)`` on one line: newlines, other control characters and bidi overrides become
    visible escapes (``\\n``, ``\\x1b``, ``\\u202e``), so nothing can start a new line or hide text."""
    text = str(value)
    if not any(_invisible(c) for c in text):
        return text
    return "".join(_shown(c) if _invisible(c) else c for c in text)


# Characters that start Markdown constructs wherever they appear (links, images, code, tables,
# strikethrough, math): always backslash-escaped.
_ALWAYS = frozenset("\\`[]|~$")
_ORDERED_LIST = re.compile(r"^(\d{1,9})([.)])(?=\s|$)")
_RULE_LINE = re.compile(r"^[\s=*_-]+$")


def markdown_text(value: object) -> str:
    """Plain text as Markdown that renders as exactly that text, on one line, with no markup or HTML.

    Escapes only what can have a meaning, so ordinary names stay readable (``majority_vote``,
    ``recall - 0.5 * (1 - precision)`` are unchanged): ``*`` and ``_`` unless they cannot open or
    close emphasis, ``<`` that could open a tag, ``&`` that could start an entity, and at the start
    (which may be the start of a line) heading, list and quote markers. Beyond the text's ends lies
    anything (the caller decides what goes next to it), so a mark at an end is always escaped.
    """
    text = visible(value)
    out = []
    unknown = "\x00"  # neither space nor letter; visible() leaves no such character in the text
    for i, char in enumerate(text):
        before = text[i - 1] if i > 0 else unknown
        after = text[i + 1] if i + 1 < len(text) else unknown
        if char in _ALWAYS:
            escape = True
        elif char == "*":
            escape = not (before.isspace() and after.isspace())
        elif char == "_":
            escape = not ((before.isalnum() and after.isalnum()) or (before.isspace() and after.isspace()))
        elif char == "<":
            escape = not (after.isspace() or after.isdigit() or after == "=")
        elif char == "&":
            escape = not after.isspace()
        else:
            escape = False
        out.append("\\" + char if escape else char)
    escaped = "".join(out)
    return _escape_line_start(escaped) if escaped else escaped


def _escape_line_start(text: str) -> str:
    """Escape a block marker at the start: ``#`` headings, ``- `` / ``+ `` lists, ``1.`` lists, ``>``
    quotes, and lines of ``-``/``=`` that would make the line above a heading or draw a rule."""
    if _RULE_LINE.match(text):
        return re.sub(r"([=*_-])", r"\\\1", text)
    body = text.lstrip(" ")  # up to three spaces of indentation still make a block marker
    indent = text[:len(text) - len(body)]
    if body and body[0] in "-+>#" and (body[0] in ">#" or len(body) == 1 or body[1].isspace()):
        return indent + "\\" + body
    return indent + _ORDERED_LIST.sub(r"\1\\\2", body)


def markdown_code(value: object) -> str:
    """``value`` as an inline code span: shown verbatim (no escapes needed inside), fenced with more
    backticks than any run of them in the text, so a backtick in a path cannot end the span."""
    text = visible(value)
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith(("`", " ")) or text.endswith(("`", " ")) else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def xml_text(value: object) -> str:
    """Text that XML 1.0 can hold: characters it forbids (most C0 controls, surrogates, U+FFFE/U+FFFF)
    become visible escapes; ElementTree escapes ``<``, ``&`` and quotes itself."""
    text = str(value)
    return "".join(_shown(c) if _xml_forbidden(c) else c for c in text)


def _xml_forbidden(char: str) -> bool:
    code = ord(char)
    if code < 0x20:
        return char not in "\t\n\r"
    return 0xD800 <= code <= 0xDFFF or code in (0xFFFE, 0xFFFF)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def csv_cell(value: object) -> object:
    """A CSV cell that a spreadsheet will not run as a formula: text starting with ``= + - @``, tab or
    carriage return gets a leading ``'`` (as spreadsheet-safe CSV writers do). Numbers, and text that
    is just a number (``-0.5``), are returned unchanged."""
    if not isinstance(value, str) or not value.startswith(_FORMULA_START):
        return value
    if value[0] in "+-" and _NUMBER.match(value):
        return value
    return "'" + value
