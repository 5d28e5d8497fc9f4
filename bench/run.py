#!/usr/bin/env python3
"""Runs every benchmark in one go, prints a table, and writes docs/benchmarks.json and the
generated part of docs/benchmarks.md (between its `bench:begin`/`bench:end` markers; the
rest of that file, the history of before/after figures, is written by hand).

Each figure is a ratio against a baseline measured in the same run on the same machine:
absolute times on a shared 2-core machine are noise, ratios much less so.

    bench/run.py [--rows 300000] [--counter 55000] [--meals 10000000] [--site-meals 82000] [--seconds 10]
                 [--only http,import,claims,policy,diners]
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


def commit():
    """The commit measured, and whether the work tree differed from it outside bench/ and docs/."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", ".", ":!bench", ":!docs"], cwd=ROOT,
                               capture_output=True, text=True).stdout.strip()
        return head + (" (with uncommitted changes)" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


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


def _fmt(n):
    return f"{n:,}"


def _ratio(measured, baseline):
    """A ratio of two figures as measured: a goal is met by it, not by a rounded one
    (6,843 / 13,716 is 0.499, not 0.50)."""
    return measured / baseline if baseline else 0.0


def goals(figures):
    """Every row of issue 12's table, then the goals of earlier issues still tracked:
    (issue, what, measured, goal, met). A section measured by an older bench (its keys missing,
    after `--only`) gives no rows."""
    rows = []
    h, i, c, p = figures.get("http"), figures.get("import"), figures.get("claims"), figures.get("policy")
    try:
        if h:
            rows.append(("12", "`POST /v1/meals` over HTTP (wrk, 16 connections) ÷ `pgbench -M prepared` single-row INSERT",
                         f"{_fmt(h['http_meals_per_s'])} / {_fmt(h['pgbench_inserts_per_s'])} = {_ratio(h['http_meals_per_s'], h['pgbench_inserts_per_s']):.3f}",
                         "≥ 0.5", _ratio(h["http_meals_per_s"], h["pgbench_inserts_per_s"]) >= 0.5))
            rows.append(("12", "p99 at half the peak rate",
                         f"{h['half_rate_p99_ms']:.1f} ms (at {_fmt(h['half_rate_meals_per_s'])} meals/s)"
                         + (f"; pgbench INSERT at that rate: p99 {h['pgbench_half_rate_p99_ms']:.1f} ms" if "pgbench_half_rate_p99_ms" in h else ""),
                         "≤ 5 ms",
                         h["half_rate_p99_ms"] <= 5))
    except KeyError:
        pass
    try:
        if i:
            rows.append(("12", f"`canteen meal import` of {_fmt(i['rows'])} rows ÷ `psql \\copy` into a meal-shaped table — fresh database",
                         f"{_fmt(i['import_rows_per_s'])} / {_fmt(i['meal_shaped_copy_rows_per_s'])} rows/s = {i['ratio_to_copy']:.3f}",
                         "≥ 0.5", i["ratio_to_copy"] >= 0.5))
            rows.append(("12", f"the same, right after {_fmt(i['counter_meals'])} meals were logged at the counter, no ANALYZE",
                         f"{_fmt(i['after_counter_import_rows_per_s'])} / {_fmt(i['after_counter_copy_rows_per_s'])} rows/s = "
                         f"{i['after_counter_ratio_to_copy']:.3f} ({i['after_counter_ratio_to_fresh']:.2f}× the fresh speed)",
                         "≥ 0.5, and ≥ 0.7× the fresh speed",
                         i["after_counter_ratio_to_copy"] >= 0.5 and i["after_counter_ratio_to_fresh"] >= 0.7))
    except KeyError:
        pass
    try:
        if c:
            rows.append(("12", f"one site's claim over HTTP ÷ a raw SQL aggregate over the same month ({_fmt(c['site_meals'])} meals)",
                         f"{c['claim_http_s']} s / {c['claim_sql_s']} s = {c['claim_ratio']:.2f}×", "≤ 2×", c["claim_ratio"] <= 2))
    except KeyError:
        pass
    try:
        if p:
            rows.append(("14", "the counter with a category policy in force ÷ age-only (side by side in one run)",
                         f"{_fmt(p['counter_category_meals_per_s'])} / {_fmt(p['counter_age_only_meals_per_s'])} meals/s = {p['counter_ratio']:.2f}",
                         "≥ 0.9", p["counter_ratio"] >= 0.9))
            rows.append(("14", f"the import of {_fmt(p['import_rows'])} rows ÷ `\\copy` of the same meals, with a category policy in force ÷ age-only",
                         f"{p['import_to_copy_category']:.2f} / {p['import_to_copy_age_only']:.2f} = {p['import_to_copy_ratio']:.2f}"
                         f" (the imports alone: {_fmt(p['import_category_rows_per_s'])} / {_fmt(p['import_age_only_rows_per_s'])} rows/s = {p['import_ratio']:.2f})",
                         "≥ 0.9", p["import_to_copy_ratio"] >= 0.9))
    except KeyError:
        pass
    try:
        d = figures.get("diners")
        if d:
            rows.append(("15", f"`canteen diner import` of {_fmt(d['rows'])} diners ÷ `\\copy` of the same stored diners into a diner-shaped table",
                         f"{_fmt(d['import_rows_per_s'])} / {_fmt(d['copy_rows_per_s'])} rows/s = {d['import_to_copy']:.3f}",
                         "≥ 0.5 (the meal import's class)", d["import_to_copy"] >= 0.5))
    except KeyError:
        pass
    try:
        if h:
            rows.append(("6", "server memory under load", f"{h['rss_after_load_mib']} MiB", "≤ 150 MiB", h["rss_after_load_mib"] <= 150))
        if i:
            rows.append(("6", "CSV import rate (fresh database)", f"{_fmt(i['import_rows_per_s'])} rows/s", "≥ 200,000 rows/s",
                         i["import_rows_per_s"] >= 200000))
        if c:
            rows.append(("6", f"monthly report of {_fmt(c['meals'])} meals ÷ SQL aggregate", f"{c['report_ratio']:.2f}×", "≤ 2×",
                         c["report_ratio"] <= 2))
    except KeyError:
        pass
    return rows


def markdown(result):
    f = result["figures"]
    lines = [f"Measured {result['date']} on {result['machine']['cpu']} ({result['machine']['cores']} cores, "
             f"{result['machine']['memory_gib']} GiB), {result['machine']['postgresql']}, {result['machine']['swift']}; "
             f"release build of commit {result.get('commit', '?')}, the demo cluster (`make db`, fsync on).", "",
             "| issue | goal | measured | target | met |", "| --- | --- | --- | --- | --- |"]
    for issue, what, measured, goal, met in goals(f):
        lines.append(f"| {issue} | {what} | {measured} | {goal} | {'yes' if met else '**no**'} |")
    lines.append("")
    if "http" in f:
        h = f["http"]
        rules = h.get("pgbench_log_meal_per_s")
        lines += ["Meal logging (`bench/http.sh`, 16 connections):", "",
                  "| figure | value |", "| --- | --- |",
                  f"| measured | {h.get('measured_at', result['date'])} |",
                  f"| `POST /v1/meals` over HTTP (wrk) | {h['http_meals_per_s']:,} meals/s, p50 {h['p50_ms']} ms, p99 {h['p99_ms']} ms, {h['http_errors']} errors |",
                  f"| the same at half the peak ({h['half_rate_delay_ms']} ms pause per connection) | {h['half_rate_meals_per_s']:,} meals/s, p50 {h['half_rate_p50_ms']} ms, p99 {h['half_rate_p99_ms']} ms |",
                  f"| baseline: `pgbench -M prepared` single-row INSERT, meal's columns and CHECKs, its two unique keys | {h['pgbench_inserts_per_s']:,} rows/s |",
                  *([f"| each round's peak ÷ the pgbench run after it | {', '.join(f'{r:.2f}' for r in h['paired_ratios'])} |"]
                    if h.get("paired_ratios") else []),
                  *([f"| the baseline throttled to the half run's rate (the database's own latency there) | p50 {h['pgbench_half_rate_p50_ms']} ms, p99 {h['pgbench_half_rate_p99_ms']} ms |"]
                    if "pgbench_half_rate_p99_ms" in h else []),
                  f"| for reference: `pgbench` calling `log_meal` (the rules, no HTTP) | "
                  + (f"{rules:,} meals/s |" if rules is not None else "skipped: no `log_meal` function |"),
                  f"| server resident memory idle → after the run | {h['rss_idle_mib']} → {h['rss_after_load_mib']} MiB |", ""]
    if "import" in f and "meal_shaped_copy_s" in f["import"]:
        i = f["import"]
        lines += [f"CSV import (`bench/import.sh`, {i['rows']:,} rows; each scenario on a fresh database, autovacuum off for its tables):", "",
                  "| figure | value |", "| --- | --- |",
                  f"| measured | {i.get('measured_at', result['date'])} |",
                  f"| fresh: `canteen meal import` | {i['import_s']} s = {i['import_rows_per_s']:,} rows/s (`{i['summary']}`) |",
                  f"| fresh: baseline `psql \\copy` of the same meals, computed, into `meal_shaped` (`LIKE meal INCLUDING ALL`) | {i['meal_shaped_copy_s']} s = {i['meal_shaped_copy_rows_per_s']:,} rows/s |",
                  f"| counter meals logged first (`POST /v1/meals/batch`, 1000 a request) | {i['counter_meals']:,} at {i['counter_meals_per_s']:,} meals/s; `meal` last analysed: {i['meal_analysed_before_import']} |",
                  f"| after them: `canteen meal import` | {i['after_counter_import_s']} s = {i['after_counter_import_rows_per_s']:,} rows/s (`{i['after_counter_summary']}`) |",
                  f"| after them: the same `\\copy` into `meal_shaped` | {i['after_counter_copy_s']} s = {i['after_counter_copy_rows_per_s']:,} rows/s |",
                  f"| for reference: `psql \\copy` of the raw CSV into a table of its five columns | {i['csv_copy_s']} s = {i['csv_copy_rows_per_s']:,} rows/s |", ""]
        if i.get("diagnostic_auto_explain"):
            lines += ["**This run logged the plans with auto_explain (ANALYZE): its import figures are diagnostics, not measurements.**", ""]
    if "claims" in f and "claim_http_s" in f["claims"]:
        c = f["claims"]
        lines += [f"Claims and reports (`bench/claims.sh`, 100 canteens, {c['meals']:,} meals in one month, {c['site_meals']:,} of them at S001):", "",
                  f"Measured {c.get('measured_at', result['date'])}.", "",
                  "| figure | service | SQL aggregate | ratio |", "| --- | --- | --- | --- |",
                  f"| claim of S001 over HTTP, `POST /v1/claims` (median of 3; {c['claim']}) | {c['claim_http_s']} s | {c['claim_sql_s']} s | {c['claim_ratio']}× |",
                  f"| the same claim by the CLI (`canteen claim build`, one process) | {c['claim_cli_s']} s | {c['claim_sql_s']} s | {c['claim_cli_ratio']}× |",
                  f"| monthly report, all canteens | {c['report_service_s']} s | {c['report_sql_s']} s | {c['report_ratio']}× |", "",
                  f"The claim's runs: HTTP {c['claim_http_runs_s']} s, SQL {c['claim_sql_runs_s']} s. "
                  f"The report's SQL baseline is the faster of the plain query as PostgreSQL plans it "
                  f"({c['report_sql_planner_choice_s']} s: an index scan in site order) and the same query "
                  f"made to read the table straight through with 256 MB work_mem ({c['report_sql_seqscan_s']} s).", ""]
    if "policy" in f and "counter_ratio" in f["policy"]:
        p = f["policy"]
        lines += [f"Policies (`bench/policy.sh`: the Liaocheng default against the Chengyang-style seed policy with a 低保/特困 tier, "
                  f"funders and an operating subsidy, one database, a tenth of 50,000 diners holding 低保; {p['category_meals']}):", "",
                  f"Measured {p.get('measured_at', result['date'])}.", "",
                  "| figure | age-only | category policy | ratio |", "| --- | --- | --- | --- |",
                  f"| `POST /v1/meals` over HTTP (two wrk at once, 8 connections each) | {_fmt(p['counter_age_only_meals_per_s'])} meals/s | "
                  f"{_fmt(p['counter_category_meals_per_s'])} meals/s | {p['counter_ratio']} |",
                  f"| `canteen meal import` of {_fmt(p['import_rows'])} rows | {_fmt(p['import_age_only_rows_per_s'])} rows/s | "
                  f"{_fmt(p['import_category_rows_per_s'])} rows/s | {p['import_ratio']} |",
                  f"| baseline: `\\copy` of the same stored meals into `LIKE meal INCLUDING ALL` | {_fmt(p['copy_age_only_rows_per_s'])} rows/s | "
                  f"{_fmt(p['copy_category_rows_per_s'])} rows/s | |",
                  f"| the import ÷ its baseline | {p['import_to_copy_age_only']} | {p['import_to_copy_category']} | {p['import_to_copy_ratio']} |", ""]
    if "diners" in f and "import_to_copy" in f["diners"]:
        d = f["diners"]
        lines += [f"Bulk registration (`bench/diners.sh`, {d['rows']:,} diners, a fresh database each round; `{d['summary']}`):", "",
                  f"Measured {d.get('measured_at', result['date'])}.", "",
                  "| figure | value |", "| --- | --- |",
                  f"| `canteen diner import` (the diners by COPY, one audit row for the file) | {d['import_s']} s = {_fmt(d['import_rows_per_s'])} rows/s |",
                  f"| the same file with `--dry-run` (every row decided, nothing written) | {d['dry_run_s']} s = {_fmt(d['dry_run_rows_per_s'])} rows/s |",
                  f"| baseline: `\\copy` of the stored diners into `LIKE diner INCLUDING ALL` | {d['copy_s']} s = {_fmt(d['copy_rows_per_s'])} rows/s |",
                  f"| import ÷ baseline | {d['import_to_copy']} |", ""]
    lines += ["Commands:", "", "```sh"] + result["commands"] + ["```"]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=int(os.environ.get("BENCH_IMPORT_ROWS") or 300000))
    parser.add_argument("--counter", type=int, default=int(os.environ.get("BENCH_COUNTER_MEALS") or 55000))
    parser.add_argument("--meals", type=int, default=int(os.environ.get("BENCH_MEALS") or 10000000))
    parser.add_argument("--site-meals", type=int, default=int(os.environ.get("BENCH_SITE_MEALS") or 82000))
    parser.add_argument("--diners", type=int, default=int(os.environ.get("BENCH_DINERS") or 100000))
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("BENCH_SECONDS") or 10))
    parser.add_argument("--only", default="http,import,claims,policy,diners")
    parser.add_argument("--canteen", default=os.environ.get("CANTEEN_BIN"))
    args = parser.parse_args()
    env = dict(os.environ)
    if args.canteen:
        env["CANTEEN_BIN"] = args.canteen
    wanted = args.only.split(",")
    json_path = os.path.join(ROOT, "docs/benchmarks.json")
    # With --only, the other benchmarks keep their figures (and commands) from the last full run.
    previous = {}
    if set(wanted) != {"http", "import", "claims", "policy", "diners"} and os.path.exists(json_path):
        with open(json_path) as f:
            previous = json.load(f)
    figures, commands = dict(previous.get("figures", {})), dict(previous.get("command_of", {}))
    for name, command in (("http", ["bench/http.sh", str(args.seconds)]),
                          ("import", ["bench/import.sh", str(args.rows), str(args.counter)]),
                          ("claims", ["bench/claims.sh", str(args.meals), str(args.site_meals)]),
                          ("policy", ["bench/policy.sh", str(args.seconds)]),
                          ("diners", ["bench/diners.sh", str(args.diners)])):
        if name in wanted:
            commands[name] = " ".join(command)
            figures[name] = run(command, env)
            figures[name]["measured_at"] = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    order = [name for name in ("http", "import", "claims", "policy", "diners") if name in commands]
    result = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
              "commit": commit(), "machine": machine(), "commands": ["make db"] + [commands[n] for n in order], "command_of": commands,
              "figures": figures,
              "goals": [{"issue": n, "goal": g, "measured": m, "target": t, "met": ok} for n, g, m, t, ok in goals(figures)]}
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
