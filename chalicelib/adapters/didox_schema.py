"""The Didox 002 e-invoice body as a schema, checked before anything is sent.

Written from references/integrations.md § Didox, "002 e-invoice body (page 07)": extra fields are
forbidden ("Лишние поля запрещены") — every model here forbids them; unused objects are ``null``; each
product carries ``CatalogCode`` + ``CatalogName`` (MXIK), ``PackageCode`` + ``PackageName`` (unit),
``Origin``, ``Count`` (≤ 6 decimals), ``Summa``, ``DeliverySum``, ``VatRate``, ``VatSum``,
``DeliverySumWithVat`` (amounts 2 decimals); ``WithoutVat`` only together with ``HasVat: true``; ``Seller``
and ``Buyer`` each need ``VatRegStatus`` and the buyer ``VatRegCode``; dates strictly ``yyyy-MM-dd``.

``problems(body)`` is the runtime check (pydantic, already a runtime dependency); ``json_schema()`` is the
same schema as JSON Schema, which the tests validate built bodies against with ``jsonschema``.
Fields the reference does not name are not sent; which optional fields Didox adds by default stays to be
checked against a live account (see the module docstring of ``adapters.didox``).
"""
from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, ValidationError, model_validator

DATE = r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"  # yyyy-MM-dd, nothing else

Text = Annotated[StrictStr, Field(min_length=1, max_length=1000)]
Tin = Annotated[StrictStr, Field(pattern=r"^\d{9}$|^\d{14}$")]  # STIR (9 digits) or PINFL (14)
Date = Annotated[StrictStr, Field(pattern=DATE)]
Amount = Annotated[Decimal, Field(decimal_places=2, allow_inf_nan=False)]
Count = Annotated[Decimal, Field(gt=0, decimal_places=6, allow_inf_nan=False)]
Rate = Annotated[Decimal, Field(ge=0, lt=100, decimal_places=2, allow_inf_nan=False)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class FacturaDoc(_Strict):
    FacturaNo: Text
    FacturaDate: Date


class ContractDoc(_Strict):
    ContractNo: Text
    ContractDate: Date


class OldFacturaDoc(_Strict):
    OldFacturaId: Annotated[StrictStr, Field(min_length=1)]
    OldFacturaNo: Text
    OldFacturaDate: Date


class Party(_Strict):
    Name: Text
    Account: Annotated[StrictStr, Field(pattern=r"^\d{20}$")]  # r/s: 20 digits
    BankId: Annotated[StrictStr, Field(pattern=r"^\d{5}$")]     # MFO: 5 digits
    Address: Text
    Director: Text
    Accountant: StrictStr
    VatRegCode: StrictStr
    VatRegStatus: StrictInt


class Seller(Party):
    VatRegCode: Annotated[StrictStr, Field(min_length=1)]


class Buyer(Party):
    pass


class Product(_Strict):
    OrdNo: Annotated[StrictInt, Field(ge=1)]
    Name: Text
    CatalogCode: Annotated[StrictStr, Field(pattern=r"^\d{5,17}$")]  # MXIK / IKPU
    CatalogName: Text
    PackageCode: Annotated[StrictStr, Field(min_length=1, max_length=50)]
    PackageName: Text
    Origin: Annotated[StrictInt, Field(ge=1)]
    Count: Count
    Summa: Amount
    DeliverySum: Amount
    VatRate: Rate
    VatSum: Amount
    DeliverySumWithVat: Amount
    WithoutVat: StrictBool

    @model_validator(mode="after")
    def _reconciles(self) -> "Product":
        if self.DeliverySum + self.VatSum != self.DeliverySumWithVat:
            raise ValueError("DeliverySumWithVat must be DeliverySum + VatSum")
        if self.WithoutVat and (self.VatRate != 0 or self.VatSum != 0):
            raise ValueError("a product WithoutVat carries no VAT rate or sum")
        return self


class ProductList(_Strict):
    Tin: Tin
    HasVat: StrictBool
    Products: Annotated[list[Product], Field(min_length=1)]

    @model_validator(mode="after")
    def _without_vat_needs_has_vat(self) -> "ProductList":
        if not self.HasVat and any(p.WithoutVat for p in self.Products):
            raise ValueError("WithoutVat is only allowed together with HasVat: true")
        if not self.HasVat and any(p.VatSum != 0 for p in self.Products):
            raise ValueError("products carry VAT while HasVat is false")
        return self


class Factura002(_Strict):
    Version: Literal[1]
    FacturaType: Literal[0, 1]
    WaybillLocalIds: Annotated[list[Any], Field(max_length=0)]
    HasMarking: Literal[False]
    HasRent: Literal[False]
    ContractId: None
    LotId: None
    FacturaDoc: FacturaDoc
    ContractDoc: ContractDoc
    OldFacturaDoc: OldFacturaDoc | None
    FacturaRentDoc: None
    ItemReleasedDoc: None
    FacturaInvestmentObjectDoc: None
    FacturaEmpowermentDoc: None
    ForeignCompany: None
    SellerTin: Tin
    Seller: Seller
    BuyerTin: Tin
    Buyer: Buyer
    ProductList: ProductList

    @model_validator(mode="after")
    def _consistent(self) -> "Factura002":
        if self.ProductList.Tin != self.SellerTin:
            raise ValueError("ProductList.Tin must be the SellerTin")
        if (self.FacturaType == 1) != (self.OldFacturaDoc is not None):
            raise ValueError("an additional e-invoice (FacturaType 1) and only it carries OldFacturaDoc")
        return self


def problems(body: Any) -> list[str]:
    """Every way ``body`` breaks the 002 schema, as ``Path.To.Field: what is wrong`` (empty: valid)."""
    try:
        Factura002.model_validate(body)
    except ValidationError as exc:
        found = []
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"]) or "body"
            found.append(f"{where}: {error['msg']}")
        return found
    return []


def json_schema() -> dict[str, Any]:
    return Factura002.model_json_schema()
