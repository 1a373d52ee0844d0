"""What the layout parsers (district, national) share: reading cells of one sheet and
raising errors that name the place."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from ..exceptions import FormError
from .normalise import parse_number
from .sheets import Cell, Sheet

__all__ = ["SheetReader"]


class SheetReader:
    """A sheet, its indicator table's columns (attribute → 1-based column) and their labels."""

    def __init__(
        self, sheet: Sheet, columns: dict[str, int], labels: dict[str, tuple[str, ...]]
    ) -> None:
        self.sheet = sheet
        self.columns = columns
        self.labels = labels

    def error(
        self, message: str, row: int | None, column: int | None, field: str | None
    ) -> FormError:
        return FormError(
            message,
            path=self.sheet.path,
            sheet=self.sheet.name,
            row=row,
            column=column,
            field=field,
        )

    def number(self, cell: Cell, row: int, attr: str) -> Decimal | None:
        """A table cell as a number (a percentage as a fraction); FormError naming the cell."""
        try:
            parsed = parse_number(cell.value)
        except ValueError as error:
            raise self.error(str(error), row, self.columns[attr], self.labels[attr][0]) from None
        if parsed is None:
            return None
        value, percent = parsed
        return value.scaleb(-2) if percent else value

    @staticmethod
    def value_right_of(
        row: list[Cell], column: int, label: Cell, is_label: Callable[[Cell], bool]
    ) -> tuple[Cell, int | None]:
        """A header label's value: the next non-empty cell to its right that is neither the
        label repeated (a merged range) nor another label (then the field is blank)."""
        for index in range(column, len(row)):
            cell = row[index]
            if cell.value is None or cell == label:
                continue
            if is_label(cell):
                return Cell(), None
            return cell, index + 1
        return Cell(), None
