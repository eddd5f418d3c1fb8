"""report.html is report.md rendered: same words, figures inlined, nothing loaded from elsewhere."""

from __future__ import annotations

import base64

from evalkit.html_report import html_report, inline, markdown_to_html
from evalkit.report import markdown_table

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


def test_headings_lists_and_the_verdict_paragraph():
    markdown = "# evalkit report\n\n**Best: a (0.9).**\n\n- one\n- two\n\n## Caveats\n\n### sub"
    assert markdown_to_html(markdown, {}).splitlines() == [
        "<h1>evalkit report</h1>", '<p class="verdict"><strong>Best: a (0.9).</strong></p>',
        "<ul><li>one</li><li>two</li></ul>", "<h2>Caveats</h2>", "<h3>sub</h3>"]


def test_a_table_from_markdown_table_keeps_its_cells_and_flags_infeasible_and_fragile():
    table = markdown_table(["#", "entry", "feasible"], [["1", "a|b *", "fragile"], ["2", "c", "NO"]])
    html = markdown_to_html(table, {})
    assert "<th>#</th><th>entry</th><th>feasible</th>" in html
    assert '<td>a|b *</td><td class="fragile">fragile</td>' in html  # an escaped bar stays in its cell
    assert '<td class="no">NO</td>' in html


def test_only_the_feasibility_column_is_coloured_so_an_entry_named_no_is_just_a_name():
    html = markdown_to_html(markdown_table(["entry", "feasible"], [["NO", "yes"], ["fragile", "NO"]]), {})
    assert "<td>NO</td><td>yes</td>" in html and '<td>fragile</td><td class="no">NO</td>' in html


def test_images_are_inlined_as_data_uris_and_a_missing_one_says_so():
    html = markdown_to_html("![Leaderboard](plots/leaderboard.png)\n\n![Gone](plots/gone.png)",
                            {"plots/leaderboard.png": PNG})
    assert f'src="data:image/png;base64,{base64.b64encode(PNG).decode()}"' in html
    assert 'alt="Leaderboard"' in html
    assert "[figure not available: Gone]" in html and "plots/gone.png" not in html


def test_text_is_escaped_and_inline_marks_render():
    assert inline("a <script> & `x*y*` **b** *c*") == \
        "a &lt;script&gt; &amp; <code>x*y*</code> <strong>b</strong> <em>c</em>"
    assert inline("latency_ms <= 50, 2*3*4") == "latency_ms &lt;= 50, 2*3*4"


def test_the_page_is_complete_and_loads_nothing_from_elsewhere():
    page = html_report("# r\n\n![x](p.png)", {"p.png": PNG}, title="evalkit report — a")
    assert page.startswith("<!DOCTYPE html>") and "<title>evalkit report — a</title>" in page
    assert "<style>" in page and "http" not in page and "<link" not in page and "<script" not in page
