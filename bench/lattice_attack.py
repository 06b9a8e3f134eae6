#!/usr/bin/env python3
"""Whole-number solving of published model equations (issue 12): how often lattice reduction
recovers every count of a set from the score equations of fixed-alpha negative binomial fits
(theta 1) of several designs over it, by set size and by the digits the coefficients are
published to. The measurements behind the release budget's cost of such equations
(core/disclosure_budget.h, KnownWeightsCost). Standard library only.

  bench/lattice_attack.py --sizes 20,30,50,80 --digits full,6,4 --designs 1,3,7 --seeds 4

Each subject has four whole-number case attributes (age 18-60, times discussed 1-5, plan 0-3,
life domains 0-8) and a Poisson count with mean exp(-1 + 0.02 age + 0.2 td + 0.1 plan + 0.05 ld)
(mean about 2.5). The analyst knows the attributes, the published b (rounded) and the total;
the attack is LLL on the embedding [I | M A^T | 1000 | 0 ; -c | -M rhs | -1000 total | 1],
with M the inverse of each equation's error at the rounded b (capped at 1e6), and c the
rounded mean. Prints, per size, digits and designs, how many seeds gave every count."""
import argparse
import math
import random

THETA = 1.0
CAP = 1e6
DESIGNS = [[0, 1, 2, 3], [0, 1], [2, 3], [0, 2], [1, 3], [0, 3], [1, 2]]


def lll(b, delta=0.99):
    """LLL (Cohen 2.6.3, Gram-Schmidt coefficients updated in place) on integer rows b."""
    n = len(b)
    mu = [[0.0] * n for _ in range(n)]
    norm = [0.0] * n
    star = []
    for i in range(n):
        v = [float(x) for x in b[i]]
        for j in range(i):
            mu[i][j] = sum(x * y for x, y in zip(b[i], star[j])) / norm[j] if norm[j] > 0 else 0.0
            v = [x - mu[i][j] * y for x, y in zip(v, star[j])]
        star.append(v)
        norm[i] = sum(x * x for x in v)

    def reduce(k, l):
        q = round(mu[k][l])
        if q:
            b[k] = [x - q * y for x, y in zip(b[k], b[l])]
            mu[k][l] -= q
            for i in range(l):
                mu[k][i] -= q * mu[l][i]

    k = 1
    while k < n:
        reduce(k, k - 1)
        m = mu[k][k - 1]
        if norm[k] < (delta - m * m) * norm[k - 1]:
            joined = norm[k] + m * m * norm[k - 1]
            b[k], b[k - 1] = b[k - 1], b[k]
            for j in range(k - 1):
                mu[k][j], mu[k - 1][j] = mu[k - 1][j], mu[k][j]
            if joined > 0:
                mu[k][k - 1] = m * norm[k - 1] / joined
                norm[k] = norm[k - 1] * norm[k] / joined
                norm[k - 1] = joined
            for i in range(k + 1, n):
                t = mu[i][k]
                mu[i][k] = mu[i][k - 1] - m * t
                mu[i][k - 1] = t + mu[k][k - 1] * mu[i][k]
            k = max(1, k - 1)
        else:
            for l in range(k - 2, -1, -1):
                reduce(k, l)
            k += 1
    return b


def solve_counts(equations, total, n, scales=(1.0,)):
    """Whole, non-negative counts with the given total that meet each (weights, rhs, bound)
    equation within its bound, by LLL on the embedding
    [I | M A^T | 1000 | 0 ; -c | -M rhs | -1000 total | 1] (M: each equation's scale over its
    bound, capped at 1e6; c the rounded mean). Each scale in turn; the first candidate that
    meets every equation, or None."""
    centre = round(total / n)
    for scale in scales:
        basis = []
        for i in range(n):
            row = [0] * n
            row[i] = 1
            row += [round(min(scale / e, CAP) * w[i]) for w, _, e in equations] + [1000, 0]
            basis.append(row)
        basis.append([-centre] * n + [-round(min(scale / e, CAP) * r) for _, r, e in equations] +
                     [-1000 * total, 1])
        lll(basis)
        for row in basis:
            if abs(row[-1]) != 1:
                continue
            cand = [row[-1] * v + centre for v in row[:n]]
            if min(cand) < 0:
                continue
            if all(abs(sum(wi * ci for wi, ci in zip(w, cand)) - r) <= e for w, r, e in equations):
                return cand
    return None


def rounded(x, digits):
    return x if digits is None or x == 0 else float("%.*g" % (digits, x))


def poisson(rng, lam):
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def fit(x, y):
    """Fixed-alpha negative binomial fit (theta 1) by Newton's method."""
    n, p = len(x), len(x[0])
    b = [math.log(max(sum(y) / n, 0.1))] + [0.0] * (p - 1)
    for _ in range(200):
        mu = [math.exp(sum(a * c for a, c in zip(r, b))) for r in x]
        g = [sum(r[j] * (yi - m) / (1 + m / THETA) for r, yi, m in zip(x, y, mu)) for j in range(p)]
        h = [[sum(r[i] * r[j] * m / (1 + m / THETA) for r, m in zip(x, mu)) for j in range(p)]
             for i in range(p)]
        a = [row[:] + [gi] for row, gi in zip(h, g)]
        for i in range(p):
            piv = max(range(i, p), key=lambda r: abs(a[r][i]))
            a[i], a[piv] = a[piv], a[i]
            for r in range(p):
                if r != i:
                    f = a[r][i] / a[i][i]
                    a[r] = [u - f * v for u, v in zip(a[r], a[i])]
        step = [a[i][p] / a[i][i] for i in range(p)]
        b = [u + v for u, v in zip(b, step)]
        if max(abs(v) for v in step) < 1e-14:
            break
    return b


def trial(n, digits, designs, seed):
    rng = random.Random(seed)
    attrs = [[float(rng.randint(18, 60)), float(rng.randint(1, 5)), float(rng.randint(0, 3)),
              float(rng.randint(0, 8))] for _ in range(n)]
    y = [poisson(rng, math.exp(-1 + sum(a * c for a, c in zip(at, [0.02, 0.2, 0.1, 0.05]))))
         for at in attrs]
    equations = []  # (weights, rhs, error)
    for design in DESIGNS[:designs]:
        x = [[1.0] + [at[j] for j in design] for at in attrs]
        b = [rounded(v, digits) for v in fit(x, y)]
        mu = [math.exp(sum(a * c for a, c in zip(r, b))) for r in x]
        for j in range(len(b)):
            w = [r[j] / (1 + m / THETA) for r, m in zip(x, mu)]
            rhs = sum(wi * m for wi, m in zip(w, mu))
            error = abs(sum(wi * yi for wi, yi in zip(w, y)) - rhs)
            equations.append((w, rhs, max(error, 1e-12)))
    return solve_counts(equations, sum(y), n) == y, len(equations)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="20,30,50,80")
    ap.add_argument("--digits", default="full,6,4")
    ap.add_argument("--designs", default="1,3,7")
    ap.add_argument("--seeds", type=int, default=4)
    args = ap.parse_args()
    for designs in [int(v) for v in args.designs.split(",")]:
        for n in [int(v) for v in args.sizes.split(",")]:
            for d in args.digits.split(","):
                digits = None if d == "full" else int(d)
                results = [trial(n, digits, designs, s) for s in range(args.seeds)]
                k = results[0][1]
                print("n %4d, %2d equations (k/n %.2f), b to %s digits: every count recovered "
                      "in %d of %d" % (n, k, k / n, d, sum(r[0] for r in results), len(results)),
                      flush=True)


if __name__ == "__main__":
    main()
