"""The session scheme GET-APP and the operator console share: a random token in a cookie that scripts
cannot read and other sites cannot send, and only its SHA-256 in the store (a stolen database opens
no session)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from starlette.responses import Response


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What the store keeps of a session token."""
    return hashlib.sha256(token.encode()).hexdigest()


def set_session_cookie(
    response: Response, name: str, token: str, *, expires_at: datetime, now: datetime, secure: bool = True
) -> None:
    """`HttpOnly`, `SameSite=Strict`, path `/`, and `Secure` unless a development server on plain HTTP
    asks otherwise; it lasts as long as the session does."""
    response.set_cookie(
        name,
        token,
        max_age=max(int((expires_at - now).total_seconds()), 0),
        path="/",
        secure=secure,
        httponly=True,
        samesite="strict",
    )
