"""What every adapter to an external system (TOBB, BİLGE, YKTS) shares: how it is reached."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self


@dataclass(frozen=True, slots=True)
class ExternalSystemSettings:
    """Where and how to reach an external system; everything needed to switch from its simulator to
    the real system. Each adapter names its environment prefix (TOBB_, BILGE_, ...)."""

    PREFIX: ClassVar[str] = ""

    base_url: str
    api_key: str = field(repr=False)
    timeout_s: float = 5.0
    max_attempts: int = 5
    backoff_initial_s: float = 0.2
    backoff_max_s: float = 5.0
    api_key_header: str = "X-Api-Key"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Self:
        """Read ``<P>_BASE_URL`` and ``<P>_API_KEY`` (required), ``<P>_TIMEOUT_S``, ``<P>_MAX_ATTEMPTS``,
        ``<P>_BACKOFF_INITIAL_S``, ``<P>_BACKOFF_MAX_S`` and ``<P>_API_KEY_HEADER`` (optional).
        Raises ``ValueError`` naming the bad variable."""
        env = os.environ if environ is None else environ
        p = cls.PREFIX

        def required(name: str) -> str:
            value = env.get(name, "").strip()
            if not value:
                raise ValueError(f"{name} is not set")
            return value

        def number(name: str, default: float, kind: type[int] | type[float]) -> Any:
            raw = env.get(name, "").strip()
            if not raw:
                return default
            try:
                value = kind(raw)
            except ValueError:
                raise ValueError(f"{name}={raw!r} is not a valid {kind.__name__}") from None
            if value <= 0:
                raise ValueError(f"{name} must be positive, got {raw!r}")
            return value

        return cls(
            base_url=required(f"{p}_BASE_URL"),
            api_key=required(f"{p}_API_KEY"),
            timeout_s=number(f"{p}_TIMEOUT_S", 5.0, float),
            max_attempts=number(f"{p}_MAX_ATTEMPTS", 5, int),
            backoff_initial_s=number(f"{p}_BACKOFF_INITIAL_S", 0.2, float),
            backoff_max_s=number(f"{p}_BACKOFF_MAX_S", 5.0, float),
            api_key_header=env.get(f"{p}_API_KEY_HEADER", "").strip() or "X-Api-Key",
        )
