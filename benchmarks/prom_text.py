"""Just enough of the Prometheus text format for benchmarks/bench_e2e.py: samples of chosen
metrics, deltas between two scrapes, and histogram quantiles as histogram_quantile() computes
them."""

import re

SAMPLE = re.compile(r"^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)")
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def parse_metrics(text, names):
    """{(name, frozenset(labels)): value} for the samples whose metric name is in `names`."""
    out = {}
    for line in text.splitlines():
        if not line or line[0] == "#":
            continue
        m = SAMPLE.match(line)
        if not m or m.group(1) not in names:
            continue
        labels = frozenset(LABEL.findall(m.group(2) or ""))
        out[(m.group(1), labels)] = out.get((m.group(1), labels), 0.0) + float(m.group(3))
    return out


def select(samples, name, **want):
    """[(labels dict, value)] of `name` whose labels include `want`."""
    rows = []
    for (n, labels), v in samples.items():
        d = dict(labels)
        if n == name and all(d.get(k) == v2 for k, v2 in want.items()):
            rows.append((d, v))
    return rows


def delta(after, before):
    return {k: v - before.get(k, 0.0) for k, v in after.items()}


def histogram(samples, name, **want):
    """(buckets [(le, cumulative count)], count, sum) summed over the series matching `want`
    (labels other than le)."""
    buckets = {}
    for d, v in select(samples, name + "_bucket", **want):
        le = float("inf") if d["le"] == "+Inf" else float(d["le"])
        buckets[le] = buckets.get(le, 0.0) + v
    count = sum(v for _, v in select(samples, name + "_count", **want))
    total = sum(v for _, v in select(samples, name + "_sum", **want))
    return sorted(buckets.items()), count, total


def quantile(buckets, q):
    """histogram_quantile: linear interpolation inside the bucket holding rank q * count;
    inf when that is the +Inf bucket (beyond the largest bound)."""
    if not buckets or buckets[-1][1] <= 0:
        return None
    rank = q * buckets[-1][1]
    prev_le, prev_c = 0.0, 0.0
    for le, c in buckets:
        if c >= rank:
            if le == float("inf"):
                return float("inf")  # beyond the largest bound
            if c == prev_c:
                return le
            return prev_le + (le - prev_le) * (rank - prev_c) / (c - prev_c)
        prev_le, prev_c = le, c
    return buckets[-1][0]
