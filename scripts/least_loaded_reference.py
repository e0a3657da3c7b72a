#!/usr/bin/env python3
"""Reference values for chat with least-loaded assignment (src/queueing/least_loaded.rs tests).

Run: python3 scripts/least_loaded_reference.py (needs mpmath). Prints the cases the test holds.

The whole chain, not the Rust code's truncated one: every vector (agents holding 0, 1, ..., k
sessions) a router can reach, each new session to an agent with the fewest, each finish at
s / (1 + slowdown (s - 1)) per AHT for an agent with s sessions, arrivals at full turned away.
Its stationary law is solved in 40-digit arithmetic. Above full the queue is the one-dimensional
chain with death rate R + j theta; its service level is summed over the queue position j a contact
finds, each term with its own regularised incomplete Beta function, as in reference_values.py.
"""
import itertools
import mpmath as mp

mp.mp.dps = 40


def rate(s, slowdown):
    return mp.mpf(0) if s == 0 else mp.mpf(s) / (1 + mp.mpf(slowdown) * (s - 1))


def configs(n, k):
    for bars in itertools.combinations(range(n + k), k):
        parts, prev = [], -1
        for b in bars:
            parts.append(b - prev - 1)
            prev = b
        parts.append(n + k - 1 - prev)
        yield tuple(parts)


def loss_system(n, k, slowdown, load):
    """B = P(m < S)/P(S) and M = E[m; m < S]/P(S) of the loss system."""
    states = list(configs(n, k))
    index = {s: i for i, s in enumerate(states)}
    size = len(states)
    q = mp.zeros(size, size)
    for i, s in enumerate(states):
        low = next((j for j in range(k) if s[j] > 0), None)
        if low is not None:
            t = list(s)
            t[low] -= 1
            t[low + 1] += 1
            q[i, index[tuple(t)]] += load
        for lvl in range(1, k + 1):
            if s[lvl] > 0:
                t = list(s)
                t[lvl] -= 1
                t[lvl - 1] += 1
                q[i, index[tuple(t)]] += s[lvl] * rate(lvl, slowdown)
    for i in range(size):
        q[i, i] = -sum(q[i, j] for j in range(size) if j != i)
    a = q.T
    for j in range(size):
        a[0, j] = 1
    b = mp.zeros(size, 1)
    b[0] = 1
    p = mp.lu_solve(a, b)
    full = index[tuple([0] * k + [n])]
    sessions = [sum(l * c for l, c in enumerate(s)) for s in states]
    below = sum(p[i] for i in range(size) if i != full)
    in_service = sum(p[i] * sessions[i] for i in range(size) if i != full)
    return below / p[full], in_service / p[full]


def case(k, slowdown, n, per_half_hour, aht, patience, within):
    lam = mp.mpf(per_half_hour) / 1800
    mu_load = lam * aht
    below, _ = loss_system(n, k, slowdown, mu_load)
    r_full = n * rate(k, slowdown) / aht
    theta = mp.mpf(1) / patience
    # Queue above full: w_j = prod lam / (R + i theta), j >= 1.
    weights, w, j = [mp.mpf(1)], mp.mpf(1), 0
    while True:
        j += 1
        w *= lam / (r_full + j * theta)
        weights.append(w)
        if j > lam / theta and w < mp.mpf(10) ** -45:
            break
    total = below + sum(weights)
    p_wait = sum(weights) / total
    queue_length = sum(i * wi for i, wi in enumerate(weights)) / total
    p_abandon = theta * queue_length / lam
    c = r_full / theta
    x = 1 - mp.e ** (-theta * within)
    late = sum(
        wi / total * r_full / (r_full + (i + 1) * theta) * mp.betainc(i + 1, c + 1, 0, x, regularized=True)
        for i, wi in enumerate(weights)
    )
    service_level = below / total + late
    return service_level, p_wait, p_abandon


CASES = [
    (2, 0.5, 8, 43.2, 400, 20000, 20),
    (3, 0.25, 6, 60.0, 420, 240, 60),
    (4, 0.5, 5, 55.0, 300, 600, 30),
    (3, 0.5, 12, 140.0, 420, 900, 20),
]

for k, slowdown, n, volume, aht, patience, within in CASES:
    sl, pw, pa = case(k, slowdown, n, volume, aht, patience, within)
    print(
        f"    ({k}, {slowdown}, {n}, {volume}, {aht}.0, {patience}.0, {within}.0, "
        f"{mp.nstr(sl, 15)}, {mp.nstr(pw, 15)}, {mp.nstr(pa, 15)}),"
    )
