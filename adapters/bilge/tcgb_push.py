"""The BİLGE simulator's push of one TCGB to the hub (F1): ``POST /_sim/push-tcgb`` sends a document
given as is (invalid or hostile included, to test the receiver) or a valid sample built by
:func:`sample_tcgb_xml`, signed with BİLGE's key when it has one, over mutual TLS to an ``https://``
target. The life of TCGBs (status batches) is :mod:`adapters.bilge.tcgb_life_push`."""

from __future__ import annotations

import ssl
import uuid
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Final, Self

import httpx
from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse
from lxml import etree
from pydantic import BaseModel, ConfigDict, Field, model_validator

from adapters.simulation import XML_MEDIA_TYPE, now_in_turkiye
from hub.contract.signing import HTTP_SIGNATURE_HEADER, SigningKey, sign
from hub.runtime.xmlsafe import XmlRejected, load_schema, serialize_validated

__all__ = ["PushRequest", "TcgbSample", "add_tcgb_push_route", "sample_tcgb_xml"]

_TCGB_SCHEMA: Final = Path(__file__).resolve().parents[2] / "schemas" / "bilge" / "tcgb.xsd"
_NS_TCGB: Final = "urn:gtb:bilge:tcgb:1"
_PUSH_TIMEOUT_S: Final = 10.0


def _q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


class TcgbSample(BaseModel):
    """The arguments of :func:`sample_tcgb_xml`, as JSON for ``POST /_sim/push-tcgb``."""

    model_config = ConfigDict(extra="forbid")

    tcgb_number: str
    regime: str = "4000"
    office: str
    rows: list[tuple[int, str, str, int, int]] = Field(
        default_factory=list, description="(item_no, declaration_number, carnet_number, line_no, quantity)"
    )
    registered_on: date | None = None
    carnet_number: str | None = Field(default=None, description="Header KarneNo (a declaration under a carnet).")


class PushRequest(BaseModel):
    """``POST /_sim/push-tcgb``: what to send to the hub, and where."""

    model_config = ConfigDict(extra="forbid")

    target_url: str = Field(description="The hub's endpoint receiving TCGBs from BİLGE.")
    xml: str | None = Field(default=None, description="The document, sent as given (invalid ones too).")
    sample: TcgbSample | None = Field(default=None, description="Or build a valid sample TCGB.")
    headers: dict[str, str] = Field(default_factory=dict, description="Extra headers, e.g. the hub's API key.")

    @model_validator(mode="after")
    def _one_document(self) -> Self:
        if (self.xml is None) == (self.sample is None):
            raise ValueError("give exactly one of `xml` and `sample`")
        return self


def sample_tcgb_xml(
    tcgb_number: str,
    regime: str,
    office: str,
    rows: Sequence[tuple[int, str, str, int, int]],
    *,
    registered_on: date | None = None,
    carnet_number: str | None = None,
) -> bytes:
    """A valid ``<Tcgb>`` as BİLGE would push it, for demos and tests (F1).

    ``rows`` are ``(item_no, declaration_number, carnet_number, line_no, quantity)``: each becomes a
    ``TcgbAcma`` of item ``item_no`` (rows with the same item number share the item). Without rows
    the TCGB has one item drawing nothing down. ``carnet_number`` goes in the header: a declaration
    lodged under a carnet, e.g. a 5800 BİLGE took after the cut-over (L2). Tariff code,
    description, weights and value of the items are placeholders. Raises
    :class:`~hub.runtime.xmlsafe.XmlRejected` if an argument breaks the schema (e.g. a malformed number).
    """
    t = _NS_TCGB
    by_item: dict[int, list[tuple[str, str, int, int]]] = {}
    for item_no, declaration_number, row_carnet, line_no, quantity in rows:
        by_item.setdefault(item_no, []).append((declaration_number, row_carnet, line_no, quantity))
    if not by_item:
        by_item[1] = []
    root = etree.Element(_q(t, "Tcgb"), nsmap={None: t}, surum="1.0")
    etree.SubElement(root, _q(t, "IslemNo")).text = str(uuid.uuid4())
    etree.SubElement(root, _q(t, "IslemZamani")).text = now_in_turkiye()
    etree.SubElement(root, _q(t, "BeyannameNo")).text = tcgb_number
    etree.SubElement(root, _q(t, "Rejim")).text = regime
    etree.SubElement(root, _q(t, "GumrukIdaresi")).text = office
    etree.SubElement(root, _q(t, "TescilTarihi")).text = (registered_on or date.today()).isoformat()
    etree.SubElement(root, _q(t, "KapAdedi")).text = str(len(by_item))
    etree.SubElement(root, _q(t, "EsyaninBulunduguYer")).text = "Gümrük sahası"
    if carnet_number is not None:
        etree.SubElement(root, _q(t, "KarneNo")).text = carnet_number
    kalemler = etree.SubElement(root, _q(t, "Kalemler"))
    for item_no, openings in by_item.items():
        pieces = sum(quantity for *_, quantity in openings) or 1
        kalem = etree.SubElement(kalemler, _q(t, "Kalem"))
        etree.SubElement(kalem, _q(t, "KalemNo")).text = str(item_no)
        etree.SubElement(kalem, _q(t, "Gtip")).text = "847989970000"
        etree.SubElement(kalem, _q(t, "TicariTanim")).text = "ATA karnesi kapsamı eşya"
        etree.SubElement(kalem, _q(t, "Miktar"), birim="C62").text = str(pieces)
        etree.SubElement(kalem, _q(t, "BrutAgirlik")).text = f"{pieces * 10}.000"
        etree.SubElement(kalem, _q(t, "NetAgirlik")).text = f"{pieces * 8}.000"
        etree.SubElement(kalem, _q(t, "IstatistikiKiymet")).text = f"{pieces * 1000}.00"
        for declaration_number, row_carnet, line_no, quantity in openings:
            acma = etree.SubElement(kalem, _q(t, "TcgbAcma"))
            etree.SubElement(acma, _q(t, "BeyannameNo")).text = declaration_number
            etree.SubElement(acma, _q(t, "KarneNo")).text = row_carnet
            etree.SubElement(acma, _q(t, "KalemNo")).text = str(line_no)
            etree.SubElement(acma, _q(t, "Miktar")).text = str(quantity)
    return serialize_validated(root, load_schema(_TCGB_SCHEMA))


def add_tcgb_push_route(app: FastAPI, push_tls: ssl.SSLContext | bool, signing_key: SigningKey | None) -> None:
    """``POST /_sim/push-tcgb`` on `app`: one TCGB to the hub, signed with `signing_key` if any."""

    @app.post("/_sim/push-tcgb")
    async def push_tcgb(push: PushRequest) -> Response:
        if push.sample is not None:
            s = push.sample
            try:
                body = sample_tcgb_xml(
                    s.tcgb_number,
                    s.regime,
                    s.office,
                    s.rows,
                    registered_on=s.registered_on,
                    carnet_number=s.carnet_number,
                )
            except XmlRejected as exc:
                return JSONResponse({"error": f"sample TCGB refused: {exc.reason}"}, status_code=422)
            # BİLGE names the document it delivers; the hub's intake keys its queue by it.
            headers = {"Content-Type": XML_MEDIA_TYPE, "X-Belge-No": s.tcgb_number}
        else:
            assert push.xml is not None  # the model requires one of the two
            body = push.xml.encode("utf-8")
            headers = {"Content-Type": XML_MEDIA_TYPE}
        if signing_key is not None:
            headers[HTTP_SIGNATURE_HEADER] = sign(body, signing_key)
        headers.update(push.headers)
        try:
            async with httpx.AsyncClient(timeout=_PUSH_TIMEOUT_S, follow_redirects=False, verify=push_tls) as http:
                reply = await http.post(push.target_url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return JSONResponse({"error": f"{type(exc).__name__}: {exc}"}, status_code=502)
        return JSONResponse({"status": reply.status_code, "body": reply.text})
