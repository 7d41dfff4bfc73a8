"""Where a row of a decoded table came from in a workbook's sheet, so that problems name the sheet's own cells.

A CSV row is a record of the file (the header being row 1); a sheet's rows are numbered as the spreadsheet shows them
(title rows and blank rows included) and its columns by letter (A, B, ... AA). A long sheet's table column is one
sheet column; a wide sheet's value, its row label, its column header and its title each sit elsewhere: ``Origin``
says, for each column of the table, how to find the cell of each row.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


def letter(index: int) -> str:
    """The spreadsheet's name of a 0-based column: 0 → A, 25 → Z, 26 → AA."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


@dataclass(frozen=True)
class Place:
    """How one table column's cells are found: ``column``, that sheet column on the row's own sheet row (a long
    sheet's columns, a wide sheet's row labels); ``value``, the value's own cell; ``header``, the header above the
    value (or above ``column``); ``fixed``, one cell (``row`` and ``column``: a title), or none (``row`` None: a
    parameter)."""

    how: str  # "column" | "value" | "header" | "fixed"
    column: int | None = None
    row: int | None = None


@dataclass(frozen=True)
class Origin:
    """The sheet rows (1-based) and value columns (0-based) of each table row, and how each table column is found."""

    sheet: str
    rows: np.ndarray
    columns: np.ndarray
    header_row: int
    places: dict[str, Place] = field(default_factory=dict)

    def locate(self, i: int | None, column: str) -> tuple[int | None, str]:
        """The sheet row and column letter of table row ``i``'s cell of ``column`` (``i`` None: its header)."""
        place = self.places.get(column, Place("header"))
        col = place.column
        if place.how == "fixed":
            return place.row, letter(col) if col is not None else column
        if col is None and i is not None and place.how in ("value", "header"):
            col = int(self.columns[i])
        where = column if col is None else letter(col)
        if i is None or place.how == "header":
            return self.header_row, where
        return int(self.rows[i]), where
