"""No panic crosses the binding: every public function, driven with hostile arguments, returns
or raises an OmniKpiError with a code — never pyo3's PanicException (a BaseException), never a
TypeError or UnicodeError from the conversion layer, never a crash."""

from __future__ import annotations

import decimal
import inspect
import math
from typing import Any, Callable

import pytest

import omnikpi


def _cyclic() -> list[Any]:
    a: list[Any] = []
    a.append(a)
    return a


def _deep(n: int) -> list[Any]:
    x: list[Any] = []
    for _ in range(n):
        x = [x]
    return x


HOSTILE: list[Any] = [
    None, True, 0, -1, 1.5, math.nan, math.inf, 2**200, -(2**200), "", "x" * 100_000, "\ud800", "1e3", "NaN",
    b"\xff\xfe", bytearray(b"ab"), [], [None], [[]], {}, {"\ud800": 1}, {1: 2}, {"rows": None}, {"rows": [{}]},
    {"journeys": [{"touches": []}]}, _cyclic(), _deep(5000), {"a": {"b": [math.nan]}}, set(), frozenset({1}),
    decimal.Decimal("NaN"), decimal.Decimal("Infinity"), decimal.Decimal("1E+100000"), decimal.Decimal("-0"),
    object(), lambda: 1, complex(1, 2), range(3),
    {"amount": "79228162514264337593543950335", "currency": "EUR",
     "parties": [{"party": "a", "weight": "79228162514264337593543950335"}, {"party": "b", "weight": "1"}]},
    {"channels": [{"channel": "a", "group": "online"}], "currency": "EUR",
     "journeys": [{"touches": [{"channel": "a", "timestamp": 2**63}], "conversions": 1}]},
]


def only_omnikpi_errors(label: str, call: Callable[[], Any]) -> None:
    try:
        call()
    except omnikpi.OmniKpiError as e:
        assert isinstance(e.code, str) and e.code, label
    except BaseException as e:  # noqa: BLE001 - the point is to see anything else
        pytest.fail(f"{label}: raised {type(e).__name__}: {e!s:.200}")


PUBLIC = [getattr(omnikpi, name) for name in omnikpi.__all__ if inspect.isfunction(getattr(omnikpi, name))]


@pytest.mark.parametrize("function", PUBLIC, ids=lambda f: f.__name__)
def test_every_public_function_with_hostile_arguments(function: Callable[..., Any], tmp_path: Any) -> None:
    params = inspect.signature(function).parameters.values()
    required = [p for p in params if p.default is inspect.Parameter.empty and p.kind is not p.VAR_KEYWORD]
    for i, h in enumerate(HOSTILE):
        if function is omnikpi.report and not isinstance(h, str):
            continue  # a path: os.fspath's own TypeError for a non-path is Python's contract, not ours
        args = [h for p in required if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        kwargs = {p.name: h for p in required if p.kind is p.KEYWORD_ONLY}
        only_omnikpi_errors(f"{function.__name__}(hostile {i})", lambda: function(*args, **kwargs))


@pytest.mark.parametrize("kpi", [d["id"] for d in omnikpi.catalog()])
def test_evaluate_every_kpi_with_hostile_input_and_params(kpi: str) -> None:
    for i, h in enumerate(HOSTILE):
        only_omnikpi_errors(f"evaluate({kpi}, hostile {i})", lambda: omnikpi.evaluate(kpi, h))
        if h is None or isinstance(h, dict):
            only_omnikpi_errors(f"evaluate({kpi}, {{}}, hostile {i})", lambda: omnikpi.evaluate(kpi, {}, h))


def test_hostile_kpi_ids_and_languages() -> None:
    for i, h in enumerate(HOSTILE):
        if isinstance(h, str):
            only_omnikpi_errors(f"evaluate(hostile id {i})", lambda: omnikpi.evaluate(h, {}))
            only_omnikpi_errors(f"catalog(lang=hostile {i})", lambda: omnikpi.catalog(lang=h))
