#!/usr/bin/env python3
"""Logs meals at the counter through the product's HTTP API (`POST /v1/meals/batch`, up to
1000 items a request), as card readers do: no SQL, no `log_meal`, so it keeps working whatever
the server does inside. SLOTS is a comma-separated list; like a canteen's day, every diner eats
each slot in turn: meal i is diner (i % DINERS) + 1, slot SLOTS[(i // DINERS) % len(SLOTS)],
served START + i // (DINERS * len(SLOTS)) days, client_ref PREFIX-i. Fails unless every meal is
created. Prints `{"created": N, "seconds": S}`.

usage: counter.py URL TOKEN SITE DINERS COUNT START SLOTS [--batch 1000] [--clients 2] [--prefix c]
"""
import argparse
import concurrent.futures
import datetime
import json
import sys
import time
import urllib.request


def main() -> None:
    p = argparse.ArgumentParser()
    for name in ("url", "token", "site"):
        p.add_argument(name)
    p.add_argument("diners", type=int)
    p.add_argument("count", type=int)
    p.add_argument("start", type=datetime.date.fromisoformat)
    p.add_argument("slots", type=lambda text: text.split(","))
    p.add_argument("--batch", type=int, default=1000)
    p.add_argument("--clients", type=int, default=2)
    p.add_argument("--prefix", default="c")
    a = p.parse_args()

    def send(first: int) -> dict:
        n = len(a.slots)
        items = [{"site_code": a.site, "diner_id": i % a.diners + 1, "slot": a.slots[i // a.diners % n], "price_fen": 1000,
                  "served_on": (a.start + datetime.timedelta(days=i // (a.diners * n))).isoformat(),
                  "client_ref": f"{a.prefix}-{i}"} for i in range(first, min(first + a.batch, a.count))]
        request = urllib.request.Request(f"{a.url}/v1/meals/batch", data=json.dumps({"meals": items}).encode(), method="POST",
                                         headers={"Content-Type": "application/json", "Authorization": f"Bearer {a.token}"})
        with urllib.request.urlopen(request, timeout=300) as response:
            results = json.load(response)["results"]
        counts: dict = {}
        for r in results:
            counts[r["status"]] = counts.get(r["status"], 0) + 1
            if r["status"] != "created" and "error" not in counts:
                counts["error"] = r.get("error")
        return counts

    total: dict = {}
    t0 = time.monotonic()
    done = 0
    with concurrent.futures.ThreadPoolExecutor(a.clients) as pool:
        for counts in pool.map(send, range(0, a.count, a.batch)):
            for k, v in counts.items():
                if k != "error":
                    total[k] = total.get(k, 0) + v
                elif "error" not in total:
                    total["error"] = v
            done += sum(v for k, v in counts.items() if k != "error")
            if done % 10000 < a.batch or done == a.count:
                print(f"bench: counter: {done:,}/{a.count:,} meals sent ({time.monotonic() - t0:.0f} s)", file=sys.stderr, flush=True)
    seconds = time.monotonic() - t0
    if total.get("created", 0) != a.count:
        print(f"bench: counter: not every meal was created: {total}", file=sys.stderr)
        sys.exit(1)
    print(json.dumps({"created": a.count, "seconds": round(seconds, 3)}))


if __name__ == "__main__":
    main()
