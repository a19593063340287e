"""The AsyncAPI document as the console serves it: schemas/asyncapi.yaml naming the brokers this
console's process is configured with (hub/contract/asyncapi_servers.py), as YAML and as a page to read.

Read again, and the page rendered again, only when the file changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from fastapi import HTTPException

from hub.contract import asyncapi_servers


@dataclass
class _Served:
    stamp: tuple[float, int]
    document: dict[str, Any]
    text: str
    page: str | None = None


class AsyncApiDocument:
    def __init__(self, path: Path, bootstrap: str, *, tls: bool) -> None:
        """`bootstrap`: the process's `$HUB_KAFKA_BOOTSTRAP`; `tls`: whether its Kafka clients use TLS."""
        self.path = path
        self.bootstrap = bootstrap
        self.tls = tls
        self._served: _Served | None = None

    def _current(self) -> _Served:
        if not self.path.is_file():
            raise HTTPException(404, f"no AsyncAPI document at {self.path} (hub schemas write)")
        stat = self.path.stat()
        stamp = (stat.st_mtime, stat.st_size)
        if self._served is None or self._served.stamp != stamp:
            from hub.contract.schemas import asyncapi_yaml

            written = yaml.safe_load(self.path.read_text(encoding="utf-8"))
            if not isinstance(written, dict):
                raise HTTPException(500, f"{self.path} is not an AsyncAPI document")
            document = asyncapi_servers.configured(written, self.bootstrap, tls=self.tls)
            self._served = _Served(stamp, document, asyncapi_yaml(document))
        return self._served

    def yaml(self) -> str:
        return self._current().text

    def html(self) -> str:
        served = self._current()
        if served.page is None:
            from hub.contract.asyncapi_page import render_asyncapi_html

            served.page = render_asyncapi_html(served.document)
        return served.page
