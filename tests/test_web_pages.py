"""The hub's pages (GET-APP, the operator console, the offices' page) as a browser receives them: the shared styles, a
policy that lets them load nothing from elsewhere, and API answers no cache keeps."""

from __future__ import annotations

import httpx
import pytest

from hub.entrypoints.stack import Stack
from hub.web import CONTENT_SECURITY_POLICY

pytestmark = pytest.mark.kafka


def _pages(stack: Stack) -> dict[str, tuple[str, str]]:
    """Each page's address and one of its API paths."""
    assert stack.console is not None and stack.getapp.web is not None and stack.office is not None
    return {
        "console": (stack.console.base_url, "/api/overview"),
        "getapp": (stack.getapp.web.base_url, "/api/session"),
        "office": (stack.office.base_url, "/api/session"),
    }


@pytest.mark.parametrize("page", ["console", "getapp", "office"])
async def test_a_page_loads_only_its_own_files_and_its_api_is_never_cached(stack: Stack, page: str) -> None:
    base, api = _pages(stack)[page]
    async with httpx.AsyncClient(base_url=base, trust_env=False) as http:
        index = await http.get("/")
        shared = await http.get("/shared/base.css")
        answer = await http.get(api)
    assert index.status_code == 200 and 'href="/shared/base.css"' in index.text
    assert index.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert index.headers["x-frame-options"] == "DENY" and index.headers["x-content-type-options"] == "nosniff"
    assert shared.status_code == 200 and "[hidden] { display: none !important; }" in shared.text
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
