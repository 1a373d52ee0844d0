#!/usr/bin/env bash
# Create .venv and install perfeval into it. With --test, also the test tools and,
# as root on Debian, the headless Chromium and a CJK font the browser tests use.
set -euo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
if [ "${1:-}" = "--test" ]; then
  .venv/bin/python -m pip install --quiet -e '.[test]'
  # Chromium and a CJK font for the browser tests; LibreOffice and poppler to print the
  # workbooks as a review office does.
  if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi 'wqy' \
      || ! command -v soffice >/dev/null || ! command -v pdftotext >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        chromium fonts-wqy-microhei libreoffice-calc poppler-utils >/dev/null
    else
      echo "setup: the tests need Debian's chromium, fonts-wqy-microhei, libreoffice-calc and poppler-utils (run as root or install them)" >&2
    fi
  fi
else
  .venv/bin/python -m pip install --quiet -e .
fi
.venv/bin/python -m ipykernel install --sys-prefix --name python3 >/dev/null
