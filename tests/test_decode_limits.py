"""Whatever the bytes, decoding ends in a message or in UndecodableMessage naming why: never another
exception, never unbounded work (docs/decisions.md, "Dead letters"). Fast: no broker."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.contract.messages.envelope import (
    MAX_MESSAGE_BYTES,
    MAX_NESTING,
    MAX_NUMBER_DIGITS,
    MAX_REASON_CHARS,
    UndecodableMessage,
    decode,
    envelope,
    nesting,
    parse_json,
)
from hub.domain.carnet import CarnetData, GoodsListLine
from hub.domain.commands import DeclarantIn, LineQuantity, LodgeDeclaration
from hub.runtime.kafka.consuming import decoded
from tests.domain.builders import BORDER, HOLDER

COMMANDS = {"LodgeDeclaration"}
LONG_DESCRIPTION = (
    "ARRI Alexa Mini LF kamera gövdesi, seri no 12345-ABCDE, aksesuarlarıyla birlikte (batarya, şarj cihazı, "
    'taşıma çantası) — camera body with accessories, "full kit"'
)


def _lodge(lines: int, declarant: DeclarantIn = HOLDER) -> bytes:
    carnet = CarnetData(
        carnet_number="DE/2026/BIG-1", holder_name="Lichtwerk Bühnentechnik GmbH", issuing_country="DE",
        issuing_chamber="DIHK Berlin", issued_on=datetime(2026, 3, 2).date(), valid_until=datetime(2027, 3, 1).date(),
        goods=tuple(
            GoodsListLine(
                line_no=i, description=LONG_DESCRIPTION, quantity=9999, weight_kg=Decimal("12345.678"),
                value=Decimal("1234567.89"), currency="EUR", origin_country="DE",
            )
            for i in range(1, lines + 1)
        ),
    )  # fmt: skip
    command = LodgeDeclaration(
        declaration_number="220300ATA000001", carnet_number=carnet.carnet_number, regime="5800",
        customs_office=BORDER, declarant=declarant, carnet=carnet,
        lines=tuple(LineQuantity(line_no=i, quantity=9999) for i in range(1, lines + 1)),
    )  # fmt: skip
    return envelope(command, carnet_number=carnet.carnet_number, occurred_at=datetime.now(UTC)).encode()


def _reason(raw: bytes | None) -> str:
    with pytest.raises(UndecodableMessage) as caught:
        decode(raw, COMMANDS)
    return str(caught.value)


def test_a_carnet_of_2000_long_goods_lines_is_within_every_limit() -> None:
    raw = _lodge(2000)
    assert 500_000 < len(raw) < MAX_MESSAGE_BYTES
    message = decode(raw, COMMANDS)
    assert len(message.payload.carnet.goods) == 2000


def test_a_5000_digit_integer_is_undecodable_naming_the_digit_limit() -> None:
    raw = b'{"type": "LodgeDeclaration", "schema_version": ' + b"7" * 5000 + b"}"
    assert _reason(raw) == f"a number of 5000 digits, more than {MAX_NUMBER_DIGITS}"


def test_a_5000_digit_fraction_or_exponent_is_undecodable_too() -> None:
    assert _reason(b'{"n": 0.' + b"3" * 5000 + b"}") == "a number of 5001 digits, more than 100"
    assert _reason(b'{"n": 1e' + b"9" * 5000 + b"}") == "a number of 5001 digits, more than 100"


def test_a_number_of_100_digits_is_still_a_number() -> None:
    assert parse_json(b"[" + b"9" * MAX_NUMBER_DIGITS + b"]") == [int("9" * MAX_NUMBER_DIGITS)]


def test_60000_deep_arrays_or_objects_are_undecodable_naming_the_depth_limit() -> None:
    assert _reason(b"[" * 60_000 + b"]" * 60_000) == f"nested 60000 deep, deeper than {MAX_NESTING}"
    assert _reason(b'{"a":' * 60_000 + b"1" + b"}" * 60_000) == "nested 60000 deep, deeper than 64"
    assert _reason(b"[" * 60_000) == "nested 60000 deep, deeper than 64"  # never closed


def test_nesting_is_refused_one_level_beyond_the_limit_not_at_it() -> None:
    assert parse_json(b"[" * MAX_NESTING + b"]" * MAX_NESTING) is not None
    assert _reason(b"[" * (MAX_NESTING + 1) + b"]" * (MAX_NESTING + 1)) == "nested 65 deep, deeper than 64"


def test_brackets_and_escaped_quotes_inside_strings_do_not_nest() -> None:
    name = '[[[{{{ \\ " ' * 200 + "Anadolu Sahne Teknik A.Ş."
    raw = _lodge(1, DeclarantIn(id_kind="VKN", id_value="4810023456", name=name))
    assert nesting(raw.decode()) == 5  # envelope, payload, carnet, goods, line
    assert decode(raw, COMMANDS).payload.declarant.name == name


def test_a_record_over_the_size_limit_is_refused_before_it_is_parsed() -> None:
    raw = b"[" * (MAX_MESSAGE_BYTES + 1)  # parsing it would hit the nesting limit: the size is said first
    assert _reason(raw) == f"{MAX_MESSAGE_BYTES + 1} bytes, more than the {MAX_MESSAGE_BYTES} a message may have"


def test_not_json_and_not_utf8_say_not_json() -> None:
    assert _reason(b"\x00not json at all {").startswith("not JSON")
    assert _reason(b"\xff\xfe binary junk").startswith("not JSON")
    assert _reason(None).startswith("empty message")


def test_a_reason_quoting_the_record_is_cut_to_its_bound() -> None:
    reason = _reason(json.dumps({"type": "x" * 100_000}).encode())
    assert reason.startswith("type 'xxx") and len(reason) == MAX_REASON_CHARS


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400) | JSON_VALUES.map(lambda v: json.dumps({"type": "LodgeDeclaration", "x": v}).encode()))
def test_whatever_the_bytes_decode_raises_nothing_but_undecodable_message(raw: bytes) -> None:
    try:
        decode(raw, COMMANDS)
    except UndecodableMessage as exc:
        assert 0 < len(str(exc)) <= MAX_REASON_CHARS


def test_any_exception_of_a_custom_decoder_becomes_an_undecodable_message_with_its_type() -> None:
    def broken(body: bytes | None) -> object:
        raise RecursionError("maximum recursion depth exceeded " + "x" * 10_000)

    with pytest.raises(UndecodableMessage) as caught:
        decoded(broken, b"<TCGB/>")
    assert str(caught.value).startswith("RecursionError: maximum recursion depth exceeded xxx")
    assert len(str(caught.value)) == MAX_REASON_CHARS


def test_a_cancelled_decoder_stays_cancelled() -> None:
    def cancelled(body: bytes | None) -> object:
        raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        decoded(cancelled, b"{}")
