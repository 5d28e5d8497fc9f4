#!/usr/bin/env python3
"""Runs every benchmark in one go, prints a table, and writes docs/benchmarks.json and the
generated part of docs/benchmarks.md (between its `bench:begin`/`bench:end` markers; the
rest of that file, the history of before/after figures, is written by hand).

Each figure is a ratio against a baseline measured in the same run on the same machine:
absolute times on a shared 2-core machine are noise, ratios much less so.

    bench/run.py [--rows 1000000] [--meals 10000000] [--seconds 10] [--only http,import,claims]
"""
import argparse
import datetime
import json
import os
import platform
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(command, env):
    print(f"bench: {' '.join(command)}", file=sys.stderr, flush=True)
    out = subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def machine():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    with open("/proc/meminfo") as f:
        mem = int(f.readline().split()[1]) // 1024 // 1024
    pg = subprocess.run(["psql", "--version"], capture_output=True, text=True).stdout.strip()
    swift = subprocess.run(["swift", "--version"], capture_output=True, text=True).stdout.strip().splitlines()
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": mem, "os": platform.platform(),
            "postgresql": pg, "swift": swift[0] if swift else "unknown"}


def goals(figures):
    """Each goal of issue 6: (what, measured, goal, met)."""
    rows = []
    h = figures.get("http")
    if h:
        rows.append(("meal logging over HTTP / pgbench INSERT", f"{h['ratio']:.2f}", "≥ 0.80", h["ratio"] >= 0.8))
        rows.append(("p99 latency at half the peak rate", f"{h['half_rate_p99_ms']:.1f} ms", "≤ 5 ms", h["half_rate_p99_ms"] <= 5))
        rows.append(("server memory under load", f"{h['rss_after_load_mib']} MiB", "≤ 150 MiB", h["rss_after_load_mib"] <= 150))
    i = figures.get("import")
    if i:
        rows.append(("CSV import / psql \\copy", f"{i['ratio_to_copy']:.2f}", "≥ 0.50", i["ratio_to_copy"] >= 0.5))
        rows.append(("CSV import rate", f"{i['import_rows_per_s']:,} rows/s", "≥ 200,000 rows/s", i["import_rows_per_s"] >= 200000))
    c = figures.get("claims")
    if c:
        rows.append(("claim of 100,000 meals / SQL aggregate", f"{c['claim_ratio']:.2f}×", "≤ 2×", c["claim_ratio"] <= 2))
        rows.append((f"monthly report of {c['meals']:,} meals / SQL aggregate", f"{c['report_ratio']:.2f}×", "≤ 2×", c["report_ratio"] <= 2))
    return rows


def markdown(result):
    f = result["figures"]
    lines = [f"Measured {result['date']} on {result['machine']['cpu']} ({result['machine']['cores']} cores, "
             f"{result['machine']['memory_gib']} GiB), {result['machine']['postgresql']}, {result['machine']['swift']}; "
             "release build, the demo cluster (`make db`, fsync on).", "",
             "| goal | measured | target | met |", "| --- | --- | --- | --- |"]
    for what, measured, goal, met in goals(f):
        lines.append(f"| {what} | {measured} | {goal} | {'yes' if met else '**no**'} |")
    lines.append("")
    if "http" in f:
        h = f["http"]
        lines += ["Meal logging (`bench/http.sh`, 16 connections):", "",
                  "| figure | value |", "| --- | --- |",
                  f"| measured | {h.get('measured_at', result['date'])} |",
                  f"| `POST /v1/meals` over HTTP (wrk) | {h['http_meals_per_s']:,} meals/s, p50 {h['p50_ms']} ms, p99 {h['p99_ms']} ms, {h['http_errors']} errors |",
                  f"| the same at half the peak ({h['half_rate_delay_ms']} ms pause per connection) | {h['half_rate_meals_per_s']:,} meals/s, p50 {h['half_rate_p50_ms']} ms, p99 {h['half_rate_p99_ms']} ms |",
                  f"| baseline: `pgbench -M prepared` single-row INSERT, same columns and unique indexes | {h['pgbench_inserts_per_s']:,} rows/s |",
                  f"| for reference: `pgbench` calling `log_meal` (the rules, no HTTP) | {h['pgbench_log_meal_per_s']:,} meals/s |",
                  f"| server resident memory idle → after the run | {h['rss_idle_mib']} → {h['rss_after_load_mib']} MiB |", ""]
    if "import" in f:
        i = f["import"]
        lines += [f"CSV import (`bench/import.sh`, {i['rows']:,} rows):", "",
                  "| figure | value |", "| --- | --- |",
                  f"| measured | {i.get('measured_at', result['date'])} |",
                  f"| `canteen meal import` | {i['import_s']} s = {i['import_rows_per_s']:,} rows/s (`{i['summary']}`) |",
                  f"| baseline: `psql \\copy` into a plain table | {i['psql_copy_s']} s = {i['psql_copy_rows_per_s']:,} rows/s |", ""]
    if "claims" in f:
        c = f["claims"]
        lines += [f"Claims and reports (`bench/claims.sh`, 100 canteens, {c['meals']:,} meals in one month):", "",
                  f"Measured {c.get('measured_at', result['date'])}.", "",
                  "| figure | service | SQL aggregate | ratio |", "| --- | --- | --- | --- |",
                  f"| claim of one canteen (100,000 meals) | {c['claim_100k_service_s']} s | {c['claim_100k_sql_s']} s | {c['claim_ratio']}× |",
                  f"| monthly report, all canteens | {c['report_service_s']} s | {c['report_sql_s']} s | {c['report_ratio']}× |", ""]
        if "report_sql_seqscan_s" in c:
            lines += [f"The report's SQL baseline is the faster of the plain query as PostgreSQL plans it "
                      f"({c['report_sql_planner_choice_s']} s: an index scan in site order) and the same query "
                      f"made to read the table straight through with 256 MB work_mem ({c['report_sql_seqscan_s']} s).", ""]
    lines += ["Commands:", "", "```sh"] + result["commands"] + ["```"]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=int(os.environ.get("BENCH_IMPORT_ROWS") or 1000000))
    parser.add_argument("--meals", type=int, default=int(os.environ.get("BENCH_MEALS") or 10000000))
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("BENCH_SECONDS") or 10))
    parser.add_argument("--only", default="http,import,claims")
    parser.add_argument("--canteen", default=os.environ.get("CANTEEN_BIN"))
    args = parser.parse_args()
    env = dict(os.environ)
    if args.canteen:
        env["CANTEEN_BIN"] = args.canteen
    wanted = args.only.split(",")
    json_path = os.path.join(ROOT, "docs/benchmarks.json")
    # With --only, the other benchmarks keep their figures (and commands) from the last full run.
    previous = {}
    if set(wanted) != {"http", "import", "claims"} and os.path.exists(json_path):
        with open(json_path) as f:
            previous = json.load(f)
    figures, commands = dict(previous.get("figures", {})), dict(previous.get("command_of", {}))
    for name, command in (("http", ["bench/http.sh", str(args.seconds)]),
                          ("import", ["bench/import.sh", str(args.rows)]),
                          ("claims", ["bench/claims.sh", str(args.meals)])):
        if name in wanted:
            commands[name] = " ".join(command)
            figures[name] = run(command, env)
            figures[name]["measured_at"] = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    order = [name for name in ("http", "import", "claims") if name in commands]
    result = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
              "machine": machine(), "commands": ["make db"] + [commands[n] for n in order], "command_of": commands,
              "figures": figures,
              "goals": [{"goal": g, "measured": m, "target": t, "met": ok} for g, m, t, ok in goals(figures)]}
    with open(json_path, "w") as f:
        json.dump(result, f, indent=2, ensure_ascii=False)
        f.write("\n")
    table = markdown(result)
    path = os.path.join(ROOT, "docs/benchmarks.md")
    text = open(path).read() if os.path.exists(path) else "# Benchmarks\n\n<!-- bench:begin -->\n<!-- bench:end -->\n"
    begin, end = "<!-- bench:begin -->", "<!-- bench:end -->"
    head, _, rest = text.partition(begin)
    _, _, tail = rest.partition(end)
    with open(path, "w") as f:
        f.write(f"{head}{begin}\n{table}\n{end}{tail}")
    print(table)


if __name__ == "__main__":
    main()
