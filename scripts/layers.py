#!/usr/bin/env python3
"""Checks the direction of imports in src/.

Lists every import between top-level modules of the crate and fails on one that points
up the layers below (a module may import its own layer's modules only where the pair is
listed), and on any cycle between files. Run from the repository root:
`python3 scripts/layers.py` (add `--list` to print the imports between modules).
"""
import os
import re
import sys

# Lower numbers are lower layers: a module imports only modules of lower layers.
LAYERS = {
    "domain": 0,
    "files": 0,        # files kept beside the database, written whole
    "tlog": 1,         # the public log's mathematics and formats: domain only
    "snapshot": 1,     # evidence documents: kinds, normalised text, word diffs
    "config": 1,
    "db": 2,           # storage: domain and the log's tree mathematics
    "error": 3,        # the domain error every layer above returns
    "auth": 3.5,       # keys and tokens
    "checker": 3.5,    # the hardened outbound HTTP client
    "companies_house": 3.5,  # Companies House's public data API, within its rate limit
    "mail": 3.5,       # letters and their outbox
    "witness": 3.5,    # C2SP tlog-witness: asking witnesses, and serving one
    "webhooks": 4,     # the change feed's items as signed Standard Webhooks messages
    "usecases": 4,     # the only writers
    "views": 4,        # read models
    "http": 5,         # extractors, problem+json, limits, metrics
    "state": 5,
    "openapi": 5,
    "routes": 6,       # the API's handlers
    "web": 6,          # the pages
    "jobs": 6,         # background work
    "app": 7,          # the wiring
    "cli": 7,          # the command line
}
# Imports within one layer that are allowed (from, to).
SAME_LAYER = {
    ("companies_house", "checker"),  # the process's TLS provider and user agent
    ("tlog", "config"),
    ("usecases", "views"),   # a use case reads the record it answers with
    ("mail", "auth"),
    ("webhooks", "views"),   # a webhook message is a change of the public feed
    ("usecases", "webhooks"),
    ("state", "http"),
    ("openapi", "http"),
    ("app", "cli"),
    ("cli", "app"),
}

USE = re.compile(r"\buse\s+(crate::[^;]*);", re.S)
PATH = re.compile(r"\bcrate::([a-z_][a-z0-9_]*(?:::[a-z_][a-z0-9_]*)*)")


def module_files(root="src"):
    files = {}
    for dirpath, _, names in os.walk(root):
        for n in names:
            if n.endswith(".rs"):
                p = os.path.join(dirpath, n)
                rel = os.path.relpath(p, root)[:-3].split(os.sep)
                if rel[-1] == "mod":
                    rel = rel[:-1]
                if rel in (["lib"], ["main"]):
                    continue
                files["::".join(rel)] = p
    return files


def strip_comments(text):
    text = re.sub(r"//[^\n]*", "", text)
    return re.sub(r"/\*.*?\*/", "", text, flags=re.S)


def without_tests(text):
    """The file up to its `#[cfg(test)]` module: tests may reach anywhere."""
    m = re.search(r"#\[cfg\(test\)\]\s*mod\s+\w+", text)
    return text[: m.start()] if m else text


def expand(tree):
    """`crate::a::{b, c::{d}}` -> ['a::b', 'a::c::d']."""
    tree = re.sub(r"\s+as\s+\w+", "", tree)
    tree = re.sub(r"\s+", "", tree)
    out = []

    def walk(prefix, s):
        depth, start, parts = 0, 0, []
        for i, ch in enumerate(s):
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
            elif ch == "," and depth == 0:
                parts.append(s[start:i])
                start = i + 1
        parts.append(s[start:])
        for part in parts:
            if not part:
                continue
            if "{" in part:
                head, rest = part.split("{", 1)
                walk(prefix + head, rest[: rest.rindex("}")])
            else:
                out.append(prefix + part)

    walk("", tree)
    return out


def resolve(path, files):
    """The longest module prefix of `path` that is a file."""
    parts = [p for p in path.split("::") if p and p != "self" and p != "*"]
    for n in range(len(parts), 0, -1):
        key = "::".join(parts[:n])
        if key in files:
            return key
    return None


def main():
    files = module_files()
    edges = {}
    for mod, path in files.items():
        text = without_tests(strip_comments(open(path).read()))
        targets = set()
        for m in USE.finditer(text):
            for p in expand(m.group(1)[len("crate::"):]):
                targets.add(p)
        for m in PATH.finditer(text):
            targets.add(m.group(1))
        # `super::x` in a child module
        for m in re.finditer(r"\bsuper::([a-z_][a-z0-9_:]*|\{)", text):
            base = mod.split("::")[:-1] if not path.endswith("mod.rs") else mod.split("::")[:-1]
            if m.group(1) == "{":
                continue
            targets.add("::".join(base + [m.group(1)]))
        resolved = set()
        for t in targets:
            r = resolve(t, files)
            if r and r != mod:
                resolved.add(r)
        edges[mod] = resolved

    failures = []
    between = {}
    for mod, targets in edges.items():
        top = mod.split("::")[0]
        for t in targets:
            ttop = t.split("::")[0]
            if ttop == top:
                continue
            between.setdefault((top, ttop), []).append(f"{files[mod]} -> {t}")
    for (a, b), where in sorted(between.items()):
        if a not in LAYERS or b not in LAYERS:
            failures.append(f"{a} -> {b}: module not placed in a layer ({where[0]})")
            continue
        if LAYERS[b] > LAYERS[a] or (LAYERS[b] == LAYERS[a] and (a, b) not in SAME_LAYER):
            for w in where:
                failures.append(f"upward import {a} -> {b}: {w}")
    if "--list" in sys.argv:
        for (a, b), where in sorted(between.items()):
            print(f"{a:10} -> {b:10} {len(where)}")

    # Cycles between files (Tarjan's strongly connected components).
    index, low, stack, on, comps = {}, {}, [], set(), []
    counter = [0]

    def connect(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                comps.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(edges):
        if v not in index:
            connect(v)
    for comp in comps:
        failures.append("cycle between files: " + ", ".join(files[c] for c in comp))

    for f in failures:
        print(f)
    if failures:
        print(f"{len(failures)} import(s) against the layers", file=sys.stderr)
        return 1
    print(f"imports follow the layers: {len(files)} files, {sum(map(len, edges.values()))} imports, no cycle")
    return 0


if __name__ == "__main__":
    sys.exit(main())
