"""What crosses between YKTS and the hub (Circular 2017/12, A4–A5): authority checks.

YKTS (Yükümlü Kayıt ve Takip Sistemi) registers firms by VKN, the persons authorised to represent
them by TCKN, and each firm's registered e-mail address. The YKTS adapter answers these over Kafka.
"""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class AuthorityCheckRequested(_Model):
    """Is this person (TCKN) directly authorised to represent this firm (VKN) in YKTS? (A4, A5)"""

    request_id: UUID = Field(description="Answers carry it back.")
    firm_vkn: str = Field(description="The firm's tax id (VKN), 10 digits.")
    person_tckn: str = Field(description="The person's national id (TCKN), 11 digits.")


class AuthorityChecked(_Model):
    """YKTS's answer. The e-mail is the firm's address registered in YKTS: user codes go there only (A5)."""

    request_id: UUID = Field(description="The check this answers (AuthorityCheckRequested.request_id).")
    firm_vkn: str
    person_tckn: str
    authorised: bool
    firm_name: str | None = None
    firm_email: str | None = Field(default=None, description="Registered in YKTS; None when the firm is unknown.")
    reason: str = Field(default="", description="Why not, when not authorised.")


class AuthorityCheckFailed(_Model):
    """YKTS did not answer within the adapter's bound, or answered unusably."""

    request_id: UUID = Field(description="The check this answers (AuthorityCheckRequested.request_id).")
    firm_vkn: str
    person_tckn: str
    reason: str
    attempts: int
