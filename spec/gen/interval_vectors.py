"""Vectors of the confidence intervals of every attribution model, computed independently of the
Rust core: the replicate weights from their definition (FNV-1a of the journey id, SplitMix64's
finalizer, Poisson(1) thresholds computed here at 80 digits and checked against the core's
table), each replicate's credit from the definition of each model, exact integers throughout
(Markov with exact fractions), and the bounds as order statistics.

The definition (spec/kpis/attribution.*.json, parameter `intervals`):

- replicate r counts journey j w(j, r) times:
  u = mix(mix(fnv1a(id) ^ mix(seed)) + (r + 1) * 0x9E3779B97F4A7C15) mod 2^64,
  w = #{k in 0..19 : u >= floor(2^64 * P(Poisson(1) <= k))};
- the replicate's credit per channel is the model's credit on the re-weighted journeys: a
  journey's share of 1 at 10^-12 (largest remainder), times its conversions and value, times w
  (Markov: transition counts times w; Shapley rate: journeys, conversions and value per channel
  set times w), exact integers;
- each replicate's figures: conversions = credit / 10^6 (6 places), value = credit / 10^12
  (minor unit), share = credit / (conversions * 10^6) (6 places), each half to even; share null
  in every row when some replicate has no conversion;
- bounds: ranks k and R + 1 - k of the sorted figures, k = max(1, ceil(R (1 - level) / 2)).

Run from the repository root: ``python3 spec/gen/interval_vectors.py``. It rewrites
``vectors/attribution.*/intervals.json``.
"""

from __future__ import annotations

import json
import math
import re
from decimal import Decimal, getcontext
from fractions import Fraction
from pathlib import Path

import markov_vectors as mv

ROOT = Path(__file__).resolve().parent.parent
SHARE = 10**12
MASK = 2**64 - 1
GOLDEN = 0x9E3779B97F4A7C15


# ---- the weights ----------------------------------------------------------------------------

def fnv1a(data: bytes) -> int:
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & MASK
    return h


def mix(z: int) -> int:
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def thresholds() -> list[int]:
    """floor(2^64 P(X <= k)), X ~ Poisson(1), k = 0..19, at 80 digits."""
    getcontext().prec = 80
    e_inv = 1 / Decimal(1).exp()
    out, term, cdf = [], Decimal(1), Decimal(0)
    for k in range(20):
        if k:
            term /= k
        cdf += term
        out.append(int((e_inv * cdf * 2**64).to_integral_value(rounding="ROUND_FLOOR")))
    return out


T = thresholds()


def check_core_table() -> None:
    text = (ROOT.parent / "core" / "src" / "attribution" / "bootstrap.rs").read_text()
    table = text.split("const THRESHOLDS: [u64; 20] = [")[1].split("];")[0]
    core = [int(h.replace("_", ""), 16) for h in re.findall(r"0x([0-9a-f_]+)", table)]
    assert core == T, "the core's Poisson thresholds differ from the definition"


def weights(journey_id: str, seed: int, replicates: int) -> list[int]:
    base = mix(fnv1a(journey_id.encode()) ^ mix(seed))
    out = []
    for r in range(replicates):
        u = mix((base + (r + 1) * GOLDEN) & MASK)
        out.append(sum(1 for t in T if u >= t))
    return out


# ---- exact arithmetic -----------------------------------------------------------------------

def split_units(units: int, ws: list[int]) -> list[int]:
    """Largest remainder: floors, then a unit each to the largest remainders, ties to the
    larger weight, then the earlier index."""
    total = sum(ws)
    parts = [units * w // total for w in ws]
    order = sorted(range(len(ws)), key=lambda i: (-(units * ws[i] % total), -ws[i], i))
    for i in order[: units - sum(parts)]:
        parts[i] += 1
    return parts


def half_even(n: int, d: int) -> int:
    q, r = divmod(n, d)
    if 2 * r > d or (2 * r == d and q % 2 == 1):
        q += 1
    return q


def at(units: int, scale: int) -> str:
    return mv.at_scale(units, scale) if scale else str(units)


# ---- the models -----------------------------------------------------------------------------

def rule_weights(model: str, params: dict, chans: list[int], times: list[int], leads: list[bool],
                 direct: list[bool]) -> list[int]:
    n = len(chans)
    w = [0] * n
    if model == "first_touch":
        w[0] = 1
    elif model == "last_touch":
        w[-1] = 1
    elif model == "last_non_direct":
        idx = [i for i, c in enumerate(chans) if not direct[c]]
        w[idx[-1] if idx else n - 1] = 1
    elif model == "linear":
        w = [1] * n
    elif model == "time_decay":
        hl = params["half_life_seconds"]
        newest = max(times)
        for i, t in enumerate(times):
            age = newest - t
            assert age % hl == 0, "the vectors keep ages at whole half-lives (exact powers of 2)"
            w[i] = 2 ** 52 // 2 ** (age // hl)
    elif model == "position_based":
        first, last = Decimal(params.get("first_weight", "0.4")), Decimal(params.get("last_weight", "0.4"))
        a, b, mid = ints([first, last, 1 - first - last])
        if n == 1:
            w = [1]
        elif n == 2:
            w = [a, b]
        else:
            m = n - 2
            w = [a * m] + [mid] * m + [b * m]
    elif model == "w_shaped":
        ws = [Decimal(params.get(k, "0.3")) for k in ("first_weight", "lead_weight", "last_weight")]
        a, l, b, other = ints(ws + [1 - sum(ws)])
        lead_at = next((i for i, x in enumerate(leads) if x), None)
        milestones = [0, lead_at, n - 1]
        others = sum(1 for i in range(n) if i not in milestones)
        scale = max(others, 1)
        w = [other if i not in milestones else 0 for i in range(n)]
        for pos, weight in zip(milestones, (a, l, b)):
            if pos is not None:
                w[pos] += weight * scale
    if all(x == 0 for x in w):
        w = [1] * n
    return w


def ints(ds: list[Decimal]) -> list[int]:
    scale = max(-d.as_tuple().exponent for d in ds)
    return [int(d * 10**scale) for d in ds]


def journey_shares(model: str, params: dict, chans, times, leads, direct) -> list[tuple[int, int]]:
    """(slot, share of 10^12) of a converting journey, per touch or per channel."""
    if model == "shapley":
        distinct = list(dict.fromkeys(chans))
        return list(zip(distinct, split_units(SHARE, [1] * len(distinct))))
    if model == "shapley.ordered":
        count = {c: chans.count(c) for c in chans}
        lcm = math.lcm(*count.values())
        return list(zip(chans, split_units(SHARE, [lcm // count[c] for c in chans])))
    return list(zip(chans, split_units(SHARE, rule_weights(model, params, chans, times, leads, direct))))


def markov_weights(journeys, times_of, n_channels: int) -> tuple[list[int], dict]:
    """Integer weights round(RE * 2^52) per channel, and the details of the point solve."""
    data = [(chans, conv * 1) for chans, conv in journeys]
    states, transitions, conversion, null = weighted_counts(data, times_of)
    full = mv.solve_exact(states, transitions, conversion, null, lambda s: False)
    effects = []
    for c in range(n_channels):
        if not any(c in s for s in states) or full <= 0:
            effects.append(Fraction(0))
            continue
        without = mv.solve_exact(states, transitions, conversion, null, lambda s, c=c: c in s)
        effects.append(1 - without / full)
    return [round(e * 2**52) for e in effects], {"states": len(states), "full": full, "effects": effects}


def weighted_counts(journeys, times_of):
    """Order-1 Markov counts, repeats collapsed, journey i counted times_of[i] times."""
    transitions, conversion, null = {}, {}, {}
    for (chans, conv), times in zip(journeys, times_of):
        if times == 0:
            continue
        weight = max(conv, 1) * times
        previous = ()
        for state in mv.windows(chans, 1, True):
            transitions[(previous, state)] = transitions.get((previous, state), 0) + weight
            previous = state
        if conv > 0:
            conversion[previous] = conversion.get(previous, 0) + conv * times
        else:
            null[previous] = null.get(previous, 0) + times
    states = sorted({s for pair in transitions for s in pair} | set(conversion) | set(null) | {()})
    return states, transitions, conversion, null


def rate_weights(sets: dict, chans_set: tuple) -> list[int]:
    """Shapley rate weights of one converting channel set, in f64 exactly as defined."""
    m = len(chans_set)

    def rate(mask: int) -> float:
        subset = tuple(c for i, c in enumerate(chans_set) if mask & (1 << i))
        n, conv, _ = sets.get(subset, (0, 0, 0))
        return conv / n if n > 0 else 0.0

    values = [rate(mask) for mask in range(1 << m)]

    def factorial(k: int) -> float:
        acc = 1.0
        for x in range(1, k + 1):
            acc = acc * float(x)
        return acc

    phi = [0.0] * m
    for i in range(m):
        for mask in range(1 << m):
            if mask & (1 << i):
                continue
            size = bin(mask).count("1")
            weight = factorial(size) * factorial(m - size - 1) / factorial(m)
            phi[i] += weight * (values[mask | (1 << i)] - values[mask])
    positive = [max(p, 0.0) for p in phi]
    total = 0.0
    for p in positive:
        total += p
    if total > 0.0:
        ws = [int(math.floor(p / total * 4503599627370496.0 + 0.5)) for p in positive]
    else:
        ws = [1] * m
    return ws if any(ws) else [1] * m


# ---- one model on weighted journeys ---------------------------------------------------------

def credit(model: str, params: dict, data: dict, times_of: list[int]) -> tuple[list[int], list[int], dict]:
    """Credit per slot (channels, then (none)) in 10^-12 units of conversions and of minor
    units, each journey counted times_of[j] times; and the totals."""
    names = [c["channel"] for c in data["channels"]]
    direct = [bool(c.get("direct")) for c in data["channels"]]
    slots = len(names) + 1
    conv_c, value_c = [0] * slots, [0] * slots
    tot = {"conversions": 0, "value": 0, "none_conversions": 0, "none_value": 0}
    kept = []  # (chans, times, leads, conv, value, times_counted)
    lookback = params.get("lookback_seconds")
    for j, journey in enumerate(data["journeys"]):
        w = times_of[j]
        conv = journey["conversions"]
        value = cents(journey.get("value", "0.00"))
        touches = journey["touches"]
        end = journey.get("conversion_timestamp", touches[-1]["timestamp"])
        if lookback is not None:
            touches = [t for t in touches if t["timestamp"] > end - lookback]
        chans = [names.index(t["channel"]) for t in touches]
        if conv > 0:
            tot["conversions"] += conv * w
            tot["value"] += value * w
            if not chans:
                tot["none_conversions"] += conv * w
                tot["none_value"] += value * w
                continue
        if chans:
            kept.append((chans, [t["timestamp"] for t in touches], [bool(t.get("lead")) for t in touches],
                         conv, value, w))
    details: dict = {}
    if model in ("markov",):
        mw, details = markov_weights([(k[0], k[3]) for k in kept], [k[5] for k in kept], len(names))
        attributed = tot["conversions"] - tot["none_conversions"]
        attributed_value = tot["value"] - tot["none_value"]
        if attributed > 0 and any(mw):
            shares = split_units(SHARE, mw)
            for c, s in enumerate(shares):
                conv_c[c] += s * attributed
                value_c[c] += s * attributed_value
        elif attributed > 0:
            conv_c[-1] += SHARE * attributed
            value_c[-1] += SHARE * attributed_value
    elif model == "shapley.rate":
        sets: dict = {}
        for chans, _, _, conv, value, w in kept:
            key = tuple(sorted(set(chans)))
            n, c, v = sets.get(key, (0, 0, 0))
            sets[key] = (n + w, c + conv * w, v + value * w)
        for key in sorted(sets):
            n, c, v = sets[key]
            if c == 0:
                continue
            for slot, s in zip(key, split_units(SHARE, rate_weights(sets, key))):
                conv_c[slot] += s * c
                value_c[slot] += s * v
    else:
        for chans, times, leads, conv, value, w in kept:
            if conv == 0 or w == 0:
                continue
            for slot, s in journey_shares(model, params, chans, times, leads, direct):
                conv_c[slot] += s * conv * w
                value_c[slot] += s * value * w
            if model == "shapley.ordered":
                details.setdefault("positions", [])
                details["positions"].append((chans, conv * w))
    conv_c[-1] += tot["none_conversions"] * SHARE
    value_c[-1] += tot["none_value"] * SHARE
    return conv_c, value_c, {**tot, **details}


def cents(text: str) -> int:
    whole, _, frac = text.partition(".")
    return int(whole) * 100 + int(frac.ljust(2, "0"))


# ---- the whole result -----------------------------------------------------------------------

def expected(model: str, data: dict, params: dict) -> dict:
    names = [c["channel"] for c in data["channels"]]
    journeys = data["journeys"]
    ones = [1] * len(journeys)
    conv_c, value_c, tot = credit(model, params, data, ones)
    total_conv, total_value = tot["conversions"], tot["value"]
    rows_n = len(names) + (1 if conv_c[-1] or value_c[-1] else 0)
    conv_q = split_units(total_conv * 10**6, conv_c) if any(conv_c) else [0] * len(conv_c)
    value_q = split_units(total_value, value_c) if any(value_c) else [0] * len(value_c)
    channels = []
    for i in range(rows_n):
        share = None if total_conv == 0 else at(half_even(conv_c[i], total_conv * 10**6), 6)
        channels.append({"channel": (names + ["(none)"])[i], "conversions": at(conv_q[i], 6),
                         "value": at(value_q[i], 2), "share": share})
    converting = sum(1 for j in journeys if j["conversions"] > 0)
    unattributed = sum(1 for j in journeys if j["conversions"] > 0 and not kept_touches(j, params))
    out = {"model": f"attribution.{model}", "currency": data["currency"], "channels": channels,
           "totals": {"conversions": at(total_conv * 10**6, 6), "value": at(total_value, 2)},
           "journeys": {"read": len(journeys), "converting": converting, "unattributed": unattributed}}
    if model == "markov":
        _, details = markov_weights(*markov_input(data, params, ones), len(names))
        out["order"] = 1
        out["states"] = details["states"]
        out["conversion_probability"] = mv.fixed(details["full"])
        out["removal_effects"] = [{"channel": n, "removal_effect": mv.fixed(e)}
                                  for n, e in zip(names, details["effects"])]
        out["transition_matrix"] = []
    if model == "shapley.ordered":
        out["by_position"] = by_position(names, data, params, total_conv - tot["none_conversions"])
    out["intervals"] = intervals(model, data, params, rows_n, names)
    used = len(journeys) if model in ("markov", "shapley.rate") else converting
    out["rows"] = {"read": len(journeys), "used": used, "rejected": len(journeys) - used}
    return out


def kept_touches(journey: dict, params: dict) -> list:
    lookback = params.get("lookback_seconds")
    touches = journey["touches"]
    if lookback is None:
        return touches
    end = journey.get("conversion_timestamp", touches[-1]["timestamp"])
    return [t for t in touches if t["timestamp"] > end - lookback]


def markov_input(data: dict, params: dict, times_of: list[int]):
    names = [c["channel"] for c in data["channels"]]
    pairs, counted = [], []
    for j, w in zip(data["journeys"], times_of):
        chans = [names.index(t["channel"]) for t in kept_touches(j, params)]
        if chans:
            pairs.append((chans, j["conversions"]))
            counted.append(w)
    return pairs, counted


def by_position(names, data, params, attributed) -> list:
    cells: dict = {}
    for j in data["journeys"]:
        chans = [names.index(t["channel"]) for t in kept_touches(j, params)]
        if j["conversions"] == 0 or not chans:
            continue
        count = {c: chans.count(c) for c in chans}
        lcm = math.lcm(*count.values())
        shares = split_units(SHARE, [lcm // count[c] for c in chans])
        for pos, (c, s) in enumerate(zip(chans, shares), start=1):
            cells[(c, pos)] = cells.get((c, pos), 0) + s * j["conversions"]
    keys = sorted(cells)
    q = split_units(attributed * 10**6, [cells[k] for k in keys])
    return [{"channel": names[c], "position": p, "conversions": at(u, 6)} for (c, p), u in zip(keys, q)]


def intervals(model: str, data: dict, params: dict, rows_n: int, names: list[str]) -> dict:
    reps, seed, level = params["replicates"], params["seed"], Fraction(params["confidence"])
    per_journey = [weights(j["journey_id"], seed, reps) for j in data["journeys"]]
    figures = [([], [], []) for _ in range(rows_n)]
    every_share = True
    for r in range(reps):
        conv_c, value_c, tot = credit(model, params, data, [w[r] for w in per_journey])
        total = tot["conversions"] * 10**6
        every_share &= total > 0
        for i in range(rows_n):
            figures[i][0].append(half_even(conv_c[i], 10**6))
            figures[i][1].append(half_even(value_c[i], SHARE))
            if total > 0:
                figures[i][2].append(half_even(conv_c[i], total))
    k = max(1, math.ceil(reps * (1 - level) / 2))

    def bounds(values: list[int], scale: int) -> tuple[str, str]:
        s = sorted(values)
        return at(s[k - 1], scale), at(s[reps - k], scale)

    rows = []
    for i in range(rows_n):
        (cl, ch), (vl, vh) = bounds(figures[i][0], 6), bounds(figures[i][1], 2)
        sl, sh = bounds(figures[i][2], 6) if every_share else (None, None)
        rows.append({"channel": (names + ["(none)"])[i], "conversions_low": cl, "conversions_high": ch,
                     "value_low": vl, "value_high": vh, "share_low": sl, "share_high": sh})
    return {"method": "poisson_bootstrap", "replicates": reps, "confidence": params["confidence"],
            "seed": seed, "channels": rows}


# ---- the cases ------------------------------------------------------------------------------

CHANNELS = [{"channel": "search", "group": "online"}, {"channel": "email", "group": "online"},
            {"channel": "direct", "group": "online", "direct": True}, {"channel": "store", "group": "offline"}]


def dataset(n: int, seed: int, leads: bool = False, spacing: int = 100) -> dict:
    """n journeys with ids, 1 to 4 touches `spacing` seconds apart, about half converting."""
    state = seed
    def nxt(k: int) -> int:
        nonlocal state
        state = (state * 6364136223846793005 + 1442695040888963407) & MASK
        return (state >> 33) % k
    journeys = []
    for j in range(n):
        length = 1 + nxt(4)
        start = 1_700_000_000 + 1000 * j
        touches = []
        for i in range(length):
            t = {"channel": CHANNELS[nxt(4)]["channel"], "timestamp": start + spacing * i}
            if leads and i == 1:
                t["lead"] = True
            touches.append(t)
        conv = nxt(3) if nxt(2) else 0
        journey = {"journey_id": f"u{1000 + 7 * j}", "touches": touches, "conversions": conv}
        if conv:
            journey["value"] = f"{10 + nxt(90)}.{nxt(100):02d}"
        journeys.append(journey)
    return {"channels": CHANNELS, "currency": "EUR", "journeys": journeys}


def interval_params(extra: dict | None = None) -> dict:
    return {"intervals": True, "replicates": 40, "confidence": "0.9", "seed": 11, **(extra or {})}


MODELS = {
    "first_touch": {}, "last_touch": {}, "last_non_direct": {}, "linear": {},
    "time_decay": {"half_life_seconds": 100}, "position_based": {}, "w_shaped": {},
    "shapley": {}, "shapley.ordered": {}, "shapley.rate": {}, "markov": {"transition_matrix": False},
}


def cases(model: str) -> list[dict]:
    extra = MODELS[model]
    data = dataset(30, 5, leads=model == "w_shaped")
    params = interval_params(extra)
    out = [{"name": "intervals on thirty journeys",
            "description": "40 replicates at 90%, seed 11: bounds are the replicates of rank 2 and 39.",
            "input": data, "params": params, "expected": expected(model, data, params)}]
    if model == "linear":
        one = dataset(4, 9)
        for j in one["journeys"]:
            j["conversions"] = 0
            j.pop("value", None)
        one["journeys"][0]["conversions"] = 1
        p = interval_params({"replicates": 20, "confidence": "0.95", "seed": 3})
        out.append({"name": "a replicate without conversion leaves the shares without bounds",
                    "input": one, "params": p, "expected": expected(model, one, p)})
        lb = dataset(12, 21)
        p = interval_params({"lookback_seconds": 150})
        for j in lb["journeys"]:
            if j["conversions"]:
                j["conversion_timestamp"] = j["touches"][-1]["timestamp"] + 100
        out.append({"name": "conversions without a touch in the window have their own bounds",
                    "input": lb, "params": p, "expected": expected(model, lb, p)})
        other_seed = interval_params({"seed": 12})
        out.append({"name": "another seed draws other replicates",
                    "input": data, "params": other_seed, "expected": expected(model, data, other_seed)})
        no_id = dataset(3, 2)
        del no_id["journeys"][1]["journey_id"]
        out.append({"name": "intervals need a journey id on every journey", "input": no_id,
                    "params": interval_params(), "error": {"code": "missing_field", "path": "input.journeys[1].journey_id"}})
        out.append({"name": "too few replicates", "input": data,
                    "params": interval_params({"replicates": 5}),
                    "error": {"code": "invalid_parameter", "path": "params.replicates"}})
        out.append({"name": "a confidence level above 0.999", "input": data,
                    "params": interval_params({"confidence": "0.9999"}),
                    "error": {"code": "invalid_parameter", "path": "params.confidence"}})
    return out


# ---- contribution.share and contribution.roas ------------------------------------------------

def divide_at(n: Fraction, d: Fraction, scale: int) -> str | None:
    """n / d at `scale` places, half to even; None for a zero denominator."""
    return None if d == 0 else mv.fixed(Fraction(n) / Fraction(d), scale)


def units(text: str) -> Fraction:
    return Fraction(text)


def contribution_cases() -> dict[str, list[dict]]:
    data = dataset(30, 5)
    params = interval_params({"model": "linear"})
    attribution = expected("linear", data, {k: v for k, v in params.items() if k != "model"})
    bounds = attribution["intervals"]
    reps, seed = params["replicates"], params["seed"]
    per_journey = [weights(j["journey_id"], seed, reps) for j in data["journeys"]]
    names = [c["channel"] for c in data["channels"]]
    rows_n = len(attribution["channels"])
    value_shares: list[list[int]] = [[] for _ in range(rows_n)]
    every = True
    for r in range(reps):
        _, value_c, tot = credit("linear", params, data, [w[r] for w in per_journey])
        every &= tot["value"] > 0
        for i in range(rows_n):
            if tot["value"] > 0:
                value_shares[i].append(half_even(value_c[i], tot["value"] * 10**6))
    k = max(1, math.ceil(reps * (1 - Fraction(params["confidence"])) / 2))
    header = {key: bounds[key] for key in ("method", "replicates", "confidence", "seed")}
    # contribution.share
    values = [c["value"] for c in attribution["channels"]]
    total = attribution["totals"]["value"]
    cents_of = [int(Fraction(v) * 100) for v in values]
    shares = split_units(10**6, cents_of) if any(cents_of) else None
    share_rows = []
    for i, b in enumerate(bounds["channels"]):
        sv = sorted(value_shares[i])
        share_rows.append({"channel": b["channel"], "value_low": b["value_low"], "value_high": b["value_high"],
                           "share_low": at(sv[k - 1], 6) if every else None,
                           "share_high": at(sv[reps - k], 6) if every else None})
    share = {"model": "linear", "currency": "EUR",
             "channels": [{"channel": c["channel"], "value": c["value"],
                           "share": at(shares[i], 6) if shares else None,
                           "reason": None if shares else "zero_denominator"}
                          for i, c in enumerate(attribution["channels"])],
             "total_value": total, "intervals": {**header, "channels": share_rows}, "rows": attribution["rows"]}
    # contribution.roas: costs for three channels, none for the last
    costs = {"search": "120.00", "email": "15.50", "direct": "0.00"}
    roas_input = {**data, "costs": [{"channel": c, "cost": v} for c, v in costs.items()]}
    lines, roas_rows = [], []
    tc = tv = tconv = Fraction(0)
    for c, b in zip(attribution["channels"], bounds["channels"]):
        cost = units(costs.get(c["channel"], "0.00"))
        value, conv = units(c["value"]), units(c["conversions"])
        tc, tv, tconv = tc + cost, tv + value, tconv + conv
        lines.append(roas_line(c["channel"], cost, value, conv))
        roas_rows.append({"channel": b["channel"], "value_low": b["value_low"], "value_high": b["value_high"],
                          "roas_low": divide_at(units(b["value_low"]), cost, 6),
                          "roas_high": divide_at(units(b["value_high"]), cost, 6),
                          "cpa_low": divide_at(cost, units(b["conversions_high"]), 2),
                          "cpa_high": divide_at(cost, units(b["conversions_low"]), 2)})
    overall = roas_line(None, tc, tv, tconv)
    roas = {"model": "linear", "currency": "EUR", "channels": lines, "overall": overall,
            "intervals": {**header, "channels": roas_rows}, "rows": attribution["rows"]}
    name = "intervals of linear attribution on thirty journeys"
    return {
        "contribution.share": [{"name": name, "input": data, "params": params, "expected": share}],
        "contribution.roas": [{"name": name, "input": roas_input, "params": params, "expected": roas}],
    }


def roas_line(channel: str | None, cost: Fraction, value: Fraction, conv: Fraction) -> dict:
    roas = divide_at(value, cost, 6)
    cpa = divide_at(cost, conv, 2)
    line = {"cost": at(int(cost * 100), 2), "value": at(int(value * 100), 2), "conversions": at(int(conv * 10**6), 6),
            "roas": roas, "roas_reason": None if roas else "zero_cost",
            "cpa": cpa, "cpa_reason": None if cpa else "zero_conversions"}
    return line if channel is None else {"channel": channel, **line}


def main() -> None:
    check_core_table()
    for model in MODELS:
        path = ROOT / "vectors" / f"attribution.{model}" / "intervals.json"
        doc = {"kpi": f"attribution.{model}",
               "description": "Confidence intervals (parameter intervals), computed by spec/gen/interval_vectors.py "
                              "independently of the core: the replicate weights from their definition, each "
                              "replicate's credit exactly.",
               "cases": cases(model)}
        path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
        print(path.relative_to(ROOT.parent), len(doc["cases"]), "cases")
    for kpi, kpi_cases in contribution_cases().items():
        path = ROOT / "vectors" / kpi / "intervals.json"
        doc = {"kpi": kpi, "description": "Confidence intervals (parameter intervals) of the model's attribution, "
                                          "computed by spec/gen/interval_vectors.py independently of the core.",
               "cases": kpi_cases}
        path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
        print(path.relative_to(ROOT.parent), len(doc["cases"]), "cases")


if __name__ == "__main__":
    main()
