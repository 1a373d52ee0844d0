"""Every error perfeval raises on purpose.

    PerfevalError                 base: the CLI turns it into one line on stderr
    ├── FormError                 a file could not be read as a form (has a location)
    │   ├── UnsupportedFileError  not a format perfeval reads
    │   └── NoFormError           a file or sheet holds no indicator table
    ├── ParamsError               a parameter or check-settings file is wrong
    ├── AdjustmentError           a reviewer's change was refused (bounds, reason, name)
    └── RunError                  a batch run could not start or finish

Problems *inside* a form that can be read are not errors: they are findings
(see ``perfeval.findings``).
"""

from __future__ import annotations

__all__ = [
    "AdjustmentError",
    "FormError",
    "NoFormError",
    "ParamsError",
    "PerfevalError",
    "RunError",
    "UnsupportedFileError",
    "column_letter",
]


def column_letter(column: int) -> str:
    """1 → A, 27 → AA, as spreadsheet users name columns."""
    letters = ""
    while column > 0:
        column, rest = divmod(column - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _one_line(text: str) -> str:
    """Line breaks and other control characters from file or sheet names, shown safely."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


class PerfevalError(Exception):
    """Base of every error perfeval raises for a user's input or setup."""


class FormError(PerfevalError):
    """A form could not be read; says where: file, sheet, row, column and field."""

    def __init__(
        self,
        message: str,
        *,
        path: str,
        sheet: str | None = None,
        row: int | None = None,
        column: int | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.path = path
        self.sheet = sheet
        self.row = row
        self.column = column
        self.field = field
        super().__init__(str(self))

    @property
    def location(self) -> str:
        """File, sheet, row, column and field, on one line whatever the names contain."""
        parts = [self.path]
        if self.sheet is not None:
            parts.append(f"工作表“{self.sheet}”")
        if self.row is not None:
            parts.append(f"第{self.row}行")
        if self.column is not None:
            parts.append(f"{column_letter(self.column)}列")
        if self.field is not None:
            parts.append(f"（{self.field}）")
        return _one_line(" ".join(parts))

    def __str__(self) -> str:
        return f"{self.location}: {_one_line(self.message)}"

    def __reduce__(self) -> tuple[object, ...]:
        # Keyword-only arguments need help to cross a process boundary (batch workers).
        return (_rebuild_form_error, (type(self), self.message, self.__dict__.copy()))


def _rebuild_form_error(cls: type[FormError], message: str, state: dict[str, object]) -> FormError:
    error = cls.__new__(cls)
    error.__dict__.update(state)
    Exception.__init__(error, str(error))
    return error


class UnsupportedFileError(FormError):
    """The file is not a workbook or text export perfeval can read."""


class NoFormError(FormError):
    """The file or sheet holds no self-evaluation indicator table."""


class ParamsError(PerfevalError):
    """A parameter set or check-settings file is malformed."""


class AdjustmentError(PerfevalError):
    """A reviewer's adjustment was refused; the message says why and what to do."""


class RunError(PerfevalError):
    """A batch run could not be set up."""
