#!/usr/bin/env python3
"""Asks two running Nagare servers the same questions and compares their JSON answers exactly.

  compare_api.py BEFORE_URL AFTER_URL [--max-services N]

Both servers must hold the same events (scripts/compare-refs.sh starts them on copies of one
database). The questions cover the five DORA metric families under every tier, lead-time basis,
benchmark, interval and a few time zones, org-wide, per team and per service; the deployment and
incident lists with their filters and pages; every deployment detail of the pages read; the
catalogue. Numbers must be identical, not close: a refactor of the engine may not move a digit.
Exits 1 on the first differences (up to 20 are printed), 0 when every answer matches."""
import datetime, http.client, json, sys, urllib.parse

def client(url):
    u = urllib.parse.urlparse(url)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=600)

class Server:
    def __init__(self, url):
        self.url = url
        self.c = client(url)

    def get(self, path):
        for attempt in range(3):
            try:
                self.c.request("GET", path, headers={"Accept": "application/json"})
                r = self.c.getresponse()
                body = r.read()
                break
            except (http.client.HTTPException, ConnectionError):
                self.c = client(self.url)
                if attempt == 2:
                    raise
        try:
            data = json.loads(body) if body else None
        except ValueError:
            data = body.decode("utf-8", "replace")
        return r.status, data

def first_difference(a, b, path="$"):
    """The JSON path of the first place `a` and `b` differ, or None."""
    if type(a) is not type(b):
        return f"{path}: {a!r} vs {b!r}"
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                return f"{path}.{k}: {'missing before' if k not in a else 'missing after'}"
            d = first_difference(a[k], b[k], f"{path}.{k}")
            if d:
                return d
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} items vs {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_difference(x, y, f"{path}[{i}]")
            if d:
                return d
        return None
    return None if a == b else f"{path}: {a!r} vs {b!r}"

def q(**params):
    return urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})

def questions(before, max_services):
    """The paths to ask, built from what the organisation holds (asked of `before`)."""
    _, services = before.get("/api/v1/services")
    _, teams = before.get("/api/v1/teams")
    services = [s["name"] for s in services][:max_services]
    teams = [t["name"] for t in teams]
    # The window ends at the newest finished deployment's next UTC midnight.
    _, page = before.get("/api/v1/deployments?" + q(per_page=100))
    finished = [r["finished_at"] for r in page["items"] if r.get("finished_at")]
    if not finished:
        sys.exit("compare_api.py: the organisation has no finished deployment to anchor windows on")
    newest = max(finished)[:10]
    end = datetime.date.fromisoformat(newest) + datetime.timedelta(days=1)
    to = end.isoformat() + "T00:00:00Z"
    def back(days):
        return (end - datetime.timedelta(days=days)).isoformat() + "T00:00:00Z"
    year, quarter, month = back(365), back(90), back(30)

    paths = ["/api/v1/services", "/api/v1/teams"]
    dora = "/api/v1/metrics/dora?"
    for tier in ["production", "staging", "testing", "development", "other"]:
        for basis in ["commit", "pull_request", "merge"]:
            paths.append(dora + q(**{"from": year, "to": to, "environment_tier": tier,
                                     "lead_time_basis": basis}))
    for bench in ["dora-2024", "dora-2023", "dora-2021"]:
        paths.append(dora + q(**{"from": quarter, "to": to, "benchmark": bench}))
    for interval, frm in [("day", month), ("week", year), ("month", year)]:
        for tz in ["UTC", "Asia/Tokyo", "America/New_York"]:
            paths.append(dora + q(**{"from": frm, "to": to, "interval": interval, "time_zone": tz}))
    # Windows that do not start at midnight, and a short one.
    paths.append(dora + q(**{"from": back(45)[:10] + "T07:13:00Z", "to": to}))
    paths.append(dora + q(**{"from": back(2), "to": to, "interval": "day"}))
    for team in teams:
        paths.append(dora + q(**{"from": year, "to": to, "team": team, "interval": "month"}))
        paths.append(dora + q(**{"from": quarter, "to": to, "team": team,
                                 "lead_time_basis": "pull_request"}))
    for s in services:
        paths.append(dora + q(**{"from": year, "to": to, "service": s, "interval": "week"}))
        paths.append(dora + q(**{"from": year, "to": to, "service": s,
                                 "environment_tier": "staging", "lead_time_basis": "merge"}))

    lists = [q(per_page=100, page=p) for p in (1, 2, 3)]
    lists += [q(per_page=50, status="failure"), q(per_page=50, failed="true"),
              q(per_page=50, environment_tier="staging"),
              q(per_page=50, **{"from": quarter, "to": to})]
    lists += [q(per_page=50, team=t) for t in teams]
    lists += [q(per_page=50, service=s) for s in services]
    paths += ["/api/v1/deployments?" + l for l in lists]
    incidents = [q(per_page=100), q(per_page=100, page=2), q(per_page=100, open="true"),
                 q(per_page=50, **{"from": quarter, "to": to})]
    incidents += [q(per_page=50, team=t) for t in teams]
    incidents += [q(per_page=50, service=s) for s in services]
    paths += ["/api/v1/incidents?" + l for l in incidents]
    return paths

def main():
    args = sys.argv[1:]
    max_services = 40
    if "--max-services" in args:
        i = args.index("--max-services")
        max_services = int(args[i + 1])
        del args[i:i + 2]
    if len(args) != 2:
        sys.exit(__doc__)
    before, after = Server(args[0]), Server(args[1])
    paths = questions(before, max_services)
    asked, details, differences = 0, set(), []

    def compare(path):
        nonlocal asked
        asked += 1
        sa, a = before.get(path)
        sb, b = after.get(path)
        if sa != sb:
            differences.append(f"{path}: status {sa} vs {sb}")
        elif sa != 200:
            differences.append(f"{path}: both answered {sa}: {a}")
        else:
            d = first_difference(a, b)
            if d:
                differences.append(f"{path}: {d}")
        return a if sa == 200 else None

    for path in paths:
        a = compare(path)
        if path.startswith("/api/v1/deployments?") and isinstance(a, dict):
            details.update(r["id"] for r in a["items"])
    for dep in sorted(details):
        compare("/api/v1/deployments/" + urllib.parse.quote(dep, safe=""))
    print(f"compare_api: {asked} answers compared ({len(details)} deployment details), "
          f"{len(differences)} differ")
    for d in differences[:20]:
        print("  " + d[:400])
    sys.exit(1 if differences else 0)

if __name__ == "__main__":
    main()
