"""Customs offices (gümrük idareleri) the hub knows: whether each is a border or inland office,
and the regional directorate (Gümrük ve Dış Ticaret Bölge Müdürlüğü) it belongs to.

The path rules (E1, I1, T1, R1, X1) depend on the kind of office; the statistics (C4) on the
directorate. This is the list shipped with the hub (a sample of real offices; codes are the hub's
own); the Ministry's full office list plugs in as another `OfficeRegistry`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from hub.domain.model import OfficeKind


@dataclass(frozen=True)
class Office:
    code: str
    name: str
    kind: OfficeKind
    directorate: str
    region: str


_B, _I = OfficeKind.BORDER, OfficeKind.INLAND

_SHIPPED = [
    Office("220100", "Kapıkule Gümrük Müdürlüğü", _B, "Trakya GDTBM", "Marmara"),
    Office("220300", "İpsala Gümrük Müdürlüğü", _B, "Trakya GDTBM", "Marmara"),
    Office("340900", "İstanbul Havalimanı Gümrük Müdürlüğü", _B, "İstanbul GDTBM", "Marmara"),
    Office("342000", "Erenköy Gümrük Müdürlüğü", _I, "İstanbul GDTBM", "Marmara"),
    Office("343300", "Halkalı Gümrük Müdürlüğü", _I, "İstanbul GDTBM", "Marmara"),
    Office("160100", "Bursa Gümrük Müdürlüğü", _I, "Uludağ GDTBM", "Marmara"),
    Office("060100", "Ankara Gümrük Müdürlüğü", _I, "Orta Anadolu GDTBM", "İç Anadolu"),
    Office("350200", "İzmir Adnan Menderes Havalimanı Gümrük Müdürlüğü", _B, "Ege GDTBM", "Ege"),
    Office("350100", "İzmir Gümrük Müdürlüğü", _I, "Ege GDTBM", "Ege"),
    Office("070100", "Antalya Gümrük Müdürlüğü", _B, "Batı Akdeniz GDTBM", "Akdeniz"),
    Office("310100", "Cilvegözü Gümrük Müdürlüğü", _B, "Doğu Akdeniz GDTBM", "Akdeniz"),
    Office("040100", "Gürbulak Gümrük Müdürlüğü", _B, "Doğu Anadolu GDTBM", "Doğu Anadolu"),
]


class OfficeRegistry:
    def __init__(self, offices: list[Office]) -> None:
        self._offices = {o.code: o for o in offices}

    def get(self, code: str | None) -> Office | None:
        return self._offices.get(code or "")

    def __iter__(self) -> Iterator[Office]:
        return iter(self._offices.values())

    @classmethod
    def shipped(cls) -> OfficeRegistry:
        return cls(_SHIPPED)


OFFICES = OfficeRegistry.shipped()
