"""The omnikpi exception hierarchy.

Every error raised by omnikpi is an :class:`OmniKpiError` (a ``ValueError``) with a stable
``code`` (listed in ``spec/errors.json``), the ``path`` of the offending field or row, and a
message. Subclasses group codes by family, so callers can catch broadly or narrowly:

>>> import omnikpi
>>> try:
...     omnikpi.evaluate("conversion.rate", {"rows": []})
... except omnikpi.InputError as e:
...     (e.code, e.path)
('empty_input', 'input.rows')
"""

from __future__ import annotations

from typing import Optional


class OmniKpiError(ValueError):
    """Any omnikpi error: ``code`` is stable, ``path`` names the field or row, when known."""

    code: str
    path: Optional[str]

    def __init__(self, message: str, code: str, path: Optional[str] = None) -> None:
        super().__init__(message)
        self.code = code
        self.path = path

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, path={self.path!r}, message={str(self)!r})"


class CatalogError(OmniKpiError):
    """Unknown KPI id, unknown parameter, or a parameter outside what the definition allows."""


class InputError(OmniKpiError):
    """Input shape and types: missing or unknown fields, wrong types, bad decimals, empty lists."""


class InvalidValueError(OmniKpiError):
    """A well-formed value the KPI refuses: negative counts, unknown channels, bad weights."""


class MoneyError(OmniKpiError):
    """Currency problems: unknown code, mixed currencies, more decimals than the minor unit."""


class ExactArithmeticError(OmniKpiError):
    """A result beyond what exact decimal arithmetic can hold (28 significant digits)."""


class LimitError(OmniKpiError):
    """A declared resource limit is exceeded (channels, Markov states, touches per journey, input
    size): the input is valid but larger than the KPI accepts; the message names the parameter
    that raises the limit where there is one."""


class InternalError(OmniKpiError):
    """A state the code rules out was reached: a bug in omnikpi, reported instead of a crash.
    Please report it with the input that caused it."""


class DatasetError(OmniKpiError):
    """A dataset folder or CSV table that cannot be read."""


class PolicyError(OmniKpiError):
    """An incentive policy that cannot be applied: unknown parties, shares over 100%, overlapping rules."""


_FAMILIES = {
    "catalog": CatalogError,
    "input": InputError,
    "value": InvalidValueError,
    "money": MoneyError,
    "arithmetic": ExactArithmeticError,
    "limit": LimitError,
    "internal": InternalError,
    "dataset": DatasetError,
    "policy": PolicyError,
}


def class_for(family: str) -> type[OmniKpiError]:
    """The exception class of an error family (used by the native module)."""
    return _FAMILIES.get(family, OmniKpiError)
