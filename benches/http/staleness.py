"""How far behind another instance serves a write (docs/benchmarks.md, "Reads from
memory").

Writes a supplier's description on instance A, N times; after each 2xx (the write has
committed), reads the record from A once (it must show the write: the instance that
made it is never behind) and then from B as fast as one connection can ask, until B
shows it. The time from A's answer to the first answer of B that shows the write is
an upper bound of B's staleness for that write. Prints p50, p99 and max, and how many
reads on A did not show the write just made (must be 0).

    python3 benches/http/staleness.py A_URL B_URL TOKEN SUPPLIER_ID [WRITES]

Standard library only; talks to 127.0.0.1.
"""

import http.client
import json
import sys
import time
import urllib.parse


def connection(base):
    u = urllib.parse.urlsplit(base)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=30)


def get_description(conn, path):
    conn.request("GET", path)
    res = conn.getresponse()
    body = res.read()
    if res.status != 200:
        raise SystemExit(f"GET {path}: {res.status} {body[:200]!r}")
    return json.loads(body)["description"]


def main():
    a_url, b_url, token, supplier = sys.argv[1:5]
    writes = int(sys.argv[5]) if len(sys.argv) > 5 else 300
    a, a_read, b = connection(a_url), connection(a_url), connection(b_url)
    path = f"/api/v1/suppliers/{supplier}"
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    behind_on_a = 0
    delays = []
    polls = 0
    nonce = time.time_ns()
    for i in range(writes):
        words = f"Staleness probe {nonce}-{i}: what we make."
        a.request("PATCH", path, json.dumps({"description": words}), headers)
        res = a.getresponse()
        body = res.read()
        if res.status != 200:
            raise SystemExit(f"PATCH: {res.status} {body[:200]!r}")
        committed = time.perf_counter()
        if get_description(a_read, path) != words:
            behind_on_a += 1
        while True:
            polls += 1
            if get_description(b, path) == words:
                delays.append(time.perf_counter() - committed)
                break
            if time.perf_counter() - committed > 10:
                raise SystemExit(f"write {i}: B did not serve it within 10 s")
    delays.sort()

    def pct(p):
        return delays[min(len(delays) - 1, int(p / 100 * len(delays)))] * 1000

    print(
        f"staleness over {writes} writes: p50 {pct(50):.2f} ms, p99 {pct(99):.2f} ms, "
        f"max {delays[-1] * 1000:.2f} ms ({polls} reads of B); "
        f"reads of A behind its own write: {behind_on_a}"
    )


if __name__ == "__main__":
    main()
