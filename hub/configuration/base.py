"""What every settings model of the hub shares: read from the environment by pydantic-settings,
validated at once, and, when a value is wrong, refused with one line per variable that names it,
what it expected and what it got (never a secret's value).

Each concern (the core, an external system, the BİLGE intake, GET-APP's web server, Kafka's client
security, logging, ...) is one `HubSettings` model next to the code it configures, with the
environment prefix its variables always had (HUB_, TOBB_, BILGE_, YKTS_, GETAPP_SMTP_); what a
process is made of is `hub/entrypoints/process_settings.py`. An empty variable counts as unset, as it
did before pydantic (`env_ignore_empty`), so `FOO=` in a compose file keeps the default.
"""

from __future__ import annotations

import datetime
import types
import typing
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any, Literal, Self, TypeVar, cast

import annotated_types
from pydantic import AnyUrl, BeforeValidator, SecretStr, ValidationError
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, EnvSettingsSource, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict
from pydantic_settings.sources.utils import parse_env_vars

__all__ = [
    "CommaSeparated",
    "ConfigurationError",
    "HubSettings",
    "expectation",
    "load",
    "shown_default",
    "variable",
]

T = TypeVar("T", bound="HubSettings")


def _listed(value: object) -> object:
    if isinstance(value, str):
        return tuple(item.strip() for item in value.split(",") if item.strip())
    return value


# A list in one variable, comma-separated (not JSON, pydantic-settings' own way for lists).
CommaSeparated = Annotated[tuple[str, ...], NoDecode, BeforeValidator(_listed)]
MASK = "********"

# The environment a model is read from: os.environ unless `load` was given a mapping (tests).
_ENVIRON: ContextVar[Mapping[str, str] | None] = ContextVar("hub_settings_environ", default=None)


class ConfigurationError(ValueError):
    """Settings the process cannot start with: `problems` holds one line per bad variable."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class _Environment(EnvSettingsSource):
    """pydantic-settings' own environment source, reading the mapping `load` was given if any."""

    def _load_env_vars(self) -> Mapping[str, str | None]:
        environ = _ENVIRON.get()
        if environ is None:
            return super()._load_env_vars()
        return parse_env_vars(environ, self.case_sensitive, self.env_ignore_empty, self.env_parse_none_str)


class HubSettings(BaseSettings):
    """Base of every settings model of the hub (not itself a concern)."""

    model_config = SettingsConfigDict(
        frozen=True,
        extra="ignore",
        env_ignore_empty=True,
        str_strip_whitespace=True,
        validate_by_name=True,
        validate_by_alias=True,
        use_attribute_docstrings=True,
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Arguments first (tests, the stack's simulators), then the environment; no .env file is read.
        return init_settings, _Environment(settings_cls)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Self:
        """These settings from the environment (or `environ`); ConfigurationError names what is wrong."""
        return load(cls, environ)


@contextmanager
def _reading(environ: Mapping[str, str] | None) -> Iterator[None]:
    token = _ENVIRON.set(environ)
    try:
        yield
    finally:
        _ENVIRON.reset(token)


def load(cls: type[T], environ: Mapping[str, str] | None = None) -> T:
    """`cls` from the environment (or `environ`), arguments aside: every problem at once."""
    build = cast(Callable[[], T], cls)
    with _reading(environ):
        try:
            return build()
        except ValidationError as exc:
            raise ConfigurationError(problems(cls, exc)) from None


def variable(cls: type[HubSettings], name: str) -> str:
    """The environment variable of field `name`: its alias, else the model's prefix and its name."""
    alias = cls.model_fields[name].validation_alias
    if isinstance(alias, str):
        return alias.upper()
    return (str(cls.model_config.get("env_prefix", "")) + name).upper()


def is_secret(field: FieldInfo) -> bool:
    return SecretStr in _parts(field.annotation)


def problems(cls: type[HubSettings], error: ValidationError) -> list[str]:
    """One line per bad variable (pydantic may report a union's every branch: the first is kept)."""
    lines: dict[str, str] = {}
    for each in error.errors(include_url=False):
        loc = each["loc"]
        if not loc or str(loc[0]) not in cls.model_fields:
            reason = str(each["msg"]).removeprefix("Value error, ")
            lines.setdefault(reason, reason)
            continue
        name = str(loc[0])
        field = cls.model_fields[name]
        var = variable(cls, name)
        if each["type"] == "missing":
            lines.setdefault(var, f"{var}: expected {expectation(field)}, not set")
            continue
        got = "a value (hidden: a secret)" if is_secret(field) else repr(each["input"])
        lines.setdefault(var, f"{var}: expected {expectation(field)}, got {got}")
    return list(lines.values())


def _parts(annotation: Any) -> list[Any]:
    """A union's members (None aside), else the annotation itself."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return [a for a in typing.get_args(annotation) if a is not type(None)]
    return [annotation]


def _kind(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        base, *meta = typing.get_args(annotation)
        if any(getattr(m, "path_type", None) == "file" for m in meta):
            return "a path to an existing file"
        return _kind(base)
    if origin is Literal:
        return "one of " + ", ".join(str(a) for a in typing.get_args(annotation))
    if origin is tuple:
        return "a comma-separated list"
    if isinstance(annotation, type):
        if issubclass(annotation, bool):
            return "yes or no (1/true/yes/on or 0/false/no/off)"
        if issubclass(annotation, int):
            return "an integer"
        if issubclass(annotation, float):
            return "a number"
        if issubclass(annotation, datetime.date):
            return "a date (YYYY-MM-DD)"
        if issubclass(annotation, Path):
            return "a file path"
        if issubclass(annotation, SecretStr):
            return "a secret"
        if issubclass(annotation, AnyUrl):
            return "an http:// or https:// URL"
    return "text"


_BOUNDS: tuple[tuple[type[Any], str, str], ...] = (
    (annotated_types.Ge, "ge", "≥"),
    (annotated_types.Gt, "gt", ">"),
    (annotated_types.Le, "le", "≤"),
    (annotated_types.Lt, "lt", "<"),
)


def expectation(field: FieldInfo) -> str:
    """What a variable takes, in words: `expected` of the field's extra if it says, else its type and
    bounds ("an integer ≥ 1"). The error lines and docs/configuration.md both use it."""
    extra = field.json_schema_extra
    if isinstance(extra, dict) and isinstance(extra.get("expected"), str):
        return str(extra["expected"])
    text = " or ".join(_kind(a) for a in _parts(field.annotation))
    bounds = [
        f"{sign} {getattr(m, attr)}" for m in field.metadata for kind, attr, sign in _BOUNDS if isinstance(m, kind)
    ]
    return f"{text} {' and '.join(bounds)}" if bounds else text


def shown_default(field: FieldInfo) -> str:
    """The default as a person sets it: `default_shown` of the field's extra if it says (a default
    that depends on where the project is), else the value; "required" when there is none."""
    extra = field.json_schema_extra
    if isinstance(extra, dict) and isinstance(extra.get("default_shown"), str):
        return str(extra["default_shown"])
    if field.is_required():
        return "required"
    return shown_value(field.get_default(call_default_factory=True))


def shown_value(value: Any) -> str:
    """A value as it would be written in the environment; a secret is never shown, only masked."""
    if isinstance(value, SecretStr):
        return MASK if value.get_secret_value() else "(not set)"
    if value is None or value == "" or value == ():
        return "(not set)"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    return str(value)
