"""Confusion matrices: the best candidate beside the strongest baseline, counts written in each cell;
a stand-in, said to be one, when the strongest baseline is a number without predictions."""

from __future__ import annotations

import numpy as np
import pytest
from plot_data import artists, by_gid

from evalkit.plots import NothingToDraw
from evalkit.plots.confusion import confusion_figure, confusion_subjects


def test_the_best_candidate_beside_the_top_baseline_that_has_labels(satisficing_record, binary_curves):
    subjects, notes = confusion_subjects(satisficing_record, binary_curves)
    assert [name for name, _ in subjects] == ["alpha", "panel/majority_vote"]
    assert notes == ["the strongest baseline, spec, has no predictions (an external number), so the "
                     "top-ranked baseline that has them is shown"]
    figure = confusion_figure(satisficing_record, binary_curves)
    assert [ax.get_title(loc="left") for ax in figure.axes[:2]] == [
        "best candidate\nalpha", "top-ranked baseline with labels\npanel/majority_vote"]
    assert "spec, has no predictions" in figure.get_supxlabel()


def test_the_strongest_baseline_itself_when_it_has_predictions(satisficing_record, binary_curves):
    satisficing_record["strongest_baseline"] = "rule"
    subjects, notes = confusion_subjects(satisficing_record, binary_curves)
    assert subjects == [("alpha", "best candidate\nalpha"), ("rule", "strongest baseline\nrule")]
    assert notes == []


def test_each_cell_shows_its_count_and_split_votes_keep_their_fraction(satisficing_record, binary_curves):
    figure = confusion_figure(satisficing_record, binary_curves)
    matrix = binary_curves["entries"]["panel/majority_vote"]["confusion"]
    cells = {a.get_gid(): a.get_text() for a in artists(figure, "count:panel/majority_vote:")}
    assert len(cells) == 4
    for (i, j), value in np.ndenumerate(np.array(matrix)):
        expected = f"{value:g}" if float(value).is_integer() else f"{value:.1f}"
        assert cells[f"count:panel/majority_vote:{i}:{j}"] == expected
    assert any(text.endswith(".5") for text in cells.values())  # the tied item, split in two


def test_nothing_to_draw_when_no_entry_gives_labels(satisficing_record, binary_curves):
    binary_curves["entries"] = {}
    with pytest.raises(NothingToDraw, match="external numbers only"):
        confusion_figure(satisficing_record, binary_curves)


def test_multiclass_confusion_is_square_in_the_classes_with_counts_written_in(iris_run):
    record, curves = iris_run
    figure = confusion_figure(record, curves)
    image = by_gid(figure, f"confusion:{record['best']}")
    matrix = np.array(curves["entries"][record["best"]]["confusion"])
    assert image.get_array().shape == (3, 3)
    shares = np.asarray(image.get_array())
    assert shares.sum(axis=1).tolist() == pytest.approx([1, 1, 1])  # coloured by share of the true class
    count = by_gid(figure, f"count:{record['best']}:1:1")
    assert count.get_text() == str(matrix[1, 1])
