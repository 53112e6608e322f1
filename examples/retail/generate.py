#!/usr/bin/env python3
"""Generate the sample omnichannel retailer in this folder (deterministic: same seed, same bytes).

A French home-goods retailer ("Maison Lumen") with a web shop, an app, four stores and a call
centre, over two months (September and October 2026):
- journeys of web, app, email, social, paid search, direct, store and call-centre touches;
- orders with their origin channel (where the customer ordered) and fulfilment channel
  (home delivery, or a store for click-and-collect and store sales);
- research online, purchase offline (ROPO) journeys: online touches, then a store purchase;
- click-and-collect pickups, where about 60% of customers buy something extra;
- web sessions for the checkout funnel.

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

    return {
        "costs.csv": [["channel", "period", "cost"]] + costs,
        "journeys.csv": [["journey_id", "timestamp", "channel", "conversions", "value", "conversion_timestamp"]] + long_rows,
        "channels.csv": [["channel", "group", "direct"]] + [[c, g, "true" if d else "false"] for c, g, d in CHANNELS],
        "touches.csv": [["journey_id", "customer_id", "timestamp", "channel"]] + touches,
        "orders.csv": [["order_id", "customer_id", "journey_id", "timestamp", "period", "origin_channel",
                        "fulfilment_channel", "click_and_collect", "amount", "currency"]] + orders,
        "pickups.csv": [["pickup_id", "store", "timestamp", "extra_amount"]] + pickups,
        "web_events.csv": [["session_id", "timestamp", "event"]] + web_events,
    }


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


def main() -> None:
    for name, rows in generate().items():
        with open(HERE / name, "w", newline="", encoding="utf-8") as fh:
            csv.writer(fh, lineterminator="\n").writerows(rows)
    (HERE / "dataset.json").write_text(json.dumps(MANIFEST, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
