"""Bad input from Python: floats, bools, odd types, and the exception hierarchy."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

import omnikpi
from omnikpi import _omnikpi


def test_every_code_has_a_family_class() -> None:
    from omnikpi.errors import class_for

    for code, family in _omnikpi.error_codes():
        cls = class_for(family)
        assert cls is not omnikpi.OmniKpiError, f"{code} has no family class"
        assert issubclass(cls, omnikpi.OmniKpiError) and issubclass(cls, ValueError)


@pytest.mark.parametrize("amount", [12.5, 12.0, 0.1])
def test_float_money_is_refused_with_the_field(amount: float) -> None:
    with pytest.raises(omnikpi.InputError) as info:
        omnikpi.basket_average([{"channel": "web", "amount": amount}], currency="EUR")  # type: ignore[typeddict-item]
    assert info.value.code == "wrong_type"
    assert info.value.path == "input.orders[0].amount"


@pytest.mark.parametrize("amount", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_floats_are_out_of_range_where_they_stand(amount: float) -> None:
    # spec/README.md, Host values: the conversion refuses them before the KPI reads the field
    with pytest.raises(omnikpi.OmniKpiError) as info:
        omnikpi.basket_average([{"channel": "web", "amount": amount}], currency="EUR")  # type: ignore[typeddict-item]
    assert (info.value.code, info.value.path) == ("value_out_of_range", "input.orders[0].amount")


def test_host_values_follow_the_core_rules() -> None:
    rows = lambda n: [{"channel": "web", "opportunities": n, "conversions": 0}]  # noqa: E731
    for big in (2**64, -(2**63) - 1, 10**40):
        with pytest.raises(omnikpi.OmniKpiError) as info:
            omnikpi.conversion_rate(rows(big))
        assert (info.value.code, info.value.path) == ("value_out_of_range", "input.rows[0].opportunities")
    # an integer beyond 64 bits is not text: it is refused even where text is expected
    with pytest.raises(omnikpi.OmniKpiError) as info:
        omnikpi.evaluate("conversion.rate", {"rows": [{"channel": 2**70, "opportunities": 1, "conversions": 0}]})
    assert (info.value.code, info.value.path) == ("value_out_of_range", "input.rows[0].channel")
    # several unknown keys: the one that sorts first, as in every front end
    with pytest.raises(omnikpi.OmniKpiError) as info:
        omnikpi.evaluate("conversion.rate", {"rows": [{"channel": "w", "opportunities": 1, "conversions": 0, "zz": 1, "1": 2}]})
    assert (info.value.code, info.value.path) == ("unknown_field", "input.rows[0].1")


def test_bool_is_not_a_count() -> None:
    with pytest.raises(omnikpi.InputError) as info:
        omnikpi.conversion_rate([{"channel": "web", "opportunities": True, "conversions": 0}])  # type: ignore[typeddict-item]
    assert (info.value.code, info.value.path) == ("wrong_type", "input.rows[0].opportunities")


def test_bool_is_not_money() -> None:
    with pytest.raises(omnikpi.InputError) as info:
        omnikpi.money_allocate(True, {"a": 1}, currency="EUR")
    assert (info.value.code, info.value.path) == ("wrong_type", "input.amount")


@pytest.mark.parametrize(
    "value,expected",
    [(Decimal("1E+3"), "1000.00"), (Decimal("12.300"), "12.30"), (Decimal("-0"), "0.00"), (7, "7.00"), ("0.5", "0.50")],
)
def test_decimal_inputs_are_exact(value: Any, expected: str) -> None:
    out = omnikpi.money_allocate(value, {"a": 1}, currency="EUR")
    assert format(out["amount"], "f") == expected
    assert isinstance(out["amount"], Decimal)


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("Infinity"), Decimal("1E-30")])
def test_non_finite_or_too_fine_decimals_are_invalid(value: Decimal) -> None:
    with pytest.raises(omnikpi.OmniKpiError) as info:
        omnikpi.money_allocate(value, {"a": 1}, currency="EUR")
    assert info.value.code in {"invalid_decimal", "invalid_money_scale"}
    assert info.value.path == "input.amount"


def test_decimal_beyond_28_digits_is_refused_not_rounded() -> None:
    with pytest.raises(omnikpi.InputError) as info:
        omnikpi.money_allocate(Decimal("0.1234567890123456789012345678901"), {"a": 1}, currency="EUR", minor_units=6)
    assert info.value.code == "invalid_decimal"


def test_unsupported_types_are_named() -> None:
    with pytest.raises(omnikpi.InputError) as info:
        omnikpi.evaluate("conversion.rate", {"rows": {1, 2}})
    assert info.value.code == "wrong_type" and "set" in str(info.value)


def test_kpi_id_must_be_text() -> None:
    with pytest.raises(omnikpi.InputError) as info:
        omnikpi.evaluate(42, {})  # type: ignore[arg-type]
    assert (info.value.code, info.value.path) == ("wrong_type", "kpi")


def test_unknown_kpi_is_a_catalog_error() -> None:
    with pytest.raises(omnikpi.CatalogError) as info:
        omnikpi.evaluate("conversion.rates", {})
    assert info.value.code == "unknown_kpi"


def test_unknown_parameter_through_typed_api() -> None:
    with pytest.raises(omnikpi.CatalogError) as info:
        omnikpi.evaluate("conversion.rate", {"rows": [{"channel": "w", "opportunities": 1, "conversions": 1}]}, {"x": 1})
    assert (info.value.code, info.value.path) == ("unknown_parameter", "params.x")


def test_money_error_family() -> None:
    with pytest.raises(omnikpi.MoneyError):
        omnikpi.basket_average([{"channel": "web", "amount": "1.005"}], currency="EUR")


def test_a_limit_is_not_an_arithmetic_error() -> None:
    journey = {"touches": [{"channel": "web", "timestamp": 0}, {"channel": "web", "timestamp": 1}], "conversions": 1}
    data = {"channels": [{"channel": "web", "group": "online"}], "currency": "EUR", "journeys": [journey]}
    with pytest.raises(omnikpi.LimitError) as info:
        omnikpi.evaluate("attribution.linear", data, {"max_touches": 1})
    assert info.value.code == "limit_exceeded"
    assert not isinstance(info.value, omnikpi.ExactArithmeticError)
    assert omnikpi.errors.class_for("internal") is omnikpi.InternalError


def test_non_string_keys_are_refused() -> None:
    with pytest.raises(omnikpi.InputError) as info:
        omnikpi.evaluate("conversion.rate", {1: []})
    assert info.value.code == "wrong_type"


def test_catalog_lists_every_definition() -> None:
    ids = [d["id"] for d in omnikpi.catalog()]
    assert ids == sorted(ids, key=ids.index) and len(ids) == len(set(ids)) >= 8
    for d in omnikpi.catalog():
        assert d["version"].count(".") == 2 and d["title"]["en"]


def test_catalog_in_french_and_canadian_french() -> None:
    fr = {d["id"]: d for d in omnikpi.catalog(lang="fr")}
    ca = {d["id"]: d for d in omnikpi.catalog(lang="fr-CA")}
    assert fr["conversion.rate"]["title"] == "Taux de conversion"
    assert ca["conversion.rate"]["title"] == fr["conversion.rate"]["title"]
    assert ca["conversion.rate"]["lang"] == "fr-CA"
    assert fr["money.allocate"]["parameters"][0]["description"].startswith("Remplace")
    en = {d["id"]: d for d in omnikpi.catalog(lang="de")}  # no German yet: English
    assert en["conversion.rate"]["title"] == "Conversion rate"


def test_catalog_language_must_be_a_tag() -> None:
    with pytest.raises(omnikpi.CatalogError) as info:
        omnikpi.catalog(lang="french")
    assert (info.value.code, info.value.path) == ("invalid_parameter", "lang")
    with pytest.raises(omnikpi.InputError):
        omnikpi.catalog(lang=3)  # type: ignore[arg-type]


def test_the_size_limit_holds_for_python_values_as_for_json_text() -> None:
    """64 MiB measured as canonical JSON, in every front end: a dict that large is refused at the
    root like its JSON text (an 83 MiB input used to be computed by Python only)."""
    row = {"channel": "web", "opportunities": 1, "conversions": 0}
    rows = [row] * (64 * 1024 * 1024 // len('{"channel":"web","opportunities":1,"conversions":0},') + 10)
    with pytest.raises(omnikpi.OmniKpiError) as info:
        omnikpi.evaluate("conversion.rate", {"rows": rows})
    assert (info.value.code, info.value.path) == ("value_out_of_range", "input")
    # well below it, the same rows are computed
    assert omnikpi.evaluate("conversion.rate", {"rows": rows[:1000]})["overall"]["opportunities"] == 1000


def test_parse_json_reads_as_the_cli_does() -> None:
    assert omnikpi.parse_json("\ufeff[18446744073709551615, 1.5]") == [18446744073709551615, 1.5]
    for text, code, path in [('{"a": [1e400]}', "value_out_of_range", "text.a[0]"),
                             ('{"a": "\\ud800"}', "wrong_type", "text.a"),
                             ('{"a": 1,', "invalid_json", "text")]:
        with pytest.raises(omnikpi.OmniKpiError) as info:
            omnikpi.parse_json(text)
        assert (info.value.code, info.value.path) == (code, path)


def test_numpy_integers_are_integers_and_numpy_floats_floats() -> None:
    """An object with __index__ is an integer, as Python itself defines it (numpy's int64 from a
    DataFrame cell); numpy's float64 is a float and refused as money like any float."""
    import numpy as np

    rate = omnikpi.evaluate("conversion.rate", {"rows": [{"channel": "web", "opportunities": np.int64(8), "conversions": np.uint8(1)}]})
    assert rate["overall"]["rate"] == Decimal("0.125000")
    with pytest.raises(omnikpi.OmniKpiError) as info:
        omnikpi.evaluate("conversion.rate", {"rows": [{"channel": "web", "opportunities": np.int64(-1), "conversions": 0}]})
    assert (info.value.code, info.value.path) == ("negative_count", "input.rows[0].opportunities")
    with pytest.raises(omnikpi.OmniKpiError) as info:
        omnikpi.basket_average([{"channel": "web", "amount": np.float64(12.0)}], currency="EUR")  # type: ignore[typeddict-item]
    assert (info.value.code, info.value.path) == ("wrong_type", "input.orders[0].amount")


def test_an_unknown_model_name_is_the_cores_unknown_kpi_at_model() -> None:
    tax = [{"channel": "web", "group": "online"}]
    journeys = [{"touches": [{"channel": "web", "timestamp": 0}], "conversions": 1}]
    with pytest.raises(omnikpi.CatalogError) as info:
        omnikpi.attribute("lineer", journeys, channels=tax, currency="EUR")
    assert (info.value.code, info.value.path) == ("unknown_kpi", "model")
    assert "linear" in str(info.value)  # the message lists the models there are
    same = [omnikpi.attribute(m, journeys, channels=tax, currency="EUR").kpi for m in ("linear", "attribution.linear")]
    assert same == ["attribution.linear", "attribution.linear"]
