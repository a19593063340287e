"""Carnet data as it travels between TOBB, the adapters and the core.

An ATA karnesi: number, holder (hamil), issuing country and chamber, validity and its goods list
(eşya listesi) of numbered lines.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field


class GoodsListLine(BaseModel):
    """One numbered line of the carnet's goods list (eşya listesi)."""

    model_config = ConfigDict(frozen=True)

    line_no: int = Field(ge=1, description="Line number on the goods list (sıra no).")
    description: str = Field(min_length=1, description="Commercial description of the goods (ticari tanım).")
    quantity: int = Field(ge=1, description="Number of pieces on the goods list (adet).")
    weight_kg: Decimal = Field(ge=0, description="Weight or volume in kilograms.")
    value: Decimal = Field(ge=0, description="Value of the line.")
    currency: str = Field(min_length=3, max_length=3, description="ISO 4217 currency of the value.")
    origin_country: str = Field(min_length=2, max_length=2, description="Country of origin, ISO 3166 alpha-2.")


class CarnetData(BaseModel):
    """An ATA carnet as its issuer knows it."""

    model_config = ConfigDict(frozen=True)

    carnet_number: str = Field(min_length=1, max_length=40, description="Carnet number (karne no).")
    holder_name: str = Field(min_length=1, description="Holder of the carnet (karne hamili).")
    holder_id: str | None = Field(default=None, description="Holder's VKN/TCKN where the issuer knows it.")
    issuing_country: str = Field(min_length=2, max_length=2, description="Issuing country, ISO alpha-2.")
    issuing_chamber: str = Field(min_length=1, description="Issuing and guaranteeing association.")
    issued_on: date
    valid_until: date = Field(description="Last day the carnet may be used (geçerlilik tarihi).")
    goods: tuple[GoodsListLine, ...] = Field(min_length=1)
