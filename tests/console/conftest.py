"""The operator console's fixtures: the console the hub runs, and Chromium for the page's tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, async_playwright

from hub.entrypoints.processes.console import ConsoleProcess
from hub.entrypoints.stack import Stack
from tests.browser import launch_chromium


@pytest.fixture
def console(stack: Stack) -> ConsoleProcess:
    """The console the hub runs (`hub run` starts the same one)."""
    assert stack.console is not None
    return stack.console


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await launch_chromium(playwright)
        try:
            yield launched
        finally:
            await launched.close()
