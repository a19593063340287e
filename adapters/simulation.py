"""What every simulator of an external system (TOBB, BİLGE, YKTS) shares: the faults it can be told
to inject, the log of the calls it saw, and the `/_sim/...` endpoints that control both."""

# No `from __future__ import annotations`: FastAPI reads the plan type of the routes below at runtime.

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field

REQUEST_LOG_SIZE = 200  # newest calls kept for tests and demos


class FaultPlan(BaseModel):
    """Faults a simulator injects into its next calls (``POST /_sim/faults`` replaces the plan)."""

    model_config = ConfigDict(extra="forbid")

    fail_next: int = Field(default=0, ge=0, description="Fail this many next calls with `status`, applying nothing.")
    status: int = Field(default=503, ge=400, le=599, description="HTTP status of injected failures.")
    delay_next: int = Field(default=0, ge=0, description="Delay this many next calls.")
    delay_all: bool = Field(default=False, description="Delay every call until cleared.")
    delay_seconds: float = Field(default=0.0, ge=0.0, le=120.0, description="Length of each delay.")
    invalid_next: int = Field(default=0, ge=0, description="Answer this many with a schema-invalid 200.")


@dataclass(kw_only=True)
class SimulatorState:
    """The fault plan and the call log; each simulator's state adds its own records."""

    faults: FaultPlan = field(default_factory=FaultPlan)
    requests_seen: int = 0
    request_log: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=REQUEST_LOG_SIZE))


def add_controls(app: FastAPI, state: SimulatorState, plan_type: type[FaultPlan] = FaultPlan) -> None:
    """``GET/POST/DELETE /_sim/faults`` and ``GET/DELETE /_sim/requests`` (not part of the real system)."""

    async def set_faults(plan: plan_type) -> FaultPlan:  # type: ignore[valid-type]
        replaced: FaultPlan = plan.model_copy()  # type: ignore[attr-defined]
        state.faults = replaced
        return replaced

    async def get_faults() -> FaultPlan:
        return state.faults

    async def clear_faults() -> None:
        state.faults = plan_type()

    async def get_requests() -> dict[str, Any]:
        return {"count": state.requests_seen, "requests": list(state.request_log)}

    async def clear_requests() -> None:
        state.requests_seen = 0
        state.request_log.clear()

    app.post("/_sim/faults", response_model=plan_type)(set_faults)
    app.get("/_sim/faults", response_model=plan_type)(get_faults)
    app.delete("/_sim/faults", status_code=204)(clear_faults)
    app.get("/_sim/requests")(get_requests)
    app.delete("/_sim/requests", status_code=204)(clear_requests)
