"""Regenerate the README's pictures from the demo: the first chart it posts, and a screenshot of
its status page in headless Chromium, taken while the tour runs (after the incident scene).

Run by hand: ``.venv/bin/python docs/demo_images.py`` (needs Debian's chromium and chromium-driver).
"""

from __future__ import annotations

import io
import re
import shutil
import threading
import time
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from slackbot.demo import run_demo

HERE = Path(__file__).resolve().parent


class Tee(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.seen = threading.Condition()

    def write(self, text: str) -> int:
        with self.seen:
            written = super().write(text)
            self.seen.notify_all()
        return written

    def wait_for(self, pattern: str, timeout: float = 120) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        with self.seen:
            while (found := re.search(pattern, self.getvalue())) is None:
                if not self.seen.wait(timeout=max(0.0, deadline - time.monotonic())):
                    raise TimeoutError(pattern)
            return found


def main() -> None:
    out = Tee()
    tour = threading.Thread(target=run_demo, args=(out,), daemon=True)
    tour.start()
    url = out.wait_for(r"served at (http://\S+/status)")[1]
    chart = Path(out.wait_for(r"shares the chart 'Service status': (\S+\.png)")[1])
    shutil.copy(chart, HERE / "status-chart.png")
    out.wait_for(r"=== On call")
    options = webdriver.ChromeOptions()
    options.binary_location = str(shutil.which("chromium"))
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1000,900"):
        options.add_argument(flag)
    browser = webdriver.Chrome(service=Service(str(shutil.which("chromedriver"))), options=options)
    try:
        browser.get(url)
        browser.save_screenshot(str(HERE / "status-page.png"))
    finally:
        browser.quit()
    tour.join()
    print(f"wrote {HERE / 'status-chart.png'} and {HERE / 'status-page.png'}")


if __name__ == "__main__":
    main()
