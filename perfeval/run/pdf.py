"""``review.pdf`` beside ``review.html``: the review as a review office files it, on A4.

Chromium prints each page (Playwright's ``page.pdf`` on Debian's ``/usr/bin/chromium`` —
never a downloaded browser — or the one ``PERFEVAL_CHROMIUM`` names), offline: the page may
load nothing but itself. The page's own print stylesheet keeps table headings on every
page and rows whole; the footer names the project and counts the pages (第 N / M 页). The
fonts are the machine's (a CJK font such as Debian's ``fonts-wqy-microhei``), embedded in
the PDF by Chromium.

Playwright is an optional dependency (``pip install 'perfeval[pdf]'``); it is imported only
when a run asks for PDFs.
"""

from __future__ import annotations

import html
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..atomic import PARTIAL_PREFIX
from ..exceptions import RunError
from .execute import HTML_NAME, PAGE_TITLE_SUFFIX

__all__ = ["CHROMIUM", "PDF_NAME", "pdf_printer", "print_reviews", "review_pages"]

PDF_NAME = "review.pdf"
#: Debian's Chromium; ``PERFEVAL_CHROMIUM`` names another.
CHROMIUM = Path(os.environ.get("PERFEVAL_CHROMIUM", "/usr/bin/chromium"))
_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
_FOOTER = (
    '<div style="font-size:8px;width:100%;margin:0 12mm;color:#555;'
    "font-family:'Noto Sans CJK SC','WenQuanYi Micro Hei',sans-serif;display:flex;"
    'justify-content:space-between"><span>{title}</span>'
    '<span>第 <span class="pageNumber"></span> / <span class="totalPages"></span> 页</span></div>'
)


class PdfPrinter:
    """One browser, a page a review."""

    def __init__(self, browser: Any) -> None:
        self._context = browser.new_context()
        # Offline: the review is one self-contained file, and nothing else is fetched.
        self._context.route(
            "**/*",
            lambda route: (
                route.continue_() if route.request.url.startswith("file:") else route.abort()
            ),
        )

    def print(self, page_path: Path, title: str | None = None) -> Path:
        """Print ``page_path`` to ``review.pdf`` beside it (atomically); returns its path.
        ``title`` names the project in the footer (default: the page's own title)."""
        target = page_path.with_name(PDF_NAME)
        partial = target.with_name(f"{PARTIAL_PREFIX}{PDF_NAME}")
        page = self._context.new_page()
        try:
            page.goto(page_path.resolve().as_uri(), wait_until="load")
            if title is None:
                title = page.title().removesuffix(PAGE_TITLE_SUFFIX)
            page.emulate_media(media="print")
            page.pdf(
                path=str(partial),
                format="A4",
                print_background=True,
                display_header_footer=True,
                header_template="<span></span>",
                footer_template=_FOOTER.format(title=html.escape(title)),
                margin={"top": "14mm", "bottom": "16mm", "left": "12mm", "right": "12mm"},
            )
            os.replace(partial, target)
        finally:
            page.close()
            partial.unlink(missing_ok=True)
        return target


def review_pages(path: Path) -> list[Path]:
    """The review pages ``path`` names: a ``review.html``, a project folder holding one, or
    a run's output folder (every project's); RunError when it names none."""
    if not path.exists():
        raise RunError(f"{path} 不存在")
    if path.is_file():
        if path.name != HTML_NAME:  # index.html would print over a review.pdf of its folder
            raise RunError(f"{path} 不是复核页（review.html）")
        return [path]
    if (path / HTML_NAME).is_file():
        return [path / HTML_NAME]
    found = sorted(path.glob(f"*/{HTML_NAME}")) if path.is_dir() else []
    if not found:
        raise RunError(f"{path} 中没有复核页（review.html）；先运行 perfeval run")
    return found


def print_reviews(paths: list[Path]) -> list[tuple[Path, Path | str]]:
    """``review.pdf`` beside each review page the paths name (see ``review_pages``), for one
    project or a whole run — from the command (``perfeval pdf``) or a notebook cell. Each
    page with its PDF, or why it could not be printed (the others are printed all the
    same)."""
    from playwright.sync_api import Error

    pages = [page for path in paths for page in review_pages(Path(path))]
    printed: list[tuple[Path, Path | str]] = []
    with pdf_printer() as printer:
        for page in pages:
            try:
                printed.append((page, printer.print(page)))
            except (Error, OSError) as error:
                printed.append((page, f"未能打印：{error}"))
    return printed


@contextmanager
def pdf_printer() -> Iterator[PdfPrinter]:
    """A printer for the reviews of a run; RunError when Playwright or Chromium is missing."""
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        raise RunError(
            "打印 PDF 需要 Playwright：pip install 'perfeval[pdf]'（浏览器用本机的 Chromium，"
            "Debian：apt-get install chromium fonts-wqy-microhei）"
        ) from None
    if not CHROMIUM.is_file():
        raise RunError(
            f"打印 PDF 需要 Chromium：{CHROMIUM} 不存在（Debian：apt-get install chromium "
            "fonts-wqy-microhei；或用环境变量 PERFEVAL_CHROMIUM 指明）"
        )
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=_ARGS)
        except Error as error:
            raise RunError(f"无法启动 Chromium（{CHROMIUM}）：{error}") from None
        try:
            yield PdfPrinter(browser)
        finally:
            browser.close()
