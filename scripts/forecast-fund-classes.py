#!/usr/bin/env python3
"""Writes synthetic fund-distribution series in long format (unique_id,ds,y), 200 series of
48 monthly points per class, seeded, to the directory given (default ./fund-classes): the
classes the forecasting selection must never lose to plain Naive on (docs/forecasting.md):
  flat                  the same rate per unit, changed now and then (6 % of months)
  flat_special          the same, with a special December distribution (1.5x)
  drift                 a rate drifting upwards with noise
  quarterly_in_monthly  a flat payer that pays every third month (zeros between)
Then: clearway forecast eval --input DIR/flat.csv --horizon 12 --season 12 [--model naive] --out m.csv
"""
import os
import random
import sys


def flat(n):
    v = round(random.uniform(0.02, 0.2), 4)
    y = []
    for _ in range(n):
        if random.random() < 0.06:
            v = round(v * random.choice([1.05, 1.1, 0.9, 1.02]), 4)
        y.append(v)
    return y


def flat_special(n):
    return [v * (1.5 if i % 12 == 11 else 1) for i, v in enumerate(flat(n))]


def drift(n):
    v = random.uniform(0.03, 0.1)
    y = []
    for _ in range(n):
        v *= 1 + random.gauss(0.003, 0.01)
        y.append(round(v, 5))
    return y


def quarterly_in_monthly(n):
    return [v if i % 3 == 2 else 0.0 for i, v in enumerate(flat(n))]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "fund-classes"
    os.makedirs(out, exist_ok=True)
    random.seed(7)
    for g in (flat, flat_special, drift, quarterly_in_monthly):
        with open(os.path.join(out, f"{g.__name__}.csv"), "w") as f:
            f.write("unique_id,ds,y\n")
            for k in range(200):
                for i, v in enumerate(g(48)):
                    f.write(f"{g.__name__}{k},{i + 1},{v}\n")


if __name__ == "__main__":
    main()
