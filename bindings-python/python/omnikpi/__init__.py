"""omnikpi: one canonical set of omnichannel KPIs, computed exactly, identical in every language.

Every KPI is defined in the project's ``spec/`` and computed by the Rust core; this package
converts arguments and results only. Money and rates are :class:`decimal.Decimal`; floats are
refused (they silently lose cents). Errors are :class:`OmniKpiError` with a stable ``.code``.
Results are frozen objects (:mod:`omnikpi.results`) with ``to_arrow()``, ``to_polars()``,
``to_pandas()``, an HTML view in notebooks and ``plot()``; :func:`evaluate` returns plain data.
Every record input (rows, events, orders, journeys in long format...) is a list of dicts or an
Arrow-speaking table (pyarrow, polars, pandas >= 2.2, DuckDB), read in Rust.

>>> import omnikpi
>>> from decimal import Decimal
>>> r = omnikpi.conversion_rate([{"channel": "web", "opportunities": 200, "conversions": 25}])
>>> r.overall.rate
Decimal('0.125000')
>>> [p.amount for p in omnikpi.money_allocate(Decimal("100.00"), {"web": 1, "store": 2}, currency="EUR")["parts"]]
[Decimal('33.33'), Decimal('66.67')]
"""

from __future__ import annotations

import os
from typing import Any, Mapping, Optional, Sequence, Union, overload

from . import _omnikpi
from .progress import Progress, tracked
from .results import (
    Allocation,
    AttachRate,
    Attribution,
    BasketAverage,
    ContributionGrowth,
    ContributionRoas,
    ContributionShare,
    ConversionRate,
    CrossChannel,
    Funnel,
    IncentiveSplit,
    ModelComparison,
    MultichannelUplift,
    PayoutCheck,
    Record,
    Report,
    Result,
    Windowed,
    result_for,
)
from .errors import (
    CatalogError,
    DatasetError,
    PolicyError,
    ExactArithmeticError,
    InputError,
    InternalError,
    InvalidValueError,
    LimitError,
    MoneyError,
    OmniKpiError,
)
from .kpi_types import (
    AllocationResult,
    ArrowTable,
    Records,
    AttachRateResult,
    BaseEvent,
    BasketAverageResult,
    Channel,
    ChannelCount,
    ChannelEvent,
    ConversionEvent,
    ConversionRateResult,
    CrossChannelResult,
    CustomerOrder,
    DecimalLike,
    FunnelEvent,
    FunnelResult,
    Order,
    Party,
    Pickup,
    UpliftResult,
    WindowedResult,
)

__version__: str = _omnikpi.__version__

__all__ = [
    "ArrowTable",
    "Records",
    "Allocation",
    "AttachRate",
    "Attribution",
    "BasketAverage",
    "ContributionGrowth",
    "ContributionRoas",
    "ContributionShare",
    "ConversionRate",
    "CrossChannel",
    "Funnel",
    "IncentiveSplit",
    "ModelComparison",
    "MultichannelUplift",
    "PayoutCheck",
    "Record",
    "Report",
    "Result",
    "Windowed",
    "CatalogError",
    "DatasetError",
    "PolicyError",
    "ExactArithmeticError",
    "InternalError",
    "LimitError",
    "InputError",
    "InvalidValueError",
    "MoneyError",
    "OmniKpiError",
    "basket_average",
    "basket_multichannel_uplift",
    "catalog",
    "conversion_cross_channel",
    "conversion_funnel",
    "conversion_rate",
    "conversion_windowed",
    "evaluate",
    "parse_json",
    "attribute",
    "contribution_growth",
    "split_incentives",
    "check_payouts",
    "contribution_roas",
    "contribution_share",
    "money_allocate",
    "pickup_attach_rate",
    "report",
]


def evaluate(kpi_id: str, input: Any, params: Optional[Mapping[str, Any]] = None) -> Any:
    """Compute KPI ``kpi_id`` on ``input`` (the shape of its conformance vectors).

    ``params`` holds the KPI's parameters; omitted ones take the defaults of the definition.

    >>> evaluate("money.allocate", {"amount": "0.05", "currency": "EUR",
    ...          "parties": [{"party": "web", "weight": 30}, {"party": "store", "weight": 70}]})["parts"][1]["amount"]
    Decimal('0.04')
    """
    return _omnikpi.evaluate(kpi_id, input, params)


def parse_json(text: str, what: Optional[str] = None) -> Any:
    """Read JSON text by omnikpi's rules, exactly as the CLI reads its files: a key given twice,
    a lone surrogate, an integer beyond 64 bits, a non-finite number or nesting deeper than 128
    levels is an error located under ``what`` (default ``"text"``; ``json.loads`` would keep the
    last duplicate).

    >>> parse_json('{"amount": "12.30", "n": 18446744073709551615}')
    {'amount': '12.30', 'n': 18446744073709551615}
    >>> parse_json('{"a": 1, "a": 2}', "policy")
    Traceback (most recent call last):
    ...
    omnikpi.errors.InputError: `policy.a` appears twice in this object
    """
    return _omnikpi.parse_json(text, what)


def catalog(lang: Optional[str] = None) -> list[dict[str, Any]]:
    """Every KPI definition (id, version, title, formula, inputs, parameters, outputs, edge cases).

    Without ``lang`` the texts are dicts keyed by language, as in the spec; with ``lang``
    (``"en"``, ``"fr"``, ``"fr-CA"``...) every text is a string in that language, falling back
    to the base language, then to English.

    >>> "conversion.rate" in [d["id"] for d in catalog()]
    True
    >>> catalog(lang="fr")[0]["title"]
    'Taux de conversion'
    """
    return _omnikpi.catalog(lang)


def report(path: Union[str, "os.PathLike[str]"]) -> Report:
    """Compute every KPI on a dataset folder (``dataset.json`` plus CSV tables, see examples/retail).

    Returns a :class:`Report`: ``dataset`` and ``sections`` (``kpi``, ``version``, ``title``,
    ``result``), the same numbers as ``omnikpi report <dir>`` on the command line; in a notebook
    it shows every section as tables.
    """
    files = {}
    for name in _omnikpi.dataset_files():
        full = os.path.join(path, name)
        if os.path.exists(full):
            with open(full, encoding="utf-8") as fh:
                files[name] = fh.read()
    return Report(_omnikpi.report_files(files))


def _params(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


_VERSIONS: dict[str, str] = {}


def _version(kpi_id: str) -> str:
    if not _VERSIONS:
        _VERSIONS.update((d["id"], d["version"]) for d in _omnikpi.catalog(None))
    return _VERSIONS[kpi_id]


def typed_result(kpi_id: str, data: Mapping[str, Any]) -> Result:
    """Plain result data of ``kpi_id`` in its result class, with the catalogue's version."""
    return result_for(kpi_id, _version(kpi_id), data)


def _result(kpi_id: str, input: Any, params: Optional[Mapping[str, Any]] = None) -> Any:
    """``evaluate`` wrapped in the result class of the KPI."""
    return typed_result(kpi_id, _omnikpi.evaluate(kpi_id, input, params))


def attribution_results(
    model: Union[str, Sequence[str]], short: Sequence[str], results: Sequence[Mapping[str, Any]]
) -> Union[Attribution, ModelComparison]:
    """One model's :class:`Attribution`, or a :class:`ModelComparison` when ``model`` named
    several (shared with :mod:`omnikpi.spark`)."""
    typed = [typed_result(f"attribution.{m}", r) for m, r in zip(short, results)]
    if isinstance(model, str):
        return typed[0]  # type: ignore[return-value]  # result_for gives Attribution for attribution ids
    return ModelComparison(dict(zip(short, typed)))  # type: ignore[arg-type]


def conversion_rate(rows: Records[ChannelCount], *, denominator: Optional[str] = None) -> ConversionRate:
    """Conversions / opportunities, overall and per channel (KPI ``conversion.rate``).

    ``denominator`` names what the opportunities count: journeys (default), sessions, visitors, leads.

    >>> conversion_rate([{"channel": "store", "opportunities": 0, "conversions": 0}]).overall
    Record(conversions=0, opportunities=0, rate=None, reason='zero_denominator')
    """
    return _result("conversion.rate", {"rows": _records(rows, "input.rows")}, _params(denominator=denominator))  # type: ignore[no-any-return]


def conversion_funnel(
    steps: Sequence[str], events: Records[FunnelEvent], *, window_seconds: Optional[int] = None
) -> Funnel:
    """Entities reaching each step of an ordered funnel (KPI ``conversion.funnel``).

    >>> f = conversion_funnel(["visit", "buy"], [{"entity": "a", "event": "visit", "timestamp": 0},
    ...                                          {"entity": "a", "event": "buy", "timestamp": 60}])
    >>> f["steps"][1]["from_previous"]
    Decimal('1.000000')
    """
    return _result(  # type: ignore[no-any-return]
        "conversion.funnel", {"steps": steps, "events": _records(events, "input.events")}, _params(window_seconds=window_seconds)
    )


def conversion_windowed(
    base_events: Records[BaseEvent],
    conversion_events: Records[ConversionEvent],
    *,
    window_seconds: Optional[int] = None,
    grain: Optional[str] = None,
) -> Windowed:
    """Conversions linked to the closest earlier base event within a window, as dbt MetricFlow
    computes conversion metrics (KPI ``conversion.windowed``).

    >>> w = conversion_windowed([{"entity": "bob", "timestamp": 0, "group": "web"}],
    ...                         [{"entity": "bob", "timestamp": 30}], window_seconds=60)
    >>> w["overall"]["rate"]
    Decimal('1.000000')
    """
    return _result(  # type: ignore[no-any-return]
        "conversion.windowed",
        {"base_events": _records(base_events, "input.base_events"),
         "conversion_events": _records(conversion_events, "input.conversion_events")},
        _params(window_seconds=window_seconds, grain=grain),
    )


def conversion_cross_channel(
    channels: Records[Channel],
    touches: Records[ChannelEvent],
    conversions: Records[ChannelEvent],
    *,
    lookback_seconds: Optional[int] = None,
) -> CrossChannel:
    """Offline conversions preceded by an online touch within the lookback (ROPO), and the reverse
    (KPI ``conversion.cross_channel``; default lookback 7 days).

    >>> tax = [{"channel": "web", "group": "online"}, {"channel": "store", "group": "offline"}]
    >>> r = conversion_cross_channel(tax, [{"customer": "a", "channel": "web", "timestamp": 0}],
    ...                              [{"customer": "a", "channel": "store", "timestamp": 3600}])
    >>> r["online_to_offline"]["rate"]
    Decimal('1.000000')
    """
    return _result(  # type: ignore[no-any-return]
        "conversion.cross_channel",
        {"channels": _records(channels, "input.channels"), "touches": _records(touches, "input.touches"),
         "conversions": _records(conversions, "input.conversions")},
        _params(lookback_seconds=lookback_seconds),
    )


def basket_average(
    orders: Records[Order], *, currency: str, minor_units: Optional[int] = None
) -> BasketAverage:
    """Average order value, overall and per channel, exact to the minor unit (KPI ``basket.average``).

    >>> from decimal import Decimal
    >>> basket_average([{"channel": "web", "amount": Decimal("10.00")},
    ...                 {"channel": "web", "amount": "20.01"}], currency="EUR")["overall"]["average"]
    Decimal('15.00')
    """
    return _result(  # type: ignore[no-any-return]
        "basket.average", {"currency": currency, "orders": _records(orders, "input.orders")}, _params(minor_units=minor_units)
    )


def basket_multichannel_uplift(
    orders: Records[CustomerOrder],
    *,
    currency: str,
    channels: Records[Channel],
    reference: Optional[str] = None,
    minor_units: Optional[int] = None,
) -> MultichannelUplift:
    """How much larger the average basket of customers buying online and offline is than the
    reference segment's (KPI ``basket.multichannel_uplift``; reference ``offline_only`` by default).

    >>> tax = [{"channel": "web", "group": "online"}, {"channel": "store", "group": "offline"}]
    >>> orders = [{"customer": "a", "channel": "web", "amount": "60"}, {"customer": "a", "channel": "store", "amount": "60"},
    ...           {"customer": "b", "channel": "store", "amount": "50"}]
    >>> basket_multichannel_uplift(orders, currency="EUR", channels=tax)["uplift"]
    Decimal('0.200000')
    """
    return _result(  # type: ignore[no-any-return]
        "basket.multichannel_uplift",
        {"currency": currency, "channels": _records(channels, "input.channels"), "orders": _records(orders, "input.orders")},
        _params(reference=reference, minor_units=minor_units),
    )


def pickup_attach_rate(
    pickups: Records[Pickup], *, currency: str, minor_units: Optional[int] = None
) -> AttachRate:
    """Share of click-and-collect pickups with an extra purchase in store (KPI ``pickup.attach_rate``).

    >>> pickup_attach_rate([{"pickup_id": "1", "store": "lyon", "extra_amount": "12.50"},
    ...                     {"pickup_id": "2", "store": "lyon", "extra_amount": "0"}], currency="EUR")["overall"]["rate"]
    Decimal('0.500000')
    """
    return _result(  # type: ignore[no-any-return]
        "pickup.attach_rate", {"currency": currency, "pickups": _records(pickups, "input.pickups")}, _params(minor_units=minor_units)
    )


def money_allocate(
    amount: DecimalLike,
    parties: Union[Mapping[str, DecimalLike], Sequence[Party]],
    *,
    currency: str,
    minor_units: Optional[int] = None,
) -> Allocation:
    """Split ``amount`` between parties by weight, in minor units, summing exactly to the amount
    (largest remainder; ties to the larger weight, then the earlier party; refunds mirror sales).

    ``parties`` is ``{party: weight}`` (in order) or a list of ``{"party", "weight"}``.

    >>> from decimal import Decimal
    >>> [p["amount"] for p in money_allocate(Decimal("-1.00"), {"a": 2, "b": 3, "c": 1}, currency="USD")["parts"]]
    [Decimal('-0.33'), Decimal('-0.50'), Decimal('-0.17')]
    """
    if isinstance(parties, Mapping):
        party_list: Any = [{"party": k, "weight": v} for k, v in parties.items()]
    else:
        party_list = parties
    return _result(  # type: ignore[no-any-return]
        "money.allocate",
        {"amount": amount, "currency": currency, "parties": party_list},
        _params(minor_units=minor_units),
    )


ATTRIBUTION_MODELS = (
    "first_touch", "last_touch", "last_non_direct", "linear", "time_decay", "position_based",
    "w_shaped", "markov", "shapley", "shapley.ordered", "shapley.rate",
)
"""Short names of the attribution models (KPI ids without the ``attribution.`` prefix)."""


def contribution_share(
    journeys: Sequence[Mapping[str, Any]], *, channels: Records[Channel], currency: str,
    model: Optional[str] = None, lookback_seconds: Optional[int] = None,
) -> ContributionShare:
    """Each channel's share of the attributed value under ``model`` (KPI ``contribution.share``;
    linear by default). Shares sum exactly to 1.

    >>> tax = [{"channel": "web", "group": "online"}, {"channel": "store", "group": "offline"}]
    >>> j = [{"touches": [{"channel": "web", "timestamp": 0}, {"channel": "store", "timestamp": 60}],
    ...       "conversions": 1, "value": "90.00"}]
    >>> [c["share"] for c in contribution_share(j, channels=tax, currency="EUR", model="last_touch")["channels"]]
    [Decimal('0.000000'), Decimal('1.000000')]
    """
    return _result(  # type: ignore[no-any-return]
        "contribution.share", {"channels": _records(channels, "input.channels"), "currency": currency, "journeys": journeys},
        _params(model=model, lookback_seconds=lookback_seconds),
    )


def contribution_roas(
    journeys: Sequence[Mapping[str, Any]], costs: Records[Mapping[str, Any]], *, channels: Records[Channel],
    currency: str, model: Optional[str] = None, lookback_seconds: Optional[int] = None,
) -> ContributionRoas:
    """ROAS (attributed value / cost) and CPA (cost / attributed conversions) per channel and overall
    (KPI ``contribution.roas``); ``costs`` is ``[{"channel", "cost"}]``."""
    return _result(  # type: ignore[no-any-return]
        "contribution.roas", {"channels": _records(channels, "input.channels"), "currency": currency, "journeys": journeys,
                               "costs": _records(costs, "input.costs")},
        _params(model=model, lookback_seconds=lookback_seconds),
    )


def contribution_growth(
    channels: Records[Mapping[str, Any]], *, currency: str, minor_units: Optional[int] = None
) -> ContributionGrowth:
    """Each channel's part in the change of the total between two periods (KPI
    ``contribution.growth``); ``channels`` is ``[{"channel", "previous", "current"}]``.

    >>> g = contribution_growth([{"channel": "store", "previous": "1000", "current": "990"},
    ...                          {"channel": "web", "previous": "200", "current": "220"}], currency="EUR")
    >>> g["total"]["growth"], [c["contribution"] for c in g["channels"]]
    (Decimal('0.008333'), [Decimal('-0.008333'), Decimal('0.016667')])
    """
    return _result(  # type: ignore[no-any-return]
        "contribution.growth", {"currency": currency, "channels": _records(channels, "input.channels")}, _params(minor_units=minor_units)
    )


PathLike = Union[str, "os.PathLike[str]"]


def _policy(policy: Union[Mapping[str, Any], PathLike]) -> Any:
    """A policy given as a dict, or as the path of its JSON file."""
    if isinstance(policy, (str, os.PathLike)):
        try:
            with open(policy, encoding="utf-8") as fh:
                text = fh.read()
        except (OSError, ValueError) as e:  # missing file, bad name, bad encoding
            raise DatasetError(f"cannot read the policy file `{policy!s:.200}`: {e}", "invalid_dataset", "policy") from e
        # the core's JSON reader, as the CLI's: a duplicate key is an error, not the last one kept
        return _omnikpi.parse_json(text, "policy")
    return policy


def _records(rows: Any, name: str) -> Any:
    """A list of dicts, or the rows of an Arrow-speaking table (pandas, polars, pyarrow, DuckDB)
    read in Rust without a Python loop; decimal128 columns stay exact, timestamp columns become
    Unix seconds, float columns are refused by name. Every record input of the typed functions
    goes through here."""
    if hasattr(rows, "__arrow_c_stream__"):
        return _omnikpi.records_from_table(rows, name)
    return rows


def _incentive_input(policy: Any, sales: Any, touches: Any) -> dict[str, Any]:
    data = {"policy": _policy(policy), "sales": _records(sales, "sales")}
    if touches is not None:
        data["touches"] = _records(touches, "touches")
    return data


def split_incentives(
    policy: Union[Mapping[str, Any], PathLike],
    sales: Any,
    *,
    touches: Any = None,
) -> IncentiveSplit:
    """The canonical incentive payouts of ``sales`` under ``policy`` (KPI ``incentives.split``).

    ``policy`` is a dict or the path of a policy JSON file (format ``omnikpi.incentive_policy/1``);
    ``sales`` and ``touches`` are lists of dicts or DataFrames (pandas, polars, pyarrow, DuckDB).
    Returns ``lines`` (per sale and party: amount, rule, explanation), ``periods`` (earned,
    accelerator, limit, bonus, payable per party), ``parties``, ``total``, ``unpaid``, ``rows``.

    >>> policy = {"format": "omnikpi.incentive_policy/1", "id": "p", "version": "1", "currency": "EUR",
    ...           "parties": [{"id": "web", "kind": "channel"}, {"id": "lille", "kind": "store"}],
    ...           "rules": [{"id": "cc", "when": {"click_and_collect": True},
    ...                      "shares": [{"party": "web", "percent": "5"},
    ...                                 {"party_from": "fulfilment_channel", "percent": "3"}]}]}
    >>> sales = [{"sale_id": "o1", "timestamp": 0, "period": "2026-10", "origin_channel": "web",
    ...           "fulfilment_channel": "lille", "click_and_collect": True, "amount": "89.19"}]
    >>> [(l["party"], l["amount"]) for l in split_incentives(policy, sales)["lines"]]
    [('web', Decimal('4.46')), ('lille', Decimal('2.68'))]
    """
    return _result("incentives.split", _incentive_input(policy, sales, touches))  # type: ignore[no-any-return]


def check_payouts(
    policy: Union[Mapping[str, Any], PathLike],
    sales: Any,
    payouts: Any,
    *,
    touches: Any = None,
) -> PayoutCheck:
    """Compare ``payouts`` computed elsewhere with the canonical split (KPI ``incentives.check``).

    ``payouts`` rows name ``sale_id`` (or ``period`` and ``rule`` for a period adjustment),
    ``party`` and ``amount``; a split's own ``lines`` read back match exactly. Returns
    ``differences`` (sale_id, period, party, rule, claimed, canonical, difference), ``compared``,
    ``matching`` and both totals.

    >>> policy = {"format": "omnikpi.incentive_policy/1", "id": "p", "version": "1", "currency": "EUR",
    ...           "parties": [{"id": "web", "kind": "channel"}],
    ...           "rules": [{"id": "web_sales", "shares": [{"party": "web", "percent": "5"}]}]}
    >>> sales = [{"sale_id": "o1", "timestamp": 0, "period": "2026-10", "origin_channel": "web",
    ...           "fulfilment_channel": "delivery", "amount": "10.00"}]
    >>> check = check_payouts(policy, sales, [{"sale_id": "o1", "party": "web", "amount": "0.60"}])
    >>> [(d["claimed"], d["canonical"]) for d in check["differences"]]
    [(Decimal('0.60'), Decimal('0.50'))]
    """
    data = _incentive_input(policy, sales, touches)
    data["payouts"] = _records(payouts, "payouts")
    return _result("incentives.check", data)  # type: ignore[no-any-return]


DEFAULT_COLUMNS = {
    "journey_id": "journey_id",
    "timestamp": "timestamp",
    "channel": "channel",
    "conversions": "conversions",
    "value": "value",
    "conversion_timestamp": "conversion_timestamp",
}
"""Column names read from a table by :func:`attribute`; override any of them with ``columns=``."""


@overload
def attribute(
    model: str, journeys: Any, *, channels: Records[Channel], currency: str,
    columns: Optional[Mapping[str, str]] = None, model_params: Optional[Mapping[str, Mapping[str, Any]]] = None,
    progress: Progress = None, **params: Any,
) -> Attribution: ...
@overload
def attribute(
    model: Union[list[str], tuple[str, ...]], journeys: Any, *, channels: Records[Channel], currency: str,
    columns: Optional[Mapping[str, str]] = None, model_params: Optional[Mapping[str, Mapping[str, Any]]] = None,
    progress: Progress = None, **params: Any,
) -> ModelComparison: ...
def attribute(
    model: Union[str, list[str], tuple[str, ...]],
    journeys: Any,
    *,
    channels: Records[Channel],
    currency: str,
    columns: Optional[Mapping[str, str]] = None,
    model_params: Optional[Mapping[str, Mapping[str, Any]]] = None,
    progress: Progress = None,
    **params: Any,
) -> Union[Attribution, ModelComparison]:
    """Multi-touch attribution (KPIs ``attribution.<model>``).

    ``journeys`` is either a list of ``{"touches": [{"channel", "timestamp"}...], "conversions",
    "value"?, "conversion_timestamp"?}`` or any Arrow-speaking table — pyarrow, pandas (>= 2.2),
    polars, DuckDB results — in long format, one row per touch, read in Rust through the Arrow
    PyCapsule interface (no Python loop over rows). Table columns default to
    :data:`DEFAULT_COLUMNS`; ``value`` must be decimal or text (a float column is refused).

    ``model`` is one short name (``"markov"``, giving an :class:`Attribution`) or a list of them
    (``["linear", "markov"]``, computed in one pass, giving a :class:`ModelComparison`).
    ``params`` go to a single model; ``model_params`` maps model names to parameters when there
    are several. Attributed conversions (6 places) and values (minor unit) sum exactly to the
    totals. ``progress`` (tables only): ``True`` for a tqdm bar, or a callable
    ``(rows_read, total_rows)``, see :mod:`omnikpi.progress`.

    >>> tax = [{"channel": "web", "group": "online"}, {"channel": "store", "group": "offline"}]
    >>> j = [{"touches": [{"channel": "web", "timestamp": 0}, {"channel": "store", "timestamp": 60}],
    ...       "conversions": 1, "value": "90.00"}]
    >>> [c.value for c in attribute("linear", j, channels=tax, currency="EUR").channels]
    [Decimal('45.00'), Decimal('45.00')]
    >>> attribute(["first_touch", "last_touch"], j, channels=tax, currency="EUR").to_arrow().column("value").to_pylist()
    [Decimal('90.00'), Decimal('0.00'), Decimal('0.00'), Decimal('90.00')]
    """
    short, per_model, lookback = model_specs(model, model_params, params)
    # Channels first: a DuckDB connection serves one open result at a time.
    taxonomy = _records(channels, "channels")
    if hasattr(journeys, "__arrow_c_stream__"):
        results = _omnikpi.attribute_table(
            short, tracked(journeys, progress), taxonomy, currency, column_names(columns),
            without_lookback(per_model), lookback,
        )
    else:
        if progress not in (None, False):
            raise TypeError("`progress` follows Arrow tables; a list of journeys is read at once")
        results = [
            _omnikpi.evaluate(f"attribution.{m}", {"channels": taxonomy, "currency": currency, "journeys": journeys},
                              per_model.get(m) or None)
            for m in short
        ]
    return attribution_results(model, short, results)


def model_specs(
    model: Any, model_params: Optional[Mapping[str, Mapping[str, Any]]], params: Mapping[str, Any]
) -> tuple[list[str], dict[str, dict[str, Any]], Optional[int]]:
    """The short model names, each model's parameters and the common lookback window of an
    :func:`attribute` call (shared with :mod:`omnikpi.spark`)."""
    if isinstance(model, str):
        names = [model]
    elif isinstance(model, (list, tuple)) and model and all(isinstance(m, str) for m in model):
        names = list(model)
    else:
        raise InputError("`model` must be a model name such as \"linear\" or a non-empty list of them", "wrong_type", "model")
    short = [n.removeprefix("attribution.") for n in names]
    per_model: dict[str, dict[str, Any]] = {m: dict(p) for m, p in (model_params or {}).items()}
    # Keyword parameters go to the single model; with several models only the lookback window,
    # common to all, may be given that way.
    lookback = params.get("lookback_seconds")
    for m in short if not isinstance(model, str) else short[:1]:
        extra = params if isinstance(model, str) else {"lookback_seconds": lookback} if lookback else {}
        per_model[m] = {**per_model.get(m, {}), **extra}
    if not isinstance(model, str) and set(params) - {"lookback_seconds"}:
        raise TypeError("with several models, give their parameters as model_params={name: {...}}")
    return short, per_model, lookback


def without_lookback(per_model: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Model parameters without ``lookback_seconds``, which the table path takes once for all."""
    return {m: {k: v for k, v in p.items() if k != "lookback_seconds"} for m, p in per_model.items()}


def column_roles(defaults: Mapping[str, str], columns: Optional[Mapping[str, str]]) -> dict[str, str]:
    """The column name of each role: ``defaults`` overridden by ``columns``, whose keys must be
    roles (``unknown_field`` at ``columns`` otherwise)."""
    unknown = set(columns or {}) - set(defaults)
    if unknown:
        raise InputError(
            f"`columns` names unknown roles {sorted(unknown)}; the roles are {', '.join(defaults)}",
            "unknown_field", "columns",
        )
    return {**defaults, **(columns or {})}


def column_names(columns: Optional[Mapping[str, str]]) -> tuple[str, str, str, str, str, str]:
    """The journey table's column names, :data:`DEFAULT_COLUMNS` overridden by ``columns``."""
    cols = column_roles(DEFAULT_COLUMNS, columns)
    return (cols["journey_id"], cols["timestamp"], cols["channel"], cols["conversions"], cols["value"],
            cols["conversion_timestamp"])
