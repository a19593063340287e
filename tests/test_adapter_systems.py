"""The three systems' errors share one base, yet each is caught by its own system's name."""

from __future__ import annotations

import pytest

from adapters.bilge.client import BilgeError, BilgeRejected, BilgeUnavailable, InvalidBilgeNumber
from adapters.system import ExternalSystemError, InvalidReference, SystemRejected, SystemUnavailable
from adapters.tobb.client import InvalidCarnetNumber, TobbError, TobbRejected, TobbUnavailable
from adapters.ykts.client import InvalidIdentity, YktsError, YktsRejected, YktsUnavailable

SYSTEMS = [
    ("TOBB", TobbError, InvalidCarnetNumber, TobbUnavailable, TobbRejected),
    ("BİLGE", BilgeError, InvalidBilgeNumber, BilgeUnavailable, BilgeRejected),
    ("YKTS", YktsError, InvalidIdentity, YktsUnavailable, YktsRejected),
]


@pytest.mark.parametrize(("system", "base", "invalid", "unavailable", "rejected"), SYSTEMS, ids=lambda v: str(v))
def test_a_systems_errors_name_it_and_only_it(
    system: str,
    base: type[ExternalSystemError],
    invalid: type[InvalidReference],
    unavailable: type[SystemUnavailable],
    rejected: type[SystemRejected],
) -> None:
    down = unavailable("HTTP 503 HIZMET_KULLANILAMIYOR", 4)
    held_back = unavailable("circuit open", 0)
    refused = rejected("refused the request: HTTP 401", status_code=401, error_code="YETKISIZ")

    assert str(down) == f"{system} unavailable after 4 attempt(s): HTTP 503 HIZMET_KULLANILAMIYOR"
    assert str(held_back) == f"{system} unavailable (not called): circuit open"
    assert (refused.status_code, refused.error_code, refused.attempts) == (401, "YETKISIZ", 1)
    assert issubclass(invalid, ValueError)  # a malformed number is the caller's value error
    others = tuple(other for _, other, *_ in SYSTEMS if other is not base)
    for error in (down, refused, invalid("malformed")):
        assert isinstance(error, base) and isinstance(error, ExternalSystemError)
        assert not isinstance(error, others), "one system's failure must not pass for another's"
