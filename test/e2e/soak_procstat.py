"""Quotient's process resources from /proc/<pid>: resident memory, open file descriptors, and
TCP connections to the API server's port (the process's socket inodes matched against
/proc/<pid>/net/tcp{,6}). Samples are kept per process incarnation, so that the slope is
computed within each run of the binary (a restart resets RSS; it is not a leak going away).
Thread-compatible."""

import os
import time

WARMUP_S = 10  # samples this soon after a (re)start are left out of the slope: caches fill


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def socket_inodes(pid):
    inodes, fds = set(), 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        fds += 1
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return fds, inodes


def connections_to(pid, port, inodes):
    """ESTABLISHED TCP connections of `pid` (by socket inode) whose remote port is `port`."""
    n = 0
    for table in ("tcp", "tcp6"):
        try:
            with open(f"/proc/{pid}/net/{table}") as f:
                next(f)
                for line in f:
                    cols = line.split()
                    remote, state, inode = cols[2], cols[3], cols[9]
                    if state == "01" and int(remote.split(":")[1], 16) == port and inode in inodes:
                        n += 1
        except FileNotFoundError:
            continue
    return n


def slope_per_minute(series):
    """Least-squares slope (units per minute) of the points of every incarnation, with one
    intercept per incarnation (the pooled within-incarnation estimator); None if too few."""
    num = den = 0.0
    for points in series:
        if len(points) < 3:
            continue
        tm = sum(t for t, _ in points) / len(points)
        vm = sum(v for _, v in points) / len(points)
        num += sum((t - tm) * (v - vm) for t, v in points)
        den += sum((t - tm) ** 2 for t, _ in points)
    return None if den == 0 else num / den * 60


class Sampler:
    METRICS = ("rss_mib", "fds", "api_conns")

    def __init__(self, api_port):
        self.api_port = api_port
        self.t0 = time.monotonic()
        self.runs = {}  # pid -> {"start": t, metric: [(t, value)]}
        self.samples = 0

    def sample(self, pid):
        """Samples `pid`; False if it is gone."""
        try:
            rss = rss_kib(pid) / 1024
            fds, inodes = socket_inodes(pid)
            conns = connections_to(pid, self.api_port, inodes)
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            return False
        t = time.monotonic() - self.t0
        run = self.runs.setdefault(pid, {"start": t, **{m: [] for m in self.METRICS}})
        for m, v in zip(self.METRICS, (rss, fds, conns)):
            run[m].append((t, v))
        self.samples += 1
        return True

    def stats(self, metric):
        """min, max, slope per minute (after WARMUP_S of each incarnation), last value, and
        each incarnation's peak in start order (a slow leak shows as peaks that grow)."""
        values = [v for run in self.runs.values() for _, v in run[metric]]
        if not values:
            return {"min": None, "max": None, "slope_per_min": None, "last": None,
                    "run_peaks": []}
        warm = [[(t, v) for t, v in run[metric] if t - run["start"] >= WARMUP_S]
                for run in self.runs.values()]
        runs = sorted(self.runs.values(), key=lambda r: r["start"])
        return {"min": min(values), "max": max(values), "slope_per_min": slope_per_minute(warm),
                "last": runs[-1][metric][-1][1] if runs[-1][metric] else None,
                "run_peaks": [max(v for _, v in run[metric]) for run in runs if run[metric]]}

    def longest_run_minutes(self):
        spans = [run["rss_mib"][-1][0] - run["start"] for run in self.runs.values()
                 if run["rss_mib"]]
        return max(spans, default=0) / 60
