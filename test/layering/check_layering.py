#!/usr/bin/env python3
"""Fails when a source file includes a folder its layer may not depend on.

    check_layering.py ROOT

Reads every .h/.cc under ROOT's quota/, gpu/, config/ and extender/ and checks each
`#include "..."` of the project, and each third-party include of the pure layers, against
LAYERS below (the table docs/architecture.md shows as "Layers"). Test code (*_test.cc,
*test_util.h and the fakes) may also include test/support. Prints one line per violation,
`path:line: <folder> may not include <header> (allowed: ...)`, and exits 1 if any.
"""
import os
import re
import sys

# folder -> the project folders its includes may name (itself always allowed). Lowest first.
LAYERS = {
    "text": [],
    "quota": [],
    "gpu": ["quota"],
    "config": ["quota", "gpu", "text"],
    "extender/json": ["quota", "text"],
    "extender/objects": ["extender/json", "quota", "gpu"],
    "extender/wire": ["extender/objects", "extender/json", "quota"],
    "extender/telemetry": ["extender/json", "quota", "text"],
    "extender/kube": ["extender/json", "extender/telemetry"],
    "extender/state": ["extender/kube", "extender/objects", "extender/telemetry", "extender/json",
                       "config", "quota", "gpu"],
    "extender/control": ["extender/state", "extender/wire", "extender/kube", "extender/objects",
                         "extender/telemetry", "extender/json", "config", "quota", "gpu"],
    "extender/devices": ["extender/control", "extender/state", "extender/kube", "extender/objects",
                         "extender/telemetry", "extender/json", "quota", "gpu"],
    "extender/decide": ["extender/devices", "extender/control", "extender/state", "extender/wire",
                        "extender/kube", "extender/objects", "extender/telemetry", "extender/json",
                        "config", "quota", "gpu"],
    "extender/debug": ["extender/wire", "extender/objects", "extender/json", "quota"],
    "extender/http": ["extender/debug", "extender/wire", "extender/objects", "extender/json",
                      "extender/telemetry", "quota"],
    "extender/simulate": ["extender/wire", "extender/objects", "extender/telemetry",
                          "extender/json", "config", "quota", "gpu"],
    "extender/service": ["extender/http", "extender/debug", "extender/decide", "extender/devices",
                         "extender/control", "extender/state", "extender/kube", "extender/wire",
                         "extender/objects", "extender/telemetry", "extender/json", "config",
                         "quota", "gpu"],
    "extender/cli": ["extender/service", "extender/simulate", "extender/http", "extender/debug",
                     "extender/decide", "extender/devices", "extender/control", "extender/state",
                     "extender/kube", "extender/wire", "extender/objects", "extender/telemetry",
                     "extender/json", "config", "quota", "gpu"],
    "extender": ["extender/cli"],  # main.cc only
}

# Third-party headers the pure layers may not include (prefix match on <...>).
FORBIDDEN_SYSTEM = {
    "text": ["boost", "simdjson", "yaml-cpp", "spdlog", "nlohmann", "openssl", "fmt"],
    "quota": ["boost/asio", "boost/beast", "simdjson", "yaml-cpp", "spdlog", "nlohmann",
              "openssl"],
    "gpu": ["boost/asio", "boost/beast", "simdjson", "yaml-cpp", "spdlog", "nlohmann", "openssl"],
    "extender/json": ["boost/asio", "boost/beast", "openssl", "yaml-cpp"],
    "extender/objects": ["boost/asio", "boost/beast", "openssl", "yaml-cpp"],
    "extender/wire": ["boost/asio", "boost/beast", "openssl", "yaml-cpp"],
    "extender/debug": ["boost/asio", "boost/beast", "openssl"],
}

# Exceptions to FORBIDDEN_SYSTEM: the Decider seam's bind is a coroutine type, not I/O.
ALLOWED_SYSTEM = {"boost/asio/awaitable.hpp"}

TEST_ONLY = ["test/support"]
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def is_test(path):
    name = os.path.basename(path)
    return (name.endswith("_test.cc") or name.endswith("test_util.h")
            or name.startswith("fake_") or name == "recording_sink.h")


def layer_of(rel):
    folder = os.path.dirname(rel)
    best = None
    for layer in LAYERS:
        if folder == layer or folder.startswith(layer + "/"):
            if best is None or len(layer) > len(best):
                best = layer
    return best


def owner_of(header):
    """The layer folder an included project header belongs to, or None if not ours."""
    best = None
    for layer in LAYERS:
        if header.startswith(layer + "/") and (best is None or len(layer) > len(best)):
            best = layer
    if best is None and header.startswith("test/"):
        return "test/support" if header.startswith("test/support/") else "test"
    return best


def check(root):
    problems = []
    for top in ("text", "quota", "gpu", "config", "extender"):
        for dirpath, _, files in os.walk(os.path.join(root, top)):
            for name in sorted(files):
                if not name.endswith((".h", ".cc")):
                    continue
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, root)
                layer = layer_of(rel)
                if layer is None:
                    problems.append(f"{rel}:1: folder {os.path.dirname(rel)} has no layer in "
                                    "test/layering/check_layering.py")
                    continue
                allowed = set(LAYERS[layer]) | {layer}
                if is_test(rel):
                    allowed |= set(TEST_ONLY)
                with open(path, encoding="utf-8", errors="replace") as f:
                    for lineno, line in enumerate(f, 1):
                        m = INCLUDE.match(line)
                        if not m:
                            continue
                        kind, header = m.groups()
                        if kind == "<":
                            for banned in FORBIDDEN_SYSTEM.get(layer, []):
                                if header.startswith(banned) and header not in ALLOWED_SYSTEM:
                                    problems.append(f"{rel}:{lineno}: {layer} may not include "
                                                    f"<{header}> (a pure layer)")
                            continue
                        owner = owner_of(header)
                        if owner is None or owner in allowed:
                            continue
                        problems.append(f"{rel}:{lineno}: {layer} may not include {header} "
                                        f"(allowed: {', '.join(sorted(allowed))})")
    return problems


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    problems = check(sys.argv[1])
    for p in problems:
        print(p)
    print(f"layering: {len(problems)} violation(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
