#!/usr/bin/env python3
"""Generate the sample omnichannel retailer in this folder (deterministic: same seed, same bytes).

A French home-goods retailer ("Maison Lumen") with a web shop, an app, four stores and a call
centre, over two months (September and October 2026):
- journeys of web, app, email, social, paid search, direct, store and call-centre touches;
- orders with their origin channel (where the customer ordered) and fulfilment channel
  (home delivery, or a store for click-and-collect and store sales);
- research online, purchase offline (ROPO) journeys: online touches, then a store purchase;
- click-and-collect pickups, where about 60% of customers buy something extra;
- web sessions for the checkout funnel;
- the sales ledger finance pays incentives from (`sales.csv`: the orders with their product
  category, delivery zone and extra purchase at pickup, plus refunds) and the incentive policy
  (`incentive_policy.json`).

Run: python3 examples/retail/generate.py   (rewrites the CSV files next to this script)
"""

from __future__ import annotations

import csv
import json
from decimal import Decimal
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 20261123
START = datetime(2026, 9, 1, tzinfo=timezone.utc)
DAYS = 61  # September and October

CHANNELS = [
    ("web", "online", False),
    ("app", "online", False),
    ("email", "online", False),
    ("social", "online", False),
    ("paid_search", "online", False),
    ("direct", "online", True),
    ("store", "offline", False),
    ("call_centre", "offline", False),
]
ONLINE_ENTRY = ["paid_search", "social", "email", "direct", "web", "app"]
ONLINE_WEIGHTS = [25, 15, 20, 10, 20, 10]
STORES = ["paris_opera", "lyon_part_dieu", "bordeaux", "lille"]


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def amount(rng: random.Random, low: int, high: int) -> str:
    cents = rng.randint(low * 100, high * 100)
    return f"{cents // 100}.{cents % 100:02d}"


def generate() -> dict[str, list[list[str]]]:
    rng = random.Random(SEED)
    touches: list[list[str]] = []
    orders: list[list[str]] = []
    pickups: list[list[str]] = []
    journey_no = 0
    order_no = 0

    for c in range(1, 401):
        customer = f"C{c:04d}"
        home_store = rng.choice(STORES)
        profile = rng.choices(["omni", "online", "store", "phone"], weights=[35, 30, 28, 7])[0]
        # omnichannel customers come back more often and mix online and store purchases
        for visit in range(rng.randint(2, 4) if profile == "omni" else rng.randint(1, 3)):
            journey_no += 1
            journey = f"J{journey_no:05d}"
            t = START + timedelta(days=rng.randrange(DAYS - 3), seconds=rng.randrange(9 * 3600, 20 * 3600))
            kind = {
                "omni": (["ropo", "click_collect", "online_order", "browse"][visit % 4] if visit < 2
                         else rng.choices(["ropo", "online_order", "click_collect", "browse"], weights=[30, 15, 25, 30])[0]),
                "online": rng.choices(["online_order", "click_collect", "browse"], weights=[40, 10, 50])[0],
                "store": rng.choices(["store_only", "browse_store"], weights=[80, 20])[0],
                "phone": rng.choices(["phone_order", "browse"], weights=[70, 30])[0],
            }[profile]
            path: list[str] = []
            if kind in ("ropo", "online_order", "click_collect", "browse"):
                path = rng.choices(ONLINE_ENTRY, weights=ONLINE_WEIGHTS, k=rng.randint(1, 5))
            if kind == "browse_store":
                path = ["store"]
            for channel in path:
                touches.append([journey, customer, iso(t), channel])
                t += timedelta(hours=rng.randint(1, 60))
            origin = fulfilment = None
            if kind == "ropo":
                origin, fulfilment = "store", home_store
            elif kind == "store_only":
                origin, fulfilment = "store", home_store
            elif kind == "online_order":
                origin, fulfilment = rng.choice(["web", "web", "app"]), "delivery"
            elif kind == "click_collect":
                origin, fulfilment = rng.choice(["web", "app"]), home_store
            elif kind == "phone_order":
                origin, fulfilment = "call_centre", "delivery"
            if origin is None:
                continue
            # the purchase itself is the journey's last touch
            touches.append([journey, customer, iso(t), origin])
            order_no += 1
            order = f"O{order_no:05d}"
            # multichannel customers buy larger baskets (a field observation the KPIs must show)
            value = amount(rng, 25, 320) if profile == "omni" else amount(rng, 15, 240)
            orders.append([order, customer, journey, iso(t), "2026-09" if t.month == 9 else "2026-10",
                           origin, fulfilment, "true" if kind == "click_collect" else "false", value, "EUR"])
            if kind == "click_collect":
                pickup_time = t + timedelta(days=rng.randint(1, 3), hours=rng.randint(0, 6))
                extra = amount(rng, 4, 90) if rng.random() < 0.6 else "0.00"
                pickups.append([order, fulfilment, iso(pickup_time), extra])

    web_events: list[list[str]] = []
    steps = ["visit", "product_view", "add_to_cart", "checkout", "purchase"]
    keep = [1.0, 0.72, 0.34, 0.62, 0.71]
    for s in range(1, 1501):
        session = f"S{s:05d}"
        t = START + timedelta(days=rng.randrange(DAYS), seconds=rng.randrange(86400))
        for step, p in zip(steps, keep):
            if rng.random() > p:
                break
            web_events.append([session, iso(t), step])
            if step == "product_view" and rng.random() < 0.3:
                web_events.append([session, iso(t + timedelta(seconds=40)), "search"])
            t += timedelta(seconds=rng.randint(20, 900))

    # The same journeys in long format (one row per touch, the journey's outcome repeated on each
    # row), the shape `omnikpi attribute` and DataFrame users start from.
    outcome: dict[str, list] = {}
    for order in orders:
        entry = outcome.setdefault(order[2], [0, Decimal("0"), ""])
        entry[0] += 1
        entry[1] += Decimal(order[8])
        entry[2] = max(entry[2], order[3])
    long_rows = []
    for journey, customer, timestamp, channel in touches:
        conv, value, at = outcome.get(journey, [0, None, ""])
        long_rows.append([journey, timestamp, channel, conv, "" if value is None else f"{value:.2f}", at])

    # Monthly marketing costs of the paid channels (fixed figures, for ROAS and CPA).
    costs = [[channel, period, cost] for channel, by_period in COSTS.items() for period, cost in by_period.items()]

    sales = sales_ledger(orders, pickups)

    return {
        "sales.csv": sales,
        "costs.csv": [["channel", "period", "cost"]] + costs,
        "journeys.csv": [["journey_id", "timestamp", "channel", "conversions", "value", "conversion_timestamp"]] + long_rows,
        "channels.csv": [["channel", "group", "direct"]] + [[c, g, "true" if d else "false"] for c, g, d in CHANNELS],
        "touches.csv": [["journey_id", "customer_id", "timestamp", "channel"]] + touches,
        "orders.csv": [["order_id", "customer_id", "journey_id", "timestamp", "period", "origin_channel",
                        "fulfilment_channel", "click_and_collect", "amount", "currency"]] + orders,
        "pickups.csv": [["pickup_id", "store", "timestamp", "extra_amount"]] + pickups,
        "web_events.csv": [["session_id", "timestamp", "event"]] + web_events,
    }


CATEGORIES = ["furniture", "lighting", "textiles", "tableware"]
# Delivery zones (French departments); the franchisees own four of them.
ZONES = ["59", "62", "33", "40", "75", "69", "13"]


def sales_ledger(orders: list[list[str]], pickups: list[list[str]]) -> list[list[str]]:
    """The orders as finance's sales ledger, plus refunds. A separate random stream, so the
    other files stay byte-identical whether or not this one is generated."""
    rng = random.Random(SEED + 1)
    extra = {p[0]: p[3] for p in pickups}
    rows = [["sale_id", "customer_id", "timestamp", "period", "origin_channel", "fulfilment_channel",
             "click_and_collect", "category", "zone", "amount", "extra_amount", "refund_of"]]
    refunds = []
    for order_id, customer, _journey, ts, period, origin, fulfilment, cc, value, _cur in orders:
        zone = rng.choice(ZONES) if fulfilment == "delivery" else ""
        rows.append([order_id, customer, ts, period, origin, fulfilment, cc, rng.choice(CATEGORIES), zone,
                     value, extra.get(order_id, "0.00"), ""])
        if rng.random() < 0.04:
            when = datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc) + timedelta(days=rng.randint(2, 20))
            if when.month > 10:
                continue
            # half full refunds, half partial (a returned item)
            part = value if rng.random() < 0.5 else f"{(Decimal(value) * Decimal(rng.randint(20, 70)) / 100).quantize(Decimal('0.01'))}"
            refunds.append([f"R{len(refunds) + 1:04d}", customer, iso(when), "2026-09" if when.month == 9 else "2026-10",
                            "", "", "", "", "", part, "", order_id])
    return rows + refunds


COSTS = {
    "paid_search": {"2026-09": "4200.00", "2026-10": "4650.00"},
    "social": {"2026-09": "1800.00", "2026-10": "2100.00"},
    "email": {"2026-09": "350.00", "2026-10": "350.00"},
    "app": {"2026-09": "900.00", "2026-10": "900.00"},
}

MANIFEST = {
    "name": "Maison Lumen (sample omnichannel retailer), September-October 2026",
    "currency": "EUR",
    "periods": ["2026-09", "2026-10"],
    "funnel_steps": ["visit", "product_view", "add_to_cart", "checkout", "purchase"],
    "conversion_window_seconds": 604800,
    "lookback_seconds": 604800,
    "store_pool": {
        "amount": "10000.00",
        "description": "Click-and-collect bonus pool (10,000.00 EUR) split between stores by pickups handled",
    },
}


ONLINE = ["web", "app", "email", "social", "paid_search"]
POLICY = {
    "format": "omnikpi.incentive_policy/1",
    "id": "maison-lumen-omnichannel",
    "version": "2026.09",
    "description": "Omnichannel incentives: stores are paid on what they sell, fulfil and help sell online, "
                   "the web shop on the store sales it prepares, franchisees on deliveries in their zone, "
                   "and the store teams share a bonus on the growth of total sales, not of one channel.",
    "currency": "EUR",
    "rounding": "half_even",
    "parties": (
        [{"id": c, "kind": "channel"} for c in ["web", "app", "call_centre", "email", "social", "paid_search"]]
        + [{"id": s, "kind": "store"} for s in STORES]
        + [{"id": "franchise_nord", "kind": "franchisee", "name": "Lumen Nord SARL", "zones": ["59", "62"]},
           {"id": "franchise_sud_ouest", "kind": "franchisee", "name": "Lumen Sud-Ouest SAS", "zones": ["33", "40"]}]
    ),
    "rules": [
        {"id": "store_sale", "group": "order", "priority": 1,
         "description": "store sale: the store earns 3%",
         "when": {"origin_channel": ["store"], "fulfilment_kind": ["store"]},
         "shares": [{"party_from": "fulfilment_channel", "percent": "3"}]},
        {"id": "ropo", "group": "order", "priority": 2,
         "description": "store sale after an online touch within 7 days: the web shop is credited 0.5% of the store's 3%",
         "when": {"origin_channel": ["store"], "fulfilment_kind": ["store"],
                  "online_touch": {"within_days": 7, "channels": ONLINE}},
         "shares": [{"party_from": "fulfilment_channel", "percent": "2.5"}, {"party": "web", "percent": "0.5"}]},
        {"id": "click_and_collect", "group": "order", "priority": 3,
         "description": "online order picked up in store: the ordering site earns 2%, the store 1.5% for the pickup",
         "when": {"click_and_collect": True},
         "shares": [{"party_from": "origin_channel", "percent": "2"}, {"party_from": "fulfilment_channel", "percent": "1.5"}]},
        {"id": "home_delivery", "group": "order", "priority": 0,
         "description": "delivered order: 4% to the ordering channel, 1% to marketing by linear attribution over 30 days",
         "when": {"fulfilment_channel": ["delivery"], "click_and_collect": False},
         "shares": [{"party_from": "origin_channel", "percent": "4"},
                    {"attribution": {"model": "linear", "lookback_days": 30,
                                     "channels": ["email", "social", "paid_search"], "fallback": "web"},
                     "percent": "1"}]},
        {"id": "pickup_extra", "group": "pickup", "base": "extra_amount",
         "description": "extra purchase at a click-and-collect pickup: 5% to the store",
         "when": {"click_and_collect": True},
         "shares": [{"party_from": "fulfilment_channel", "percent": "5"}]},
        {"id": "franchise_zone", "group": "franchise",
         "description": "online order delivered in a franchise zone: 3% to the franchisee",
         "when": {"fulfilment_channel": ["delivery"], "zone": ["59", "62", "33", "40"]},
         "shares": [{"party_from": "zone", "percent": "3"}]},
    ],
    "tiers": [
        {"id": "store_accelerator", "description": "store earnings above 150.00 a month count 1.25 times",
         "parties": STORES, "mode": "step",
         "bands": [{"from": "0", "multiplier": "1"}, {"from": "150.00", "multiplier": "1.25"}]},
    ],
    "limits": [
        {"party": "web", "cap": "400.00", "clawbacks": "absorbed"},
        {"party": "call_centre", "floor": "150.00", "clawbacks": "deducted"},
    ],
    "bonuses": [
        {"id": "omnichannel_growth", "basis": "total_growth", "percent": "2",
         "description": "2% of the growth of total net sales, shared equally by the store teams",
         "parties": STORES},
    ],
    "clawback": {"window_days": 60},
}


def proposed_policy() -> dict:
    """Version 2026.10, a what-if for `omnikpi incentives diff`: the store's own sales at 3.5%."""
    policy = json.loads(json.dumps(POLICY))
    policy["version"] = "2026.10"
    policy["description"] += " Version 2026.10 proposes raising the store's own sales from 3% to 3.5%."
    rule = next(r for r in policy["rules"] if r["id"] == "store_sale")
    rule["shares"][0]["percent"] = "3.5"
    rule["description"] = rule["description"].replace("3%", "3.5%")
    return policy


def main() -> None:
    for name, rows in generate().items():
        with open(HERE / name, "w", newline="", encoding="utf-8") as fh:
            csv.writer(fh, lineterminator="\n").writerows(rows)
    (HERE / "dataset.json").write_text(json.dumps(MANIFEST, indent=2) + "\n", encoding="utf-8")
    (HERE / "incentive_policy.json").write_text(json.dumps(POLICY, indent=2) + "\n", encoding="utf-8")
    (HERE / "incentive_policy_v2.json").write_text(json.dumps(proposed_policy(), indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
