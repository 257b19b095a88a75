#!/usr/bin/env python3
"""HTTP side of `make bench`: ingest throughput through POST /api/v1/events, and DORA latency.
  bench_http.py ingest URL FILE [BATCH]   -> prints events/s
  bench_http.py query URL N QUERY         -> prints p50 and p95 in ms over N requests
Uses one keep-alive connection, so the numbers are the server's, not connection setup's."""
import http.client, json, sys, time, urllib.parse

def conn(url):
    u = urllib.parse.urlparse(url)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=600)

def ingest(url, path, batch):
    c = conn(url); n = 0; t0 = time.perf_counter(); lines = []
    def send():
        nonlocal n
        body = "\n".join(lines).encode()
        c.request("POST", "/api/v1/events", body, {"Content-Type": "application/x-ndjson"})
        r = c.getresponse(); data = r.read()
        if r.status != 200:
            sys.exit(f"POST failed: {r.status} {data[:300]!r}")
        n += len(lines); lines.clear()
    with open(path) as f:
        for line in f:
            lines.append(line.rstrip("\n"))
            if len(lines) >= batch:
                send()
    if lines:
        send()
    dt = time.perf_counter() - t0
    print(json.dumps({"events": n, "seconds": round(dt, 2), "events_per_s": round(n / dt)}))

def query(url, n, q):
    c = conn(url); times = []
    for i in range(n + 5):
        t0 = time.perf_counter()
        c.request("GET", "/api/v1/metrics/dora?" + q)
        r = c.getresponse(); data = r.read()
        if r.status != 200:
            sys.exit(f"GET failed: {r.status} {data[:300]!r}")
        if i >= 5:  # the first few warm caches
            times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    def pct(p):
        h = (len(times) - 1) * p; lo = int(h)
        return times[lo] + (h - lo) * (times[min(lo + 1, len(times) - 1)] - times[lo])
    d = json.loads(data)
    print(json.dumps({"requests": n, "p50_ms": round(pct(0.5), 2), "p95_ms": round(pct(0.95), 2),
                      "deployments": d["deployment_frequency"]["deployments"], "changes": d["change_lead_time"]["changes"]}))

if __name__ == "__main__":
    if sys.argv[1] == "ingest":
        ingest(sys.argv[2], sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 else 5000)
    else:
        query(sys.argv[2], int(sys.argv[3]), sys.argv[4])
