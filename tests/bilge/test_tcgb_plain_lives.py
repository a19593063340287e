"""The generator's plain lives (A2): the TCGBs of ``tcgb_lives`` without a model built, what the tracking
benchmark stores a million of; BİLGE's six-digit numbers never overflow (issue 14, part 3)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from adapters.bilge.tcgb_life import DEFAULT_START, default_firms, plain_tcgb_lives, tcgb_lives


def test_a2_plain_lives_are_the_tcgbs_of_tcgb_lives() -> None:
    firms, span = default_firms(6, 500), timedelta(days=30)
    plains = plain_tcgb_lives(300, seed=6, span=span, firms=firms, first_sequence=40)
    for plain, life in zip(plains, tcgb_lives(300, seed=6, span=span, firms=firms, first_sequence=40), strict=True):
        head = life[0]
        assert (plain.number, plain.direction, plain.regime, plain.office) == (
            head.tcgb_number, head.direction, head.regime, head.customs_office,
        )  # fmt: skip
        assert (plain.consignee, plain.consignor) == (head.consignee_vkn, head.consignor_vkn)
        assert plain.stages == tuple((s.stage, s.reached_at, s.office) for s in life)
        assert plain.channel == life[1].channel


def test_a2_a_full_series_of_tcgb_numbers_is_refused_not_given_a_seventh_digit() -> None:
    with pytest.raises(ValueError, match=r"series .* is full"):
        list(plain_tcgb_lives(60, first_sequence=999_999))
    last = [life.number for life in plain_tcgb_lives(1, first_sequence=999_999, start=DEFAULT_START)]
    assert len(last[0]) == 16 and last[0].endswith("999999")
