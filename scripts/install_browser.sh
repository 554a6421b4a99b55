#!/bin/sh
# Installs what the browser tests (tests/e2e, marker `browser`) need: Debian's chromium and the
# Playwright Python package. Playwright's own browser download is not used. Idempotent.
set -eu
cd "$(dirname "$0")/.."
if [ ! -x /usr/bin/chromium ]; then
    # Refresh the package lists only when chromium is not installable from what we have.
    apt-cache show chromium >/dev/null 2>&1 || apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium
fi
# A Japanese font, so replies in Japanese render as text (not boxes) in screenshots.
if ! fc-list 2>/dev/null | grep -qi "ipagothic\|noto sans cjk"; then
    apt-cache show fonts-ipafont-gothic >/dev/null 2>&1 || apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends fonts-ipafont-gothic
fi
if ! .venv/bin/python -c "import playwright" 2>/dev/null; then
    .venv/bin/pip install --quiet playwright
fi
/usr/bin/chromium --version
