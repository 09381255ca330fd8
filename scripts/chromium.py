"""Debian's Chromium, as the browser tests and the screenshots launch it.

Playwright's own browser download does not work on these machines; /usr/bin/chromium
(Debian's package) does, with these flags (no sandbox as root, nothing that calls home).
"""

import os

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
