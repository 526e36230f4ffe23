"""The UI's tables as values: filtering and sorting by the query string, and CSV."""

from __future__ import annotations

from podgate.ui.tables import Cell, Column, Filter, Row, Table

TABLE = Table(
    "t",
    "caption",
    (Column("name", "Name"), Column("n", "Count")),
    (
        Row((Cell("b"), Cell("10", sort=10)), facets={"ns": "x"}),
        Row((Cell("a"), Cell("9", sort=9)), facets={"ns": "y"}),
        Row((Cell('=HYPERLINK("http://evil")'), Cell("1", sort=1)), facets={"ns": "x"}),
    ),
    filters=(Filter("ns", "Namespace", (("x", "x"), ("y", "y"))),),
)


def test_a_facet_filter_and_a_text_search_keep_only_matching_rows() -> None:
    assert [r.cells[0].text for r in TABLE.apply({"t.ns": "y"}).rows] == ["a"]
    assert [r.cells[0].text for r in TABLE.apply({"t.q": "B"}).rows] == ["b"]
    assert TABLE.apply({"t.ns": "x"}).total == 3


def test_numbers_sort_as_numbers_both_ways() -> None:
    up = TABLE.apply({"t.sort": "n", "t.dir": "asc"})
    assert [r.cells[1].text for r in up.rows] == ["1", "9", "10"]
    down = TABLE.apply({"t.sort": "n", "t.dir": "desc"})
    assert [r.cells[1].text for r in down.rows] == ["10", "9", "1"]
    assert TABLE.apply({"t.sort": "nope"}).sort == ""  # an unknown column is ignored


def test_the_sort_link_flips_the_direction_and_keeps_the_filters() -> None:
    sorted_up = TABLE.apply({"t.sort": "n", "t.dir": "asc", "t.ns": "x"})
    link = sorted_up.sort_link("n", {"t.sort": "n", "t.dir": "asc", "t.ns": "x"})
    assert link == "?t.dir=desc&t.ns=x&t.sort=n"


def test_csv_cells_a_spreadsheet_would_run_as_formulas_are_defused() -> None:
    lines = TABLE.to_csv().splitlines()
    assert lines[0] == "Name,Count"
    assert lines[3] == '"\'=HYPERLINK(""http://evil"")",1'
