"""Vectors of attribution.markov_order, computed independently of the Rust core.

Each journey is its events (its channels, repeats collapsed unless told otherwise, then
CONVERSION or NULL), weighted max(conversions, 1); its fold is FNV-1a 64 of its id modulo
`folds`. Per order k and fold, every held-out event is predicted from the k channels before it
by the other folds' counts plus 1/2 (Krichevsky-Trofimov), and log-likelihoods are summed per
fold over the sorted (context, event) pairs, then over folds: the definition's order, written
again here with Python's ``math.log``. Each figure is checked to lie more than 1e-6 of a unit
from a rounding boundary at 6 places, so a last-bit difference between two ``log``s cannot
change it.

Run from the repository root: ``python3 spec/gen/markov_order_vectors.py``. It rewrites
``vectors/attribution.markov_order/{basic,edge_cases,errors}.json``.
"""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "vectors" / "attribution.markov_order"
MASK = (1 << 64) - 1


def fnv1a(data: bytes) -> int:
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & MASK
    return h


def six(x: float) -> str:
    """``x`` at 6 places, after checking it is not within 1e-6 of a unit of a tie."""
    scaled = x * 10**6
    assert 0.5 - abs(scaled - round(scaled)) > 1e-6, f"{x} is too close to a rounding boundary"
    units = round(scaled)
    sign = "-" if units < 0 else ""
    digits = str(abs(units)).rjust(7, "0")
    return f"{sign}{digits[:-6]}.{digits[-6:]}"


def collapse(path: list[int]) -> list[int]:
    out: list[int] = []
    for c in path:
        if not out or out[-1] != c:
            out.append(c)
    return out


def chain_states(paths: list[list[int]], order: int) -> int:
    """States of the order-k chain (START, each window, each path shorter than k)."""
    states = {()}
    for p in paths:
        if len(p) < order:
            states.add(tuple(p))
        else:
            states.update(tuple(p[i:i + order]) for i in range(len(p) - order + 1))
    return len(states)


def selection(n_channels: int, journeys: list[tuple[str, list[int], int]], max_order: int, folds: int,
              collapse_repeats: bool) -> dict:
    paths = [collapse(p) if collapse_repeats else list(p) for _, p, _ in journeys]
    fold_of = [fnv1a(i.encode()) % folds for i, _, _ in journeys]
    weights = [max(c, 1) for _, _, c in journeys]
    events = sum((len(p) + 1) * w for p, w in zip(paths, weights))
    conversion, null = n_channels, n_channels + 1
    orders, best = [], None
    for k in range(1, max_order + 1):
        pairs: dict[tuple, list[int]] = {}
        contexts: dict[tuple, list[int]] = {}
        for p, (_, _, conv), f, w in zip(paths, journeys, fold_of, weights):
            for t in range(len(p) + 1):
                ctx = tuple(p[max(0, t - k):t])
                event = p[t] if t < len(p) else (conversion if conv > 0 else null)
                pairs.setdefault((ctx, event), [0] * folds)[f] += w
                contexts.setdefault(ctx, [0] * folds)[f] += w
        per_fold = [0.0] * folds
        outcomes = (n_channels + 2) * 0.5
        for (ctx, event) in sorted(pairs):
            held, all_ = pairs[(ctx, event)], sum(pairs[(ctx, event)])
            ctx_held, ctx_all = contexts[ctx], sum(contexts[ctx])
            for f in range(folds):
                if held[f]:
                    p = ((all_ - held[f]) + 0.5) / ((ctx_all - ctx_held[f]) + outcomes)
                    per_fold[f] += held[f] * math.log(p)
        ll = sum(per_fold)
        if best is None or ll > best[1]:
            best = (k, ll)
        orders.append({"order": k, "states": chain_states(paths, k), "log_likelihood": six(ll),
                       "cross_entropy": six(-ll / events)})
    return {"orders": orders, "recommended_order": best[0], "events": events, "folds": folds,
            "journeys": {"read": len(journeys), "converting": sum(1 for _, _, c in journeys if c > 0)},
            "rows": {"read": len(journeys), "used": len(journeys), "rejected": 0}}


def document(names: list[str], journeys: list[tuple[str | None, list[int], int]]) -> dict:
    out = []
    for n, (jid, path, conv) in enumerate(journeys):
        j: dict = {}
        if jid is not None:
            j["journey_id"] = jid
        j["touches"] = [{"channel": names[c], "timestamp": 1_000_000 * n + 60 * k} for k, c in enumerate(path)]
        j["conversions"] = conv
        if conv:
            j["value"] = "10.00"
        out.append(j)
    return {"channels": [{"channel": c, "group": "online"} for c in names], "currency": "EUR", "journeys": out}


def case(name: str, description: str, names: list[str], journeys, params: dict, recommended: int | None = None) -> dict:
    full = {"max_order": 4, "folds": 5, "collapse_repeats": True, **params}
    want = selection(len(names), journeys, full["max_order"], full["folds"], full["collapse_repeats"])
    if recommended is not None:
        assert want["recommended_order"] == recommended, (name, want)
    print(name, want["recommended_order"], [o["cross_entropy"] for o in want["orders"]])
    return {"name": name, "description": description, "input": document(names, journeys), "params": params,
            "expected": want}


def error(name: str, names, journeys, params: dict, code: str, path: str) -> dict:
    return {"name": name, "input": document(names, journeys), "params": params,
            "error": {"code": code, "path": path}}


def second_order(count: int, seed: int) -> list:
    """The next channel follows the two before it (9 times in 10); each step continues with
    probability 3/4 wherever the journey is (so its length tells nothing); conversion after C."""
    rng = random.Random(seed)
    rule = {(a, b): (a + 2 * b + 1) % 3 for a in range(3) for b in range(3)}
    out = []
    for i in range(count):
        path = [rng.randrange(3)]
        while rng.random() < 0.75:
            if len(path) >= 2 and rng.random() < 0.9:
                nxt = rule[(path[-2], path[-1])]
            else:
                nxt = rng.randrange(3)
            if nxt == path[-1]:
                nxt = (nxt + 1) % 3
            path.append(nxt)
        conv = 1 if path[-1] == 2 and rng.random() < 0.7 else 0
        out.append((f"u{i}", path, conv))
    return out


def memoryless(count: int, seed: int) -> list:
    rng = random.Random(seed)
    out = []
    for i in range(count):
        path = [rng.randrange(4) for _ in range(rng.randint(1, 6))]
        out.append((f"m{i}", path, rng.choice([0, 0, 1, 2])))
    return out


def hand_checked() -> None:
    """Two journeys, two folds, order 1, one channel: each fold predicts the other's events.

    Ids "a" and "b" fall in different folds (asserted). a = [x] converting, b = [x] not. Outcomes: x, CONVERSION, NULL (C + 2 = 3).
    With a held out, trained on b: from START, x seen once: P = 1.5 / (1 + 1.5) = 0.6;
    from (x), CONVERSION never seen: P = 0.5 / 2.5 = 0.2. With b held out likewise: NULL after (x): 0.2.
    ll = 2 ln 0.6 + 2 ln 0.2.
    """
    assert fnv1a(b"a") == 0xAF63DC4C8601EC8C  # FNV-1a's published value
    assert fnv1a(b"a") % 2 != fnv1a(b"b") % 2
    got = selection(1, [("a", [0], 1), ("b", [0], 0)], 1, 2, True)
    want = 2 * math.log(0.6) + 2 * math.log(0.2)
    assert got["orders"][0]["log_likelihood"] == six(want), (got, want)
    assert got["events"] == 4


def main() -> None:
    hand_checked()
    OUT.mkdir(parents=True, exist_ok=True)
    abc = ["web", "store", "app"]
    basic = [
        case("second order pattern", "The next channel follows the two before it nine times in ten: order 2 wins.",
             abc, second_order(400, 31), {"max_order": 3}, recommended=2),
        case("no memory", "Channels drawn independently: every higher order spreads the same counts thinner.",
             ["web", "store", "app", "email"], memoryless(300, 32), {"max_order": 3}, recommended=1),
        case("two folds, by hand", "a converts, b does not; each fold predicts the other: 2 ln 0.6 + 2 ln 0.2.",
             ["web"], [("a", [0], 1), ("b", [0], 0)], {"max_order": 1, "folds": 2}),
    ]
    edge = [
        case("unseen channel in a fold", "app appears in one journey only: held out, it keeps probability 1/2 over the pseudo-counts.",
             abc, [("j1", [0, 1], 1), ("j2", [0, 1], 0), ("j3", [1, 0], 0), ("j4", [0, 2, 1], 1), ("j5", [1], 0), ("j6", [0], 1)],
             {"max_order": 2, "folds": 3}),
        case("fewer journeys than folds", "Three journeys in ten folds: empty folds add nothing.",
             abc, [("j1", [0, 1], 1), ("j2", [1, 2], 0), ("j3", [2], 2)], {"max_order": 2, "folds": 10}),
        case("repeats kept", "Without collapsing, a repeated channel is an event of its own.",
             abc, [("j1", [0, 0, 1], 1), ("j2", [0, 1, 1], 0), ("j3", [1, 1, 1], 0), ("j4", [2, 0, 0], 3), ("j5", [0, 0], 0)],
             {"max_order": 2, "folds": 2, "collapse_repeats": False}),
    ]
    small = [("j1", [0, 1], 1), ("j2", [1, 2], 0), ("j3", [2, 0, 1], 0)]
    errors = [
        error("journey without id", abc, [("j1", [0], 1), (None, [1], 0)], {}, "missing_field", "input.journeys[1].journey_id"),
        error("order above 4", abc, small, {"max_order": 5}, "invalid_parameter", "params.max_order"),
        error("one fold", abc, small, {"folds": 1}, "invalid_parameter", "params.folds"),
        error("too many states", abc, small, {"max_states": 3}, "limit_exceeded", "params.max_states"),
    ]
    for file, cases, what in [("basic", basic, "Normal cases"), ("edge_cases", edge, "Edge cases listed in the definition"),
                              ("errors", errors, "Bad input")]:
        doc = {"kpi": "attribution.markov_order",
               "description": f"{what} of attribution.markov_order, from spec/gen/markov_order_vectors.py (independent of the core).",
               "cases": cases}
        (OUT / f"{file}.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
