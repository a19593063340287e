"""Rule G2: a declarant is identified by exactly one well-formed TCKN, VKN or passport number."""

import pytest

from hub.domain.identity import identity_problem, tckn_is_valid


@pytest.mark.parametrize("tckn", ["10000000146", "11111111110", "12345678950"])
def test_g2_tckn_with_valid_check_digits_is_accepted(tckn: str) -> None:
    assert tckn_is_valid(tckn)
    assert identity_problem("TCKN", tckn) is None


@pytest.mark.parametrize(
    "tckn",
    ["10000000147", "12345678901", "01234567890", "1000000014", "1000000014a", ""],
)
def test_g2_tckn_failing_its_check_digits_or_shape_is_refused(tckn: str) -> None:
    problem = identity_problem("TCKN", tckn)
    assert problem is not None and "TCKN" in problem


def test_g2_vkn_must_be_ten_digits() -> None:
    assert identity_problem("VKN", "4810023456") is None
    assert "10 digits" in (identity_problem("VKN", "481002345") or "")
    assert "10 digits" in (identity_problem("VKN", "48100234X6") or "")


def test_g2_passport_and_unknown_id_kinds() -> None:
    assert identity_problem("PASSPORT", "C01X00T47") is None
    assert identity_problem("PASSPORT", "c0 1") is not None
    assert "none of" in (identity_problem("EORI", "TR123") or "")
