#!/usr/bin/env python3
"""Generates the data of the import benchmark: N fictional diners (a COPY file for
the diner table) and a meals CSV of ROWS rows over them (unique diner/date/slot).

usage: gen_import.py OUT_DIR DINERS ROWS
"""
import datetime
import os
import random
import sys

WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def complete(seventeen: str) -> str:
    return seventeen + "10X98765432"[sum(int(d) * w for d, w in zip(seventeen, WEIGHTS)) % 11]


def main() -> None:
    out, diners, rows = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    os.makedirs(out, exist_ok=True)
    rng = random.Random(42)
    ids = []
    with open(os.path.join(out, "diners.tsv"), "w") as f:
        for serial in range(diners):
            birth = datetime.date(1930, 1, 1) + datetime.timedelta(days=rng.randrange(0, 365 * 25))
            rid = complete(f"37{1500 + serial // 1000:04d}{birth:%Y%m%d}{serial % 1000:03d}")
            ids.append(rid)
            sex = "M" if int(rid[16]) % 2 else "F"
            f.write(f"{serial + 1}\t测试{serial}\t{rid}\t{sex}\t{birth}\n")
    days_needed = (rows + diners - 1) // diners
    start = datetime.date(2026, 11, 21) - datetime.timedelta(days=days_needed)
    with open(os.path.join(out, "meals.csv"), "w") as f:
        f.write("resident_id,served_on,slot,price_fen,client_ref\n")
        written = 0
        for day in range(days_needed):
            served = start + datetime.timedelta(days=day)
            for i, rid in enumerate(ids):
                if written == rows:
                    break
                f.write(f"{rid},{served},lunch,1000,b{day}-{i}\n")
                written += 1


if __name__ == "__main__":
    main()
