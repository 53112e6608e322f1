"""Vectors of attribution.markov at orders 2 to 4, computed independently of the Rust core.

The chain is built from the definition (windows of `order` channels, repeats collapsed unless
told otherwise, a journey with c conversions adding c to each of its transitions and to its last
state -> CONVERSION, one without adding 1 and 1 to last -> NULL) and solved two ways:

- small cases with exact fractions (Python's ``fractions``): Gaussian elimination on (I - Q) x = r
  over rationals, so removal effects and the credit are exact before the one rounding;
- one larger case (8 channels, order 3, 400 journeys; a strongly connected component of more
  than 200 states, so the core solves it by sweeps) with a float solve by NumPy, each figure
  checked to lie more than 1e-9 from a rounding boundary, so the float's error cannot change it.

Credit follows the definition: conversions_k = RE_k / sum RE x total conversions, at 6 places
by largest remainder (ties to the earliest channel), value likewise at the minor unit; share =
credit / total at 6 places, half to even.

Run from the repository root: ``python3 spec/gen/markov_vectors.py`` (``.venv/bin/python`` for
the NumPy case). It rewrites ``vectors/attribution.markov/orders.json``.
"""

from __future__ import annotations

import json
import random
from fractions import Fraction
from pathlib import Path

SCALE = 6
OUT = Path(__file__).resolve().parent.parent / "vectors" / "attribution.markov" / "orders.json"


def fixed(q: Fraction, scale: int = SCALE) -> str:
    """``q`` at ``scale`` places, half to even (``round`` of a Fraction is exact)."""
    units = round(q * 10**scale)
    return at_scale(units, scale)


def at_scale(units: int, scale: int) -> str:
    sign = "-" if units < 0 else ""
    digits = str(abs(units)).rjust(scale + 1, "0")
    return f"{sign}{digits[:-scale]}.{digits[-scale:]}" if scale else f"{sign}{digits}"


def largest_remainder(parts: list[Fraction], total_units: int) -> list[int]:
    """``parts`` (summing to ``total_units``) as integers summing to it: floors, then one unit
    each to the largest remainders, ties to the earliest."""
    floors = [p.numerator // p.denominator for p in parts]
    left = total_units - sum(floors)
    order = sorted(range(len(parts)), key=lambda i: (-(parts[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return floors


# ---- the chain ------------------------------------------------------------------------------

def windows(channels: list[int], order: int, collapse: bool) -> list[tuple[int, ...]]:
    path: list[int] = []
    for c in channels:
        if collapse and path and path[-1] == c:
            continue
        path.append(c)
    if len(path) < order:
        return [tuple(path)]
    return [tuple(path[i:i + order]) for i in range(len(path) - order + 1)]


def counts(journeys: list[tuple[list[int], int]], order: int, collapse: bool):
    transitions: dict[tuple[tuple, tuple], int] = {}
    conversion: dict[tuple, int] = {}
    null: dict[tuple, int] = {}
    for channels, conv in journeys:
        weight = max(conv, 1)
        previous: tuple = ()
        for state in windows(channels, order, collapse):
            transitions[(previous, state)] = transitions.get((previous, state), 0) + weight
            previous = state
        if conv > 0:
            conversion[previous] = conversion.get(previous, 0) + conv
        else:
            null[previous] = null.get(previous, 0) + 1
    states = sorted({s for pair in transitions for s in pair} | set(conversion) | set(null) | {()})
    return states, transitions, conversion, null


def solve_exact(states, transitions, conversion, null, removed) -> Fraction:
    """P(CONVERSION from START) with the `removed` states sent to NULL, over rationals."""
    kept = [s for s in states if s == () or not removed(s)]
    pos = {s: i for i, s in enumerate(kept)}
    total = out_totals(states, transitions, conversion, null)
    m = len(kept)
    a = [[Fraction(int(i == j)) for j in range(m)] for i in range(m)]
    b = [Fraction(conversion.get(s, 0), total[s]) for s in kept]
    for (f, t), n in transitions.items():
        if f in pos and t in pos:
            a[pos[f]][pos[t]] -= Fraction(n, total[f])
    for col in range(m):
        pivot = next(r for r in range(col, m) if a[r][col] != 0)
        a[col], a[pivot] = a[pivot], a[col]
        b[col], b[pivot] = b[pivot], b[col]
        for r in range(m):
            if r != col and a[r][col] != 0:
                f = a[r][col] / a[col][col]
                a[r] = [x - f * y for x, y in zip(a[r], a[col])]
                b[r] -= f * b[col]
    return b[pos[()]] / a[pos[()]][pos[()]]


def solve_float(states, transitions, conversion, null, removed) -> float:
    import numpy as np

    kept = [s for s in states if s == () or not removed(s)]
    pos = {s: i for i, s in enumerate(kept)}
    total = out_totals(states, transitions, conversion, null)
    a = np.eye(len(kept))
    b = np.array([conversion.get(s, 0) / total[s] for s in kept])
    for (f, t), n in transitions.items():
        if f in pos and t in pos:
            a[pos[f], pos[t]] -= n / total[f]
    return float(np.linalg.solve(a, b)[pos[()]])


def out_totals(states, transitions, conversion, null) -> dict[tuple, int]:
    total = {s: conversion.get(s, 0) + null.get(s, 0) for s in states}
    for (f, _), n in transitions.items():
        total[f] += n
    return total


def largest_component(states, transitions) -> int:
    """Size of the largest strongly connected component (Kosaraju, iterative)."""
    succ: dict[tuple, list] = {s: [] for s in states}
    pred: dict[tuple, list] = {s: [] for s in states}
    for f, t in transitions:
        succ[f].append(t)
        pred[t].append(f)
    seen: set = set()
    finish: list = []
    for root in states:
        if root in seen:
            continue
        seen.add(root)
        stack = [(root, iter(succ[root]))]
        while stack:
            node, it = stack[-1]
            nxt = next((w for w in it if w not in seen), None)
            if nxt is None:
                finish.append(node)
                stack.pop()
            else:
                seen.add(nxt)
                stack.append((nxt, iter(succ[nxt])))
    assigned: set = set()
    best = 0
    for root in reversed(finish):
        if root in assigned:
            continue
        size, stack = 0, [root]
        assigned.add(root)
        while stack:
            node = stack.pop()
            size += 1
            for w in pred[node]:
                if w not in assigned:
                    assigned.add(w)
                    stack.append(w)
        best = max(best, size)
    return best


# ---- a case ---------------------------------------------------------------------------------

def expected(names, journeys, values, order, collapse, exact, matrix) -> dict:
    """The whole expected result of one case."""
    states, transitions, conversion, null = counts(journeys, order, collapse)
    solve = solve_exact if exact else solve_float
    full = solve(states, transitions, conversion, null, lambda s: False)
    effects = []
    for c in range(len(names)):
        if not any(c in s for s in states) or full <= 0:
            effects.append(Fraction(0) if exact else 0.0)
            continue
        without = solve(states, transitions, conversion, null, lambda s, c=c: c in s)
        effects.append(1 - without / full)
    if not exact:
        for v in [full, *effects]:
            off = v * 10**SCALE - round(v * 10**SCALE)
            assert 0.5 - abs(off) > 1e-6, f"{v} is too close to a rounding boundary for a float solve"
        effects_q = [Fraction(e).limit_denominator(10**15) for e in effects]
    else:
        effects_q = effects
    total_conv = sum(conv for _, conv in journeys)
    total_value = sum(values)  # in cents
    weight = sum(effects_q)
    conv_units = largest_remainder([e / weight * total_conv * 10**SCALE for e in effects_q], total_conv * 10**SCALE)
    value_units = largest_remainder([e / weight * total_value for e in effects_q], total_value)
    if not exact:
        for e in effects_q:
            for part in (e / weight * total_conv * 10**SCALE, e / weight * total_value):
                frac = part - (part.numerator // part.denominator)
                assert min(frac, 1 - frac) > Fraction(1, 10**6), "float credit too close to a unit"
    result = {
        "model": "attribution.markov",
        "currency": "EUR",
        "channels": [
            {"channel": n, "conversions": at_scale(cu, SCALE), "value": at_scale(vu, 2),
             "share": fixed(Fraction(e) / weight)}
            for n, cu, vu, e in zip(names, conv_units, value_units, effects_q)
        ],
        "totals": {"conversions": at_scale(total_conv * 10**SCALE, SCALE), "value": at_scale(total_value, 2)},
        "journeys": {"read": len(journeys), "converting": sum(1 for _, c in journeys if c > 0), "unattributed": 0},
        "order": order,
        "states": len(states),
        "conversion_probability": fixed(Fraction(full)),
        "removal_effects": [{"channel": n, "removal_effect": fixed(Fraction(e))} for n, e in zip(names, effects)],
        "transition_matrix": matrix_rows(names, states, transitions, conversion, null) if matrix else [],
        "rows": {"read": len(journeys), "used": len(journeys), "rejected": 0},
    }
    return result, largest_component(states, transitions), len(states)


def matrix_rows(names, states, transitions, conversion, null) -> list[dict]:
    total = out_totals(states, transitions, conversion, null)
    label = lambda s: ">".join(names[c] for c in s) if s else "(start)"  # noqa: E731
    rows = []
    for f in states:
        targets = sorted((t, n) for (ff, t), n in transitions.items() if ff == f)
        ends = [(label(t), n) for t, n in targets] + [("(conversion)", conversion.get(f, 0)), ("(null)", null.get(f, 0))]
        for to, n in ends:
            if n:
                rows.append({"from": label(f), "to": to, "count": n, "probability": fixed(Fraction(n, total[f]))})
    return rows


def generated(seed: int, channels: int, count: int, longest: int) -> tuple[list, list]:
    """Deterministic journeys: channel ids, conversions (0 to 2) and values in cents."""
    rng = random.Random(seed)
    journeys, values = [], []
    for _ in range(count):
        path = [rng.randrange(channels) for _ in range(rng.randint(1, longest))]
        conv = rng.choice([0, 0, 0, 1, 1, 2])
        journeys.append((path, conv))
        values.append(rng.randint(100, 20000) if conv else 0)
    return journeys, values


def case(name, description, names, journeys, values, order, collapse=True, exact=True, matrix=True,
         least_component=0) -> dict:
    want, component, states = expected(names, journeys, values, order, collapse, exact, matrix)
    assert component >= least_component, f"{name}: largest component {component} < {least_component}"
    doc_journeys = []
    for i, ((path, conv), value) in enumerate(zip(journeys, values)):
        j = {"journey_id": f"j{i + 1}",
             "touches": [{"channel": names[c], "timestamp": 1_000_000 * i + 60 * k} for k, c in enumerate(path)],
             "conversions": conv}
        if conv:
            j["value"] = at_scale(value, 2)
        doc_journeys.append(j)
    params: dict = {"order": order}
    if not collapse:
        params["collapse_repeats"] = False
    if not matrix:
        params["transition_matrix"] = False
    print(f"{name}: {states} states, largest component {component}")
    return {"name": name, "description": description,
            "input": {"channels": [{"channel": n, "group": "online"} for n in names], "currency": "EUR",
                      "journeys": doc_journeys},
            "params": params, "expected": want}


def hand_checked() -> None:
    """A chain small enough to solve by hand: A>B converts twice, B once, A>B... fails once.

    Order 2, paths A>B (2 conversions), B (1), A>B (0): states (start), (A,B), (B,).
    P(conv | A,B) = 2/3, P(conv | B) = 1; START -> (A,B) 3/4, -> (B) 1/4: P = 3/4*2/3 + 1/4 = 3/4.
    Without A: only (B) is left: P = 1/4, RE_A = 2/3; without B: P = 0, RE_B = 1.
    """
    names = ["A", "B"]
    states, tr, conv, null = counts([([0, 1], 2), ([1], 1), ([0, 1], 0)], 2, True)
    assert solve_exact(states, tr, conv, null, lambda s: False) == Fraction(3, 4)
    assert solve_exact(states, tr, conv, null, lambda s: 0 in s) == Fraction(1, 4)
    assert solve_exact(states, tr, conv, null, lambda s: 1 in s) == 0
    want, _, _ = expected(names, [([0, 1], 2), ([1], 1), ([0, 1], 0)], [3000, 1000, 0], 2, True, True, True)
    # RE 2/3 and 1: credit 3 x (2/5, 3/5) = 1.2 and 1.8; value 40.00 x (2/5, 3/5).
    assert [c["conversions"] for c in want["channels"]] == ["1.200000", "1.800000"]
    assert [c["value"] for c in want["channels"]] == ["16.00", "24.00"]


def main() -> None:
    hand_checked()
    four = ["search", "social", "email", "store"]
    eight = ["search", "social", "email", "display", "affiliate", "store", "call_centre", "app"]
    cases = []
    j, v = generated(21, 3, 14, 5)
    cases.append(case("order 2 with loops", "Three channels, journeys up to 5 touches that come back to a channel: exact fractions.",
                      ["web", "store", "app"], j, v, 2))
    j, v = generated(22, 3, 60, 9)
    cases.append(case("order 3", "Three channels, 60 journeys up to 9 touches, with loops of windows: exact fractions.",
                      ["web", "store", "app"], j, v, 3, least_component=5))
    j, v = generated(23, 3, 60, 10)
    cases.append(case("order 4, repeats kept", "Windows of 4 with repeats kept, with loops of windows: exact fractions.",
                      ["web", "store", "app"], j, v, 4, collapse=False, least_component=5))
    j, v = generated(24, 4, 25, 4)
    cases.append(case("order 4 above most journeys' length",
                      "Most journeys are shorter than the order: each such path is one state of its own length.",
                      four, j, v, 4))
    j, v = generated(25, 8, 400, 9)
    cases.append(case("order 3, a component of hundreds of states",
                      "Eight channels, 400 journeys: one strongly connected component of more than 200 states, "
                      "solved by sweeps in the core and by a dense float solve here (each figure more than 1e-6 of a "
                      "unit from a rounding boundary).",
                      eight, j, v, 3, exact=False, matrix=False, least_component=201))
    doc = {"kpi": "attribution.markov",
           "description": "Orders 2 to 4, computed by spec/gen/markov_vectors.py independently of the core "
                          "(exact fractions; a float solve for the large case).",
           "cases": cases}
    OUT.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
