"""The headless Chromium that the browser checks drive (tests/test_browser.py, docs/book/test_site.py).

``find_chromium`` is the one that ``python -m aehelpers`` reports: ``$AEHELPERS_CHROMIUM`` if set
(a path, or ``none`` to run as if there were no Chromium), else ``chromium`` on the PATH, else
Debian's ``/usr/bin/chromium``. ``FLAGS`` keep it off the network and away from the GPU (CI runs
as root: no sandbox).
"""

from aehelpers.__main__ import find_chromium  # noqa: F401  (re-exported)

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-sync"]
