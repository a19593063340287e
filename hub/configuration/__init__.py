"""One way to configure the hub: pydantic-settings models per concern (`base`), what each process
reads (`processes`), `hub config` and docs/configuration.md (`report`)."""

from hub.configuration.base import ConfigurationError, HubSettings, load

__all__ = ["ConfigurationError", "HubSettings", "load"]
