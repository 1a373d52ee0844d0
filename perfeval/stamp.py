"""The time perfeval writes into what it makes, and workbooks and Word documents that are the
same bytes each run.

``SOURCE_DATE_EPOCH`` (the reproducible-builds convention: seconds since 1970, UTC) pins
it: set, every workbook and report says that moment — in its properties, its hidden metadata and the
dates of its zip entries — so two runs on the same forms give identical files (the test that
warm and fresh kernels write the same reviews relies on it). Unset, it is now.
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from datetime import UTC, datetime

from .exceptions import PerfevalError

__all__ = ["now", "office_bytes", "pinned"]

_CORE = "docProps/core.xml"
_CORE_TIMES = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


def pinned() -> datetime | None:
    """The moment ``SOURCE_DATE_EPOCH`` pins, or None."""
    value = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not value:
        return None
    try:
        return datetime.fromtimestamp(int(value), UTC)
    except (ValueError, OverflowError, OSError):
        raise PerfevalError(
            f"环境变量 SOURCE_DATE_EPOCH 的值 {value!r} 不是 1970 年以来的秒数"
        ) from None


def now() -> datetime:
    """This moment in local time, or the pinned one."""
    return pinned() or datetime.now().astimezone()


def office_bytes(document: object) -> bytes:
    """``document`` (an openpyxl workbook or a python-docx document: both save to a zip with
    ``docProps/core.xml``) as bytes; with the time pinned, the same bytes every run."""
    buffer = io.BytesIO()
    document.save(buffer)  # type: ignore[attr-defined]
    moment = pinned()
    if moment is None:
        return buffer.getvalue()
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    date_time = max(moment.timetuple()[:6], (1980, 1, 1, 0, 0, 0))  # zip dates start in 1980
    result = io.BytesIO()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(result, "w") as target:
        for entry in source.infolist():
            data = source.read(entry)
            if entry.filename == _CORE:
                data = _CORE_TIMES.sub(rb"\g<1>" + stamp + rb"\g<2>", data)
            info = zipfile.ZipInfo(entry.filename, date_time=date_time)
            info.compress_type = entry.compress_type
            info.external_attr = entry.external_attr
            target.writestr(info, data)
    return result.getvalue()
