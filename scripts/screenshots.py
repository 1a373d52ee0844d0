"""The README's two screenshots, from a run's output folder, in Debian's Chromium (offline).

    .venv/bin/python scripts/screenshots.py outputs [--project FOLDER]

Writes docs/images/review.png (the top of one project's review: 复核结论, the project, the
unit's own account) and docs/images/portfolio.png (the top of index.html).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
IMAGES = ROOT / "docs" / "images"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="a run's output folder")
    parser.add_argument("--project", help="the project folder to show (default: the first)")
    args = parser.parse_args()
    folders = sorted(p for p in args.out.glob("*/review.html"))
    review = args.out / args.project / "review.html" if args.project else folders[0]
    IMAGES.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium")
        page = browser.new_page(viewport={"width": 1100, "height": 1300})
        page.route(
            "**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort()
        )
        page.goto(review.resolve().as_uri())
        page.screenshot(path=str(IMAGES / "review.png"))
        page.set_viewport_size({"width": 1300, "height": 1250})
        page.goto((args.out / "index.html").resolve().as_uri())
        page.screenshot(path=str(IMAGES / "portfolio.png"))
        browser.close()
    print(f"{IMAGES / 'review.png'}\n{IMAGES / 'portfolio.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
