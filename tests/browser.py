"""Debian's Chromium, driven by Playwright (no browser download: the network is closed)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import Browser, Error

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# What Chromium gets for the page's icon: its status, type and whether it decodes as a picture.
ICON = """async (path) => {
  const answer = await fetch(path);
  const drawn = await new Promise((done) => {
    const image = new Image();
    image.onload = () => done(image.naturalWidth > 0);
    image.onerror = () => done(false);
    image.src = path;
  });
  return [answer.status, answer.headers.get("content-type"), drawn];
}"""


async def launch_chromium(playwright: Any) -> Browser:
    try:
        browser: Browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, timeout=30_000
        )
    except Error as exc:  # never a skip: `make chromium` installs it
        pytest.fail(f"Chromium could not start from {CHROMIUM} (install it: make chromium): {exc}")
    return browser
