"""How the tests and the benchmarks start Debian's chromium (headless, through Playwright).

Besides the switches every headless run here needs (no sandbox as root, no GPU, nothing
fetched from the internet, no first-run or sync work), it switches off the WebUI omnibox
popups. Chromium 156 builds one for every new window, and a Playwright browser context
is a new window. In every context that costs ~400 ms of CPU in a renderer of its own and
~80 ms in the browser process, all within half a second of ``new_page()``. That is the
same time the page under test loads, and this machine has two cores. A user's browser
builds the popup once per window, not once per page. Measured with
``psutil`` CPU times of the browser's processes over the 0.5 s after ``new_page()``.
"""

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-features=WebUIOmniboxPopup,WebUIOmniboxFullPopup,WebUIOmniboxAimPopup",
]
