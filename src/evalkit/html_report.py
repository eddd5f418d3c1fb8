"""``report.html``: ``report.md`` as one self-contained page that opens from disk in any browser.

The page is rendered from the Markdown report itself, so the two never disagree and every section
another part of evalkit adds to ``report.md`` appears here too. Figures are inlined as base64 PNG
data URIs and the styles sit in the page: it loads nothing from anywhere, so it can be attached to a
pull request, mailed or archived on its own. Pure: text and image bytes in, text out.

Only the Markdown that ``evalkit.report`` writes is understood: ``#``–``###`` headings, paragraphs,
``- `` lists, pipe tables, images on a line of their own, ``**bold**``, ``*italic*`` and ``code``.
"""

from __future__ import annotations

import base64
import re
import string
from collections.abc import Mapping
from html import escape

CSS = """
:root { color-scheme: light; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       color: #1f2328; background: #fff; margin: 0; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 26px; margin: 0 0 12px; }
h2 { font-size: 19px; margin: 32px 0 10px; border-bottom: 1px solid #d8dee4; padding-bottom: 4px; }
h3 { font-size: 16px; margin: 22px 0 8px; }
p.verdict { font-size: 17px; padding: 12px 16px; border-left: 6px solid #0072B2; background: #f6f8fa; }
figure { margin: 18px 0 6px; }
figure img { max-width: 100%; height: auto; display: block; border: 1px solid #eaeef2; }
figcaption, p.caption { color: #57606a; font-size: 14px; margin-top: 4px; }
.table-wrap { overflow-x: auto; margin: 8px 0 16px; }
table { border-collapse: collapse; font-size: 13px; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 7px; border-bottom: 1px solid #eaeef2; text-align: left; vertical-align: top; }
td { white-space: nowrap; }
td.wrap { white-space: normal; min-width: 9em; }
th { white-space: normal; }
td .ci { display: block; color: #57606a; font-size: 11.5px; }
thead th { background: #f6f8fa; position: sticky; top: 0; }
td.no { color: #D55E00; font-weight: 600; }
td.fragile { color: #9a6700; font-weight: 600; }
code { font-size: 13px; background: #f6f8fa; padding: 1px 4px; border-radius: 4px; }
"""

_IMAGE = re.compile(r"^!\[(?P<alt>[^\]]*)\]\((?P<src>[^)\s]+)\)$")
_EMPHASIS = [
    (re.compile(r"\*\*(.+?)\*\*"), r"<strong>\1</strong>"),
    (re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])"), r"<em>\1</em>"),
]
_PUNCTUATION = frozenset(string.punctuation)
_HOLE = "\x00"  # marks a piece already rendered (escaped character, code span) inside the text
_CELL_CLASS = {"NO": "no", "fragile": "fragile", "NO (fragile)": "no"}


def inline(text: str) -> str:
    """Escape ``text`` and render its inline marks, as CommonMark reads them: a backslash before
    punctuation makes it literal (``evalkit.escaping.markdown_text`` relies on this), a code span
    (fenced by a run of backticks) is literal inside, then ``**bold**`` and ``*italic*``."""
    text = text.replace(_HOLE, "")
    held: list[str] = []
    plain: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text) and text[i + 1] in _PUNCTUATION:
            held.append(escape(text[i + 1], quote=False))
            plain.append(f"{_HOLE}{len(held) - 1}{_HOLE}")
            i += 2
            continue
        if char == "`":
            ticks = "`" * (len(text[i:]) - len(text[i:].lstrip("`")))
            close = re.compile(rf"(?<!`){ticks}(?!`)").search(text, i + len(ticks))
            if close is not None:
                code = text[i + len(ticks):close.start()]
                if len(code) > 1 and code[0] == code[-1] == " " and code.strip():
                    code = code[1:-1]
                held.append(f"<code>{escape(code, quote=False)}</code>")
                plain.append(f"{_HOLE}{len(held) - 1}{_HOLE}")
                i = close.end()
                continue
            plain.append(ticks)
            i += len(ticks)
            continue
        plain.append(char)
        i += 1
    out = escape("".join(plain), quote=False)
    for pattern, replacement in _EMPHASIS:
        out = pattern.sub(replacement, out)
    return re.sub(f"{_HOLE}(\\d+){_HOLE}", lambda m: held[int(m.group(1))], out)


def _cells(line: str) -> list[str]:
    """A table row's cells; ``\\|`` is a literal bar inside a cell (as markdown_table escapes it)."""
    inner = line.strip()[1:-1] if line.strip().endswith("|") else line.strip()[1:]
    return [c.strip() for c in re.split(r"(?<!\\)\|", inner)]


# A value followed by its interval, as evalkit.report writes a cell: "0.9860 \\[0.965, 1.000\\]".
_WITH_INTERVAL = re.compile(r"^(?P<value>\S+) (?P<ci>\\\[[^\]]*\\\])$")
_BREAKABLE = re.compile(r"(?<=[/_])(?![^<]*>)")  # after / or _ outside a tag: where a long name may wrap
_LONG = 24  # characters: a cell this long may wrap at its / and _ (entry names), so tables fit the screen


def _cell(text: str, *, status: bool = False) -> str:
    # Only the report's own feasibility column is coloured: an entry named "NO" is just a name.
    if status and text in _CELL_CLASS:
        return f'<td class="{_CELL_CLASS[text]}">{inline(text)}</td>'
    found = _WITH_INTERVAL.match(text)
    if found:  # the interval under its value: a column half as wide
        return f'<td>{inline(found["value"])}<span class="ci">{inline(found["ci"])}</span></td>'
    if len(text) > _LONG:
        return f'<td class="wrap">{_BREAKABLE.sub("<wbr>", inline(text))}</td>'
    return f"<td>{inline(text)}</td>"


def _table(lines: list[str]) -> str:
    header = _cells(lines[0])
    head = "".join(f"<th>{_BREAKABLE.sub('<wbr>', inline(c))}</th>" for c in header)
    status = {i for i, c in enumerate(header) if c == "feasible"}
    rows = []
    for line in lines[2:]:
        rows.append(f"<tr>{''.join(_cell(c, status=i in status) for i, c in enumerate(_cells(line)))}</tr>")
    return (f'<div class="table-wrap"><table><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table></div>")


def _image(alt: str, src: str, images: Mapping[str, bytes]) -> str:
    data = images.get(src)
    if data is None:  # not inlined: say so rather than point at a file the page may not travel with
        return f'<p class="caption">[figure not available: {escape(alt)}]</p>'
    encoded = base64.b64encode(data).decode("ascii")
    return f'<figure><img src="data:image/png;base64,{encoded}" alt="{escape(alt)}"></figure>'


def _blocks(markdown: str) -> list[list[str]]:
    """Lines grouped into blocks: a blank line ends a block, and so does a change of kind."""
    def kind(line: str) -> str:
        return "table" if line.startswith("|") else "list" if line.startswith("- ") else \
            "heading" if line.startswith("#") else "image" if _IMAGE.match(line) else "text"

    blocks: list[list[str]] = []
    for line in markdown.splitlines():
        if not line.strip():
            blocks.append([])
        elif blocks and blocks[-1] and kind(blocks[-1][-1]) == kind(line) in ("table", "list", "text"):
            blocks[-1].append(line)
        else:
            blocks.append([line])
    return [b for b in blocks if b]


def markdown_to_html(markdown: str, images: Mapping[str, bytes]) -> str:
    """The body of the page: each Markdown block as HTML; the first bold paragraph is the verdict."""
    out = []
    verdict_done = False
    for block in _blocks(markdown):
        first = block[0]
        if first.startswith("#"):
            level = min(len(first) - len(first.lstrip("#")), 3)
            out.append(f"<h{level}>{inline(first[level:].strip())}</h{level}>")
        elif (image := _IMAGE.match(first)) is not None:
            out.append(_image(image["alt"], image["src"], images))
        elif first.startswith("|"):
            out.append(_table(block))
        elif first.startswith("- "):
            out.append("<ul>" + "".join(f"<li>{inline(line[2:])}</li>" for line in block) + "</ul>")
        else:
            text = " ".join(line.strip() for line in block)
            if not verdict_done and all(line.strip().startswith("**") and line.strip().endswith("**")
                                        for line in block):
                # The verdict's lines stay lines (report.md ends each with a hard break).
                verdict_done = True
                lines = "<br>".join(inline(line.strip()) for line in block)
                out.append(f'<p class="verdict">{lines}</p>')
            elif text.startswith("*") and text.endswith("*") and not text.startswith("**"):
                out.append(f'<p class="caption">{inline(text)}</p>')
            else:
                out.append(f"<p>{inline(text)}</p>")
    return "\n".join(out)


def html_report(markdown: str, images: Mapping[str, bytes], *, title: str = "evalkit report") -> str:
    """The whole page: ``report.md`` rendered, with ``images`` (path in the Markdown → PNG bytes) inlined."""
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title>", f"<style>{CSS}</style>", "</head>", "<body>", "<main>",
        markdown_to_html(markdown, images), "</main>", "</body>", "</html>", ""])
