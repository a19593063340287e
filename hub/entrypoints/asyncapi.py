"""The AsyncAPI document of every process, as FastStream makes it from the processes' wiring.

Built from the same wiring the processes run with, so it cannot describe other topics than they use.
`hub schemas write` writes it to schemas/asyncapi.yaml with a neutral server (`{bootstrap}`), and the
operator console serves it naming the brokers it is configured with (hub/contract/asyncapi_servers.py); FastStream's
own `faststream docs gen hub.entrypoints.asyncapi:app --yaml` names whatever `$HUB_KAFKA_BOOTSTRAP` says,
as one server.
"""

from __future__ import annotations

from faststream import FastStream
from faststream.specification import AsyncAPI

from adapters.bilge.client import BilgeSettings
from adapters.tobb.client import TobbSettings
from adapters.ykts.client import YktsSettings
from hub.configuration.settings import Settings
from hub.entrypoints.processes.bilge import BilgeAdapterProcess
from hub.entrypoints.processes.core import CoreProcess
from hub.entrypoints.processes.getapp import GetAppProcess
from hub.entrypoints.processes.tobb import TobbAdapterProcess
from hub.entrypoints.processes.ykts import YktsAdapterProcess
from hub.getapp.accounts.mail import SmtpSettings
from hub.getapp.web.settings import WebSettings

_settings = Settings.from_env()
_core = CoreProcess(_settings)
_tobb = TobbAdapterProcess(_settings, TobbSettings(base_url="http://tobb.invalid", api_key="-"))
_bilge = BilgeAdapterProcess(_settings, BilgeSettings(base_url="http://bilge.invalid", api_key="-"))
_ykts = YktsAdapterProcess(_settings, YktsSettings(base_url="http://ykts.invalid", api_key="-"))
# Its store and page are made, never started: only its subscriptions and publications are read here.
_getapp = GetAppProcess(_settings, SmtpSettings(host="smtp.invalid"), web=WebSettings())

specification = AsyncAPI(
    _core.broker,
    _tobb.broker,
    _bilge.broker,
    _ykts.broker,
    _getapp.broker,
    title="e-ATA/TR integration hub",
    version="0.1.0",
    description=(
        "Kafka topics of the e-ATA/TR integration hub (ATA carnets, Circular 2021/17). Every message is a "
        "JSON envelope keyed by carnet number; topics.yaml is the list of topics, schemas/json the schemas."
    ),
)
app = FastStream(_core.broker, specification=specification)
