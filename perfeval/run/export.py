"""An executed review notebook as one self-contained HTML file that travels.

The page loads nothing from outside: no CDN scripts, styles, fonts or MathJax, no
require.js, no widget JavaScript or state. It is nbconvert's ``basic`` template (the
cells only) inside a page of our own whose CSS is inline, with the code hidden, the
``interactive`` widget panel dropped and every widget view, widget state and
JavaScript output removed. Text outputs are HTML-escaped by the template's
``ansi2html`` filter; the notebook's own HTML outputs are trusted as they are (they
come from ``perfeval.render``, which escapes what a form says). It prints on A4.

``ReviewExporter`` is built once per process (it compiles the templates) and then
exports any number of notebooks.
"""

from __future__ import annotations

import logging
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import nbformat
from jinja2 import DictLoader
from nbconvert import HTMLExporter
from nbconvert.preprocessors import Preprocessor, TagRemovePreprocessor

from ..atomic import write_atomic
from .handover import HANDOVER_TAG, INTERACTIVE_TAG

__all__ = [
    "PAGE_CSS",
    "ReviewExporter",
    "export_html",
    "external_references",
]

log = logging.getLogger("perfeval")


_DROPPED_MIMETYPES = frozenset(
    {
        "application/vnd.jupyter.widget-view+json",
        "application/vnd.jupyter.widget-state+json",
        "application/javascript",
        "text/javascript",
    }
)

PAGE_CSS = """
@page { size: A4; margin: 15mm; }
html {
  font-family: "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC",
    "Source Han Sans SC", "WenQuanYi Micro Hei", "SimSun", sans-serif;
  font-size: 14px; line-height: 1.55; color: #1f2328; background: #fff;
}
body { margin: 0 auto; max-width: 1120px; padding: 16px 24px; }
h1, h2, h3, h4 { line-height: 1.3; margin: 1em 0 0.5em; }
.cell { margin: 0 0 10px; }
.output_area, .output_subarea { overflow: visible; max-width: 100%; }
table { border-collapse: collapse; max-width: 100%; margin: 6px 0; }
th, td {
  border: 1px solid #c9d1d9; padding: 3px 7px; vertical-align: top; text-align: left;
  overflow-wrap: anywhere;
}
th { background: #f3f5f7; }
pre {
  white-space: pre-wrap; overflow-wrap: anywhere; margin: 4px 0;
  font-family: "SFMono-Regular", Consolas, "Liberation Mono", monospace; font-size: 12px;
}
img, svg { max-width: 100%; height: auto; }
.output_stderr pre { color: #7d4e00; }
.output_error pre { color: #82071e; }
.perfeval-failure {
  border: 2px solid #cf222e; background: #ffebe9; padding: 8px 12px; margin: 0 0 16px;
}
.perfeval-failure h1 { margin: 0 0 4px; font-size: 1.3em; color: #82071e; }
a.anchor-link { display: none; }
.perfeval-lab { font-size: 0.9em; margin: 0 0 8px; }
@media print {
  .perfeval-lab { display: none; }
  html { font-size: 10.5pt; }
  body { max-width: none; padding: 0; }
  * { overflow: visible !important; }
  thead { display: table-header-group; }
  tr, img, svg, pre { break-inside: avoid; }
  h1, h2, h3, h4 { break-after: avoid; }
  .cell.text_cell { break-after: avoid; page-break-after: avoid; }
  a { color: inherit; text-decoration: none; }
}
"""

_TEMPLATE_NAME = "perfeval-review.html.j2"
_TEMPLATE = """\
{%- extends 'classic/base.html.j2' -%}
{%- block header -%}
<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="perfeval">
<title>{{ resources.perfeval.title | e }}</title>
<style>
{{ resources.perfeval.css }}
</style>
</head>
<body>
<main class="perfeval-review">
{%- if resources.perfeval.lab_href %}
<p class="perfeval-lab"><a href="{{ resources.perfeval.lab_href | e }}">在 JupyterLab 中打开本项目的复核笔记本</a>（本页经 JupyterLab 打开时可用）</p>
{%- endif %}
{%- if resources.perfeval.failure %}
<section class="perfeval-failure" role="alert">
<h1>复核未完成：笔记本执行出错</h1>
<p>{{ resources.perfeval.failure | e }}</p>
<p>以下内容只到出错的单元格为止，不能作为复核结论。</p>
</section>
{%- endif %}
{%- endblock header -%}
{%- block data_javascript -%}{%- endblock data_javascript -%}
{%- block data_widget_view -%}{%- endblock data_widget_view -%}
{%- block footer -%}
</main>
</body>
</html>
{%- endblock footer -%}
"""


class _DropWidgets(Preprocessor):
    """Drop widget views, widget state and JavaScript: they need scripts a page must not load."""

    def preprocess(self, nb: Any, resources: Any) -> tuple[Any, Any]:
        nb.metadata.pop("widgets", None)
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell: Any, resources: Any, index: int) -> tuple[Any, Any]:
        if cell.cell_type == "code":
            cell.outputs = [
                output
                for output in cell.outputs
                if not _DROPPED_MIMETYPES.intersection(output.get("data", {}))
            ]
        return cell, resources


class ReviewExporter:
    """Executed notebook → one self-contained, printable HTML page, code hidden."""

    def __init__(self) -> None:
        self._exporter = HTMLExporter(
            template_name="basic",
            template_file=_TEMPLATE_NAME,
            extra_loaders=[DictLoader({_TEMPLATE_NAME: _TEMPLATE})],
            exclude_input=True,
            exclude_input_prompt=True,
            exclude_output_prompt=True,
            anchor_link_text="",
        )
        tags = TagRemovePreprocessor(remove_cell_tags={INTERACTIVE_TAG, HANDOVER_TAG}, enabled=True)
        self._exporter.register_preprocessor(tags, enabled=True)
        self._exporter.register_preprocessor(_DropWidgets(enabled=True), enabled=True)

    def export(
        self, nb: Any, *, title: str, failure: str | None = None, lab_href: str | None = None
    ) -> str:
        """The page for an executed notebook; ``failure`` puts a banner saying it is incomplete,
        ``lab_href`` a link that opens the notebook in JupyterLab (``lab_link``)."""
        # The review's own tables bring their stylesheet as an output of the notebook.
        resources = {
            "perfeval": {"title": title, "css": PAGE_CSS, "failure": failure, "lab_href": lab_href}
        }
        body, _ = self._exporter.from_notebook_node(nb, resources=resources)  # works on a copy
        found = external_references(body)
        if found:
            log.warning("%s: 页面引用了外部资源，离线时无法显示：%s", title, "、".join(found[:5]))
        return str(body)


# Attributes whose value a browser would fetch or follow, and CSS url()/@import targets.
_URL_ATTRIBUTES = frozenset(
    {"src", "href", "srcset", "poster", "data", "action", "formaction", "background"}
)
_URL = re.compile(
    r"""(?:[a-z][a-z0-9+.-]*:)?//[^\s"'()<>]*|[a-z][a-z0-9+.-]*:[^\s"'()<>]*""", re.IGNORECASE
)
_CSS_URL = re.compile(rf"""(?:url\(\s*["']?|@import\s+["']?)\s*({_URL.pattern})""", re.IGNORECASE)
_INLINE_SCHEMES = ("data:", "blob:", "about:", "javascript:void", "mailto:")


class _References(HTMLParser):
    """The URL-like values of a page's tags and stylesheets (never its text)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.values: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_style = tag == "style"
        for name, value in attrs:
            if not value:
                continue
            if name == "style":
                self.values += _CSS_URL.findall(value)
            elif name == "srcset":
                self.values += [part.split()[0] for part in value.split(",") if part.strip()]
            elif name in _URL_ATTRIBUTES:
                self.values.append(value.strip())

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.values += _CSS_URL.findall(data)


def external_references(page: str) -> list[str]:
    """Every URL in ``page`` a browser would load or follow off the page itself.

    Only tags' attributes and stylesheets count: a form's text that reads like a link
    (``&lt;a href="javascript:…"&gt;``, ``见 https://…``) is text. Relative links,
    ``#anchors`` and ``data:`` URLs are not external; ``http:``, ``https:``, ``file:``
    and protocol-relative ``//cdn…`` references are.
    """
    parser = _References()
    parser.feed(page)
    parser.close()
    found: list[str] = []
    for value in parser.values:
        match = _URL.match(value)
        url = match[0] if match else None
        if url and not url.lower().startswith(_INLINE_SCHEMES) and url not in found:
            found.append(url)
    return found


def _title_of(nb: Any) -> str:
    parameters = nb.metadata.get("papermill", {}).get("parameters", {})
    form = parameters.get("form_path")
    return f"绩效自评复核 - {Path(form).stem}" if form else "绩效自评复核"


def export_html(
    notebook: Path | str,
    html_path: Path | str | None = None,
    *,
    title: str | None = None,
    exporter: ReviewExporter | None = None,
) -> Path:
    """Export an executed notebook file to a self-contained HTML file beside it (or at ``html_path``)."""
    notebook = Path(notebook)
    target = Path(html_path) if html_path is not None else notebook.with_suffix(".html")
    nb = nbformat.read(notebook, as_version=4)
    failed = bool(nb.metadata.get("papermill", {}).get("exception"))
    page = (exporter or ReviewExporter()).export(
        nb, title=title or _title_of(nb), failure="执行时出现异常" if failed else None
    )
    write_atomic(target, page)
    return target
