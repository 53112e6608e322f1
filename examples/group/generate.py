#!/usr/bin/env python3
"""Generate the sample retail group in this folder (deterministic: same seed, same bytes).

"Groupe Lumen" has two brands (Maison Lumen, home goods; Atelier Nord, furniture) in three
countries (France in EUR, the United Kingdom in GBP, Switzerland in CHF), each with stores, a
web shop, an app and a call centre, and two departments (lighting, furniture), over three months
(September to November 2026). It reports in EUR, by month in Europe/Paris. The files are written
as its systems export them, not as omnikpi would like them:

- `orders.csv`: the order book, an Excel export (`;`, decimal comma), amounts in the country's
  currency, order times in milliseconds since 1970;
- `touches.csv`: the journey export of its analytics tool, one row per touch, the purchase and
  its revenue on the journey's last row only, times in milliseconds;
- `sessions.csv`: web and app sessions with their checkout steps (RFC 3339 times);
- `traffic.csv`: visits and orders per channel, brand, country and month;
- `pickups.csv`: click-and-collect pickups and what customers bought on top, in local currency;
- `fx_rates.csv`: the group treasury's monthly average rates to EUR;
- `pack.json`: the group's KPI pack (labels in English and French);
- `pack-workbook.json`: the same pack reading the orders and touches from the sheets `Orders`
  and `Touches` of `group.xlsx`, as the same systems export them to Excel (money as floats,
  touch times as Excel dates in UTC); `cargo run -p omnikpi --features xlsx --example
  group_workbook` writes the workbook from the CSV files.

Run: python3 examples/group/generate.py   (rewrites the files next to this script)
"""

from __future__ import annotations

import csv
import json
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 20261201
START = datetime(2026, 9, 1, tzinfo=timezone.utc)
DAYS = 91  # September, October, November
MONTHS = ["2026-09", "2026-10", "2026-11"]

BRANDS = {"lumen": 1.0, "nord": 0.7}  # relative size
COUNTRIES = {"FR": ("EUR", 1.0), "GB": ("GBP", 0.6), "CH": ("CHF", 0.35)}
DEPARTMENTS = ["lighting", "furniture"]
STORES = {"FR": ["paris", "lyon"], "GB": ["london"], "CH": ["geneva"]}
CHANNELS = [
    ("web", "online", False, "Web shop", "Boutique en ligne"),
    ("app", "online", False, "App", "Application"),
    ("email", "online", False, "Email", "E-mail"),
    ("paid_search", "online", False, "Paid search", "Recherche payante"),
    ("direct", "online", True, "Direct", "Accès direct"),
    ("store", "offline", False, "Stores", "Magasins"),
    ("call_centre", "offline", False, "Call centre", "Centre d'appels"),
]
ENTRY = ["paid_search", "email", "direct", "web", "app"]
ENTRY_WEIGHTS = [30, 20, 10, 25, 15]
ORDER_CHANNELS = ["web", "app", "store", "call_centre"]
ORDER_WEIGHTS = [40, 15, 38, 7]
# treasury's monthly averages: EUR for one unit
RATES = {
    "GBP": ["1.1712", "1.1689", "1.1741"],
    "CHF": ["1.0634", "1.0671", "1.0655"],
}
FUNNEL = ["visit", "product_view", "add_to_cart", "checkout", "purchase"]


def millis(t: datetime) -> str:
    return str(int(t.timestamp()) * 1000 + t.microsecond // 1000)


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def cents(rng: random.Random, low: int, high: int) -> int:
    return rng.randint(low * 100, high * 100)


def comma(c: int) -> str:
    return f"{c // 100},{c % 100:02d}"


def point(c: int) -> str:
    return f"{c // 100}.{c % 100:02d}"


def month_of(t: datetime) -> str:
    return t.strftime("%Y-%m")


def generate() -> dict[str, list[list[str]]]:
    rng = random.Random(SEED)
    orders = [["order_no", "customer", "brand", "country", "department", "channel",
               "ordered_at", "net_amount", "currency"]]
    touches = [["user_pseudo_id", "event_ts", "channel", "purchase", "revenue", "currency",
                "brand", "country"]]
    pickups = [["pickup_id", "store", "brand", "country", "picked_up_at", "extra_amount", "currency"]]
    traffic: dict[tuple[str, str, str, str], list[int]] = {}
    journey = 0
    order = 0
    for brand, size in BRANDS.items():
        for country, (currency, weight) in COUNTRIES.items():
            customers = int(260 * size * weight)
            for c in range(customers):
                customer = f"{brand[:1].upper()}{country}{c:04d}"
                for _ in range(rng.choice([1, 1, 1, 2])):
                    journey += 1
                    jid = f"{brand}-{country}-{journey:05d}"
                    t = START + timedelta(seconds=rng.randrange(DAYS * 86400 - 10 * 86400))
                    path = [rng.choices(ENTRY, ENTRY_WEIGHTS)[0]]
                    for _ in range(rng.choice([0, 1, 1, 2, 3])):
                        path.append(rng.choice(["web", "app", "email", "direct", "store"]))
                    converts = rng.random() < 0.55
                    channel = rng.choices(ORDER_CHANNELS, ORDER_WEIGHTS)[0]
                    if converts:
                        path.append("store" if channel == "store" else
                                    "call_centre" if channel == "call_centre" else channel)
                    times = []
                    for step in path:
                        t = t + timedelta(seconds=rng.randrange(600, 3 * 86400))
                        times.append(t)
                    month = month_of(times[0])
                    key = (brand, country, month, path[0])
                    traffic.setdefault(key, [0, 0])[0] += 1
                    price = cents(rng, 25, 420) if brand == "lumen" else cents(rng, 90, 1600)
                    for i, (step, at) in enumerate(zip(path, times)):
                        last = i == len(path) - 1
                        purchase = "1" if (last and converts) else ""
                        revenue = point(price) if (last and converts) else ""
                        touches.append([jid, millis(at), step, purchase, revenue,
                                        currency if last and converts else "", brand, country])
                    if not converts:
                        continue
                    traffic[key][1] += 1
                    order += 1
                    department = rng.choice(DEPARTMENTS)
                    orders.append([f"O{order:06d}", customer, brand, country, department, channel,
                                   millis(times[-1]), comma(price), currency])
                    if channel in ("web", "app") and rng.random() < 0.3:
                        store = rng.choice(STORES[country])
                        extra = cents(rng, 5, 90) if rng.random() < 0.6 else 0
                        picked = times[-1] + timedelta(seconds=rng.randrange(3600, 4 * 86400))
                        pickups.append([f"O{order:06d}", store, brand, country, iso(picked),
                                        point(extra), currency])
    sessions = [["session_id", "started", "step", "brand", "country"]]
    for s in range(1800):
        brand = rng.choices(list(BRANDS), [10, 7])[0]
        country = rng.choices(list(COUNTRIES), [10, 6, 3])[0]
        t = START + timedelta(seconds=rng.randrange(DAYS * 86400 - 86400))
        depth = rng.choices(range(1, 6), [40, 25, 15, 8, 12])[0]
        for step in FUNNEL[:depth]:
            t = t + timedelta(seconds=rng.randrange(5, 600))
            sessions.append([f"S{s:05d}", iso(t), step, brand, country])
    traffic_rows = [["brand", "country", "month", "channel", "visits", "orders"]]
    for (brand, country, month, channel), (visits, converted) in sorted(traffic.items()):
        traffic_rows.append([brand, country, month, channel, str(visits), str(converted)])
    fx = [["currency", "period", "rate"]]
    for currency, rates in RATES.items():
        for month, rate in zip(MONTHS, rates):
            fx.append([currency, month, rate])
    return {
        "orders.csv": orders,
        "touches.csv": touches,
        "sessions.csv": sessions,
        "traffic.csv": traffic_rows,
        "pickups.csv": pickups,
        "fx_rates.csv": fx,
    }


def label(en: str, fr: str) -> dict[str, str]:
    return {"en": en, "fr": fr}


def pack() -> dict:
    by = ["brand", "country"]
    journeys = {"journeys": "touches"}
    return {
        "format": "omnikpi.pack/1",
        "id": "groupe-lumen",
        "version": "2026.12.0",
        "name": label("Groupe Lumen: retail KPIs", "Groupe Lumen : indicateurs commerce"),
        "languages": ["en", "fr"],
        "currency": "EUR",
        "period": "month",
        "time_zone": "Europe/Paris",
        "fx": {"id": "treasury-monthly-average-2026", "rate_at": "period",
               "rounding": "half_even", "table": "fx_rates"},
        "channels": [{"channel": c, "group": g, "direct": d, "label": label(en, fr)}
                     for c, g, d, en, fr in CHANNELS],
        "dimensions": [
            {"name": "brand", "label": label("Brand", "Enseigne")},
            {"name": "country", "label": label("Country", "Pays")},
            {"name": "department", "label": label("Department", "Rayon")},
        ],
        "tables": {
            "orders": {"file": "orders.csv", "time": "ordered_at",
                       "columns": {"amount": "net_amount", "customer": "customer"},
                       "reading": {"delimiter": ";", "decimal": ",", "timestamp_unit": "ms"}},
            "touches": {"file": "touches.csv",
                        "columns": {"journey_id": "user_pseudo_id", "timestamp": "event_ts",
                                    "conversions": "purchase", "value": "revenue"},
                        "reading": {"outcome": "last_touch", "timestamp_unit": "ms"}},
            "sessions": {"file": "sessions.csv",
                         "columns": {"entity": "session_id", "timestamp": "started",
                                     "event": "step"}},
            "traffic": {"file": "traffic.csv",
                        "columns": {"opportunities": "visits", "conversions": "orders"}},
            "pickups": {"file": "pickups.csv", "time": "picked_up_at"},
            "fx_rates": {"file": "fx_rates.csv"},
            "stores": {"file": "store_visits.csv"},
        },
        "kpis": [
            {"key": "conversion", "kpi": "conversion.rate", "version": "^1.1",
             "label": label("Visit conversion by entry channel",
                            "Transformation des visites par canal d'entrée"),
             "by": by, "inputs": {"rows": "traffic"}},
            {"key": "average_basket", "kpi": "basket.average", "version": "^1.1",
             "label": label("Average basket (EUR)", "Panier moyen (EUR)"),
             "by": by, "inputs": {"orders": "orders"}},
            {"key": "basket_by_department", "kpi": "basket.average", "version": "^1.1",
             "label": label("Average basket by department (EUR)", "Panier moyen par rayon (EUR)"),
             "by": ["department"], "inputs": {"orders": "orders"}},
            {"key": "checkout_funnel", "kpi": "conversion.funnel", "version": "^1.1",
             "label": label("Checkout funnel", "Tunnel de commande"),
             "by": ["brand", "period"], "params": {"window_seconds": 3600},
             "inputs": {"steps": {"value": FUNNEL}, "events": "sessions"}},
            {"key": "click_and_collect", "kpi": "pickup.attach_rate", "version": "^1.1",
             "label": label("Click-and-collect attach rate", "Taux d'achat additionnel au retrait en magasin"),
             "by": ["country"], "inputs": {"pickups": "pickups"}},
            {"key": "attribution_linear", "kpi": "attribution.linear", "version": "^3",
             "label": label("Revenue by channel (linear attribution, EUR)",
                            "Chiffre d'affaires par canal (attribution linéaire, EUR)"),
             "by": by, "inputs": journeys},
            {"key": "attribution_markov", "kpi": "attribution.markov", "version": "^3",
             "label": label("Revenue by channel (Markov attribution, EUR)",
                            "Chiffre d'affaires par canal (attribution de Markov, EUR)"),
             "by": ["brand"], "inputs": journeys},
            {"key": "store_traffic", "kpi": "conversion.rate", "version": "^1.1",
             "label": label("Store footfall conversion", "Transformation du trafic en magasin"),
             "by": ["country"], "inputs": {"rows": "stores"}},
        ],
        "comparisons": [
            {"key": "basket_brand_country", "kpi": "average_basket", "value": "overall.average",
             "rows": "brand", "columns": "country",
             "label": label("Average basket, brand by country (EUR)",
                            "Panier moyen, enseigne par pays (EUR)")},
            {"key": "conversion_brand_country", "kpi": "conversion", "value": "overall.rate",
             "rows": "brand", "columns": "country",
             "label": label("Visit conversion, brand by country",
                            "Transformation des visites, enseigne par pays")},
            {"key": "web_revenue_brand_country", "kpi": "attribution_linear",
             "value": "channels[channel=web].value", "rows": "brand", "columns": "country",
             "label": label("Revenue attributed to the web shop (linear, EUR)",
                            "Chiffre d'affaires attribué à la boutique en ligne (linéaire, EUR)")},
            {"key": "basket_brand_department", "kpi": "average_basket", "value": "overall.average",
             "rows": "brand", "columns": "department",
             "label": label("Average basket, brand by department (EUR)",
                            "Panier moyen, enseigne par rayon (EUR)")},
            {"key": "revenue_by_month", "kpi": "attribution_linear", "value": "totals.value",
             "rows": "period", "columns": "brand",
             "label": label("Attributed revenue by month and brand (linear, EUR)",
                            "Chiffre d'affaires attribué par mois et enseigne (linéaire, EUR)")},
        ],
    }


def workbook_pack() -> dict:
    """The group's pack reading the orders and touches from the sheets of `group.xlsx`: no CSV
    dialect, float money rounded to the currency's minor unit (declared, counted in the report)."""
    workbook = pack()
    workbook["name"] = label("Groupe Lumen: retail KPIs (from the Excel workbook)",
                             "Groupe Lumen : indicateurs commerce (depuis le classeur Excel)")
    tables = workbook["tables"]
    tables["orders"] |= {"file": "group.xlsx", "sheet": "Orders",
                         "reading": {"timestamp_unit": "ms", "money_from_float": "round_half_even"}}
    tables["touches"] |= {"file": "group.xlsx", "sheet": "Touches",
                          "reading": {"outcome": "last_touch", "timezone": "UTC",
                                      "money_from_float": "round_half_even"}}
    return workbook


def main() -> None:
    for name, rows in generate().items():
        delimiter = ";" if name == "orders.csv" else ","
        with open(HERE / name, "w", newline="", encoding="utf-8") as f:
            csv.writer(f, delimiter=delimiter, lineterminator="\n").writerows(rows)
    for name, document in [("pack.json", pack()), ("pack-workbook.json", workbook_pack())]:
        (HERE / name).write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n",
                                 encoding="utf-8")


if __name__ == "__main__":
    main()
