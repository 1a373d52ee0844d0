"""The one Jinja2 environment for every page and fragment perfeval renders.

Templates live in ``templates/`` beside this module (shipped in the package). Autoescaping
is on: form text is untrusted and reaches markup only escaped; only perfeval's own CSS,
script and charts are passed in as ``markupsafe.Markup``. Undefined names are errors.
"""

from __future__ import annotations

import jinja2

__all__ = ["environment"]

environment = jinja2.Environment(
    loader=jinja2.PackageLoader("perfeval.show", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
