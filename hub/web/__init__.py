"""What the hub's web pages share (GET-APP, the operator console): served by each at ``/shared``."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

SHARED_STATIC_DIR: Final = Path(__file__).parent / "static"


def mount_shared(app: FastAPI) -> None:
    """Serve the shared files at ``/shared``; call before the page's own mount at ``/``."""
    app.mount("/shared", StaticFiles(directory=SHARED_STATIC_DIR), name="shared")
