"""What the account endpoints take and answer, as the OpenAPI document shows them.

The request models enforce, and so document, every constraint the server checks on a single field
(the VKN's 10 digits, the TCKN's shape, lengths, the new password's length): the schema is generated
from the model that refuses, so the two cannot drift apart. What a JSON Schema cannot say (a TCKN's
check digits, the letters a name may hold, a new password that differs from the old one and from
the user code) is checked by `rules` and written in the field's description. The VKN and TCKN are
checked by the domain's own `identity_problem` before the pattern, so a refusal says what is wrong
in the domain's words.

The answer models are for the document only: the routes build their JSON with `api.answer`, and the
schemathesis test in tests/getapp_web proves that every answer matches its model.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, SecretStr
from pydantic.config import JsonDict

from hub.domain.identity import IdKind, identity_problem
from hub.getapp.accounts.rules import (
    MAX_EMAIL_LENGTH,
    MAX_NAME_LENGTH,
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
)

VKN_PATTERN: Final = r"^[0-9]{10}$"
TCKN_PATTERN: Final = r"^[1-9][0-9]{10}$"  # and two check digits: see hub.domain.identity
# What a JSON Schema cannot state is named by a format of our own (unknown formats are annotations to
# any validator): the fuzz test registers a generator for each, and the description says it in words.
TCKN_FORMAT: Final[JsonDict] = {"format": "tckn"}
NAME_FORMAT: Final[JsonDict] = {"format": "person-name"}
MAX_USER_CODE_INPUT = 32  # a user code is 10 characters; room for what a person pastes around it

_NAME_RULE = (
    f"1 to {MAX_NAME_LENGTH} characters once runs of spaces are collapsed: letters (any alphabet), "
    "spaces and . ' - only (checked by the server, 422 otherwise)."
)
_TCKN_RULE = "11 digits, the first not 0, the last two the check digits of the public TCKN algorithm (422 otherwise)."
_PASSWORD_RULE = (
    f"{MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters, not the user code, not the old password "
    "(checked by the server, 422 otherwise)."
)


def _identity(kind: IdKind, value: Any) -> Any:
    """The domain's check first, for its words; the pattern stays as the schema's statement of it."""
    if isinstance(value, str):
        problem = identity_problem(kind, value)
        if problem:
            raise ValueError(problem)
    return value


# One declaration each of what the server checks of a VKN, a TCKN and a person's name.
# The constraints first, the domain's check around them, so it runs first (its words in a refusal).
Vkn = Annotated[
    str, Field(min_length=10, max_length=10, pattern=VKN_PATTERN), BeforeValidator(lambda v: _identity(IdKind.VKN, v))
]
Tckn = Annotated[
    str,
    Field(min_length=11, max_length=11, pattern=TCKN_PATTERN, json_schema_extra=TCKN_FORMAT),
    BeforeValidator(lambda v: _identity(IdKind.TCKN, v)),
]
PersonName = Annotated[str, Field(min_length=1, max_length=MAX_NAME_LENGTH, json_schema_extra=NAME_FORMAT)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")  # no stripping: a password is taken as typed


class ApplicationIn(_In):
    firm_vkn: Vkn = Field(description="The firm's tax id (VKN), 10 digits.")
    person_tckn: Tckn = Field(description=f"The applicant's TCKN: {_TCKN_RULE}")
    person_name: PersonName = Field(description=f"The applicant: {_NAME_RULE}")
    email: str | None = Field(
        default=None,
        max_length=MAX_EMAIL_LENGTH,
        description="A contact address. Kept for the record only: the user code goes to the firm's "
        "e-mail registered in YKTS (A5), never here.",
    )


class LoginIn(_In):
    user_code: str = Field(
        max_length=MAX_USER_CODE_INPUT,
        description="The user code mailed to the firm (GA and 8 letters or digits); case and surrounding "
        "spaces do not matter. An unknown code answers 401 like a wrong password.",
    )
    password: SecretStr = Field(max_length=MAX_PASSWORD_LENGTH)


class NewUserIn(_In):
    name: PersonName = Field(description=f"The person: {_NAME_RULE}")
    tckn: Tckn = Field(description=f"The person's TCKN: {_TCKN_RULE}")


class PasswordIn(_In):
    old_password: SecretStr = Field(max_length=MAX_PASSWORD_LENGTH)
    new_password: SecretStr = Field(
        min_length=MIN_PASSWORD_LENGTH,
        max_length=MAX_PASSWORD_LENGTH,
        description=f"The new password: {_PASSWORD_RULE}",
    )


# --- answers ---------------------------------------------------------------------------------------------


class Notice(BaseModel):
    """A8: on every answer, refusals included."""

    tr: Literal["Bu bilgiler bilgilendirme amaçlıdır; hukuki bağlayıcılığı yoktur."]
    en: Literal["This information is for guidance only and is not legally binding."]


class _Answer(BaseModel):
    notice: Notice


class FieldError(BaseModel):
    loc: list[str | int]
    msg: str


class Refused(_Answer):
    """Every refusal of GET-APP's account endpoints and of its guards (Origin, rate limit)."""

    reason: str = Field(
        description="Why, in words; `wrong` or `locked` for a refused login, `malformed request: ...` for 422."
    )
    rule: str | None = Field(default=None, description="The rule refused by (A4 to A7), when one applies.")
    message: str | None = Field(default=None, description="A refused login: what to tell the person.")
    until: datetime | None = Field(default=None, description="A locked user code (A7): locked until then.")
    retry_after: int | None = Field(default=None, description="429: seconds to wait, as in `Retry-After`.")
    errors: list[FieldError] | None = Field(default=None, description="422: each field refused, never its input.")


class ApplicationAccepted(_Answer):
    application_id: str
    status: Literal["pending"]


class ApplicationStatus(_Answer):
    application_id: str
    status: Literal["pending", "approved", "refused"]
    reason: str


class SessionAnswer(_Answer):
    firm_vkn: str
    firm_name: str
    user_code: str
    person_name: str
    is_owner: bool
    must_change_password: bool
    expires_at: datetime


class UserEntry(BaseModel):
    user_code: str
    name: str
    tckn: str = Field(description="Masked: the first two and last two digits.")
    is_owner: bool
    must_change_password: bool
    created_at: datetime


class UsersAnswer(_Answer):
    users: list[UserEntry]


class UserAdded(_Answer):
    user_code: str


class UserCancelled(_Answer):
    user_code: str
    cancelled: Literal[True]


class PasswordChanged(_Answer):
    changed: Literal[True]


class LoggedOut(_Answer):
    logged_out: Literal[True]
