"""A real headless Chromium for tests: Debian's chromium and chromium-driver packages (installed
by scripts/install-test-deps.d/browser.sh), driven by Selenium with no driver download."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# Screenshots are always taken (rendering is part of the test); they land in docs/ only when
# asked, so a test run leaves the work tree clean:
#   PGBRIDGE_SCREENSHOTS=docs .venv/bin/python -m pytest tests/admin tests/audit_wire/test_report.py
SCREENSHOTS_ENV = "PGBRIDGE_SCREENSHOTS"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


@contextlib.contextmanager
def headless_chromium(width: int = 1280, height: int = 1000) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    assert shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER), "make test installs chromium (apt)"
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        f"--window-size={width},{height}",
        "--force-device-scale-factor=1",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def screenshot_path(name: str, fallback: Path) -> Path:
    """Where a screenshot goes: the folder named by PGBRIDGE_SCREENSHOTS, else `fallback`."""
    folder = Path(os.environ.get(SCREENSHOTS_ENV) or fallback)
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name


def full_page_png(driver: Any, path: Path, max_height: int = 4000) -> None:
    """The whole page (up to max_height px) as one PNG, through the DevTools protocol."""
    import base64

    height = min(int(driver.execute_script("return document.documentElement.scrollHeight")), max_height)
    width = int(driver.execute_script("return document.documentElement.scrollWidth"))
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
        },
    )
    path.write_bytes(base64.b64decode(shot["data"]))
    small_png(path)


def small_png(path: Path) -> None:
    """256 colours are plenty for a page of text and flat charts: a third of the bytes."""
    from PIL import Image

    with Image.open(path) as image:
        image.convert("RGB").quantize(256).save(path, optimize=True)
