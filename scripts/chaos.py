#!/usr/bin/env python3
"""Crash test: meals logged over HTTP survive SIGKILLs of the server and of PostgreSQL.

For each seed: a fresh database on the chaos cluster (`make db DB_FLAGS=--chaos`), a site and
diners made through the API, then several clients log meals with an Idempotency-Key each and
retry every request until it gets a definite answer, while a chaos thread kills `canteen serve`
(SIGKILL, restarted at once) and the postmaster (SIGKILL, restarted through `make db`) at
seeded random moments. Some cells (diner, date, slot) are asked for by two clients with
different keys; some acknowledged requests are sent again and must replay the same meal.

Afterwards it checks: every acknowledged meal exists exactly once with what was asked; no
diner/date/slot holds two valid meals; nothing exists that no client asked for; a key answered
`duplicate_meal` created nothing; the month's claim equals the sum of the meals' subsidies;
the audit chain is intact. While the database is down, /ready and requests answer 503 within
a few seconds; after it returns, /ready is 200 within 10 s without restarting the server.

    scripts/chaos.py --seeds 100          # seeds 1..100
    scripts/chaos.py --seed 7 --seed 42   # just these
Exit status 0 only when every seed passes.
"""
import argparse
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MONTH = "2026-10"
SITE = "CH-01"
SLOTS = ["breakfast", "lunch", "dinner"]
WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def resident_id(birth, serial):
    """A valid fictional resident ID (GB 11643 check character)."""
    digits = "371502" + birth.replace("-", "") + "%03d" % (serial % 1000)
    return digits + "10X98765432"[sum(int(d) * w for d, w in zip(digits, WEIGHTS)) % 11]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Failure(Exception):
    pass


def sh(*args, env=None, check=True):
    result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise Failure(f"{' '.join(args)} failed ({result.returncode}): {result.stderr.strip()[-500:]}")
    return result.stdout


def database_url(output):
    """The connection string of the `DATABASE_URL=...` line scripts/db.sh prints last."""
    return output.strip().splitlines()[-1].split("=", 1)[1]


def start_database():
    return database_url(sh("make", "--no-print-directory", "-s", "db", "DB_FLAGS=--chaos"))


def audit_verify(canteen, url):
    """None when `canteen audit verify` finds the chains of the database at `url` intact, else what it said."""
    verify = subprocess.run([canteen, "audit", "verify", "--json"], cwd=ROOT, capture_output=True, text=True,
                            env=dict(os.environ, DATABASE_URL=url))
    return None if verify.returncode == 0 else f"{verify.stdout.strip()[-400:]} {verify.stderr.strip()[-200:]}"


def cluster_env():
    values = dict(line.split("=", 1) for line in sh("scripts/db.sh", "env", "--chaos").strip().splitlines())
    return values["DATA"]


def psql(base, database, sql):
    return sh("psql", f"{base} dbname={database}", "-XAtqc", sql).strip()


def request(port, method, path, body=None, token=None, key=None, timeout=5.0):
    """One HTTP request on a fresh connection: (status, json) or raises OSError on no answer."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = "Bearer " + token
        if key:
            headers["Idempotency-Key"] = key
        connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        response = connection.getresponse()
        data = response.read()
        try:
            payload = json.loads(data) if data else None
        except ValueError:
            payload = None
        return response.status, payload
    except (http.client.HTTPException, ValueError) as error:
        raise OSError(str(error))
    finally:
        connection.close()


class Server:
    """`canteen serve` on a private port, restartable after a SIGKILL."""

    def __init__(self, canteen, database_url, log_path):
        self.canteen = canteen
        self.env = dict(os.environ, DATABASE_URL=database_url)
        self.port = free_port()
        self.log = open(log_path, "ab")
        self.process = None

    def start(self):
        self.process = subprocess.Popen([self.canteen, "serve", "--host", "127.0.0.1", "--port", str(self.port), "--pool-size", "2"],
                                        cwd=ROOT, env=self.env, stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if request(self.port, "GET", "/health", timeout=1)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.02)
        raise Failure("the server did not start within 20 s")

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


class Run:
    def __init__(self, seed, args, base):
        self.seed = seed
        self.args = args
        self.base = base
        self.rng = random.Random(seed)
        self.database = f"chaos_{seed}"
        self.stop_chaos = threading.Event()
        self.abort = threading.Event()
        self.failures = []
        # (what was killed, whether clients were still logging meals then, what happened)
        self.events = []
        self.client_threads = []
        self.lock = threading.Lock()
        # key -> what the key asked for, and its definite answer
        self.asked = {}
        self.answers = {}
        self.retries = 0

    def fail(self, message, fatal=False):
        with self.lock:
            self.failures.append(message)
        if fatal:
            self.abort.set()

    # --- setup -------------------------------------------------------------------------
    def create_database(self):
        psql(self.base, "postgres", f"DROP DATABASE IF EXISTS {self.database} WITH (FORCE)")
        psql(self.base, "postgres", f"CREATE DATABASE {self.database}")

    def setup(self):
        self.create_database()
        self.url = f"{self.base} dbname={self.database}"
        env = dict(os.environ, DATABASE_URL=self.url)
        sh(self.args.canteen, "db", "migrate", env=env)
        self.token = sh(self.args.canteen, "token", "create", "--name", "chaos", "--role", "admin", env=env).strip().splitlines()[-1]
        self.server = Server(self.args.canteen, self.url, self.args.log)
        self.server.start()
        status, body = request(self.server.port, "POST", "/v1/sites", token=self.token, body={
            "code": SITE, "name": "混沌测试幸福食堂", "kind": "community_center", "street": "柳园街道",
            "opens_on": "2022-09-01", "slots": SLOTS, "default_price_fen": 1000})
        if status != 201:
            raise Failure(f"site: {status} {body}")
        self.diners = []
        births = ["1940-05-01", "1950-06-15", "1962-01-20"]  # 4 yuan, 2 yuan, none
        for serial in range(self.args.diners):
            status, body = request(self.server.port, "POST", "/v1/diners", token=self.token, body={
                "name": f"老人{serial}", "resident_id": resident_id(births[serial % 3], serial + 1), "home_site": SITE})
            if status != 201:
                raise Failure(f"diner: {status} {body}")
            self.diners.append(body["id"])

    # --- clients -----------------------------------------------------------------------
    def plans(self):
        """Each client's requests: its own cells, and now and then another client's cell under its own key."""
        cells = [(diner, day, slot) for diner in self.diners for day in range(1, 29) for slot in SLOTS]
        self.rng.shuffle(cells)
        per_client = self.args.meals
        plans = []
        for c in range(self.args.clients):
            own = cells[c * per_client:(c + 1) * per_client]
            plan = []
            for i, cell in enumerate(own):
                plan.append((f"s{self.seed}-c{c}-{i}", cell))
                if self.rng.random() < 0.15 and c > 0:
                    other = cells[self.rng.randrange(0, c * per_client)]
                    plan.append((f"s{self.seed}-c{c}-{i}-x", other))
            plans.append(plan)
        return plans

    def log_until_answered(self, key, cell):
        diner, day, slot = cell
        body = {"site_code": SITE, "diner_id": diner, "slot": slot, "price_fen": 1000,
                "served_on": f"{MONTH}-{day:02d}"}
        with self.lock:
            self.asked[key] = cell
        attempts = 0
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not self.abort.is_set():
            attempts += 1
            try:
                status, answer = request(self.server.port, "POST", "/v1/meals", body=body, token=self.token, key=key)
            except OSError:
                with self.lock:
                    self.retries += 1
                time.sleep(0.05)
                continue
            if status in (200, 201):
                return ("meal", answer["id"], answer["subsidy_fen"], status)
            if status == 409 and answer and answer.get("code") == "duplicate_meal":
                return ("duplicate", answer.get("existing_meal_id"), 0, status)
            if status in (502, 503, 504):
                with self.lock:
                    self.retries += 1
                time.sleep(0.05)
                continue
            self.fail(f"{key}: unexpected answer {status} {answer}")
            return ("error", None, 0, status)
        if not self.abort.is_set():
            self.fail(f"{key}: no definite answer in 120 s ({attempts} attempts)")
        return ("error", None, 0, None)

    def client(self, plan, rng):
        for key, cell in plan:
            answer = self.log_until_answered(key, cell)
            with self.lock:
                self.answers[key] = answer
            if answer[0] == "meal" and rng.random() < 0.1:
                again = self.log_until_answered(key, cell)
                if again[0] != "meal" or again[1] != answer[1] or again[3] != 200:
                    self.fail(f"{key}: a replay answered {again}, first {answer}")
            time.sleep(rng.random() * self.args.pause)

    # --- chaos -------------------------------------------------------------------------
    def clients_logging(self):
        return any(t.is_alive() for t in self.client_threads)

    def kill_postmaster(self, data):
        with open(os.path.join(data, "postmaster.pid")) as f:
            pid = int(f.readline())
        logging = self.clients_logging()
        os.kill(pid, signal.SIGKILL)
        logging = logging and self.clients_logging()
        down_at = time.monotonic()
        time.sleep(0.2)
        self.answers_quickly("database down", (503,))
        time.sleep(self.rng.random() * 0.8)
        start_database()
        restarted = time.monotonic()
        pid = self.server.process.pid
        while True:
            try:
                if request(self.server.port, "GET", "/ready", timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() - restarted > 10:
                self.fail("the service was not ready within 10 s of the database's return")
                break
            time.sleep(0.05)
        if self.server.process.pid != pid or self.server.process.poll() is not None:
            self.fail("the server died while the database was down")
        self.events.append(("postmaster", logging,
                            f"postmaster down {time.monotonic() - down_at:.1f} s, ready {time.monotonic() - restarted:.2f} s after"))

    def answers_quickly(self, context, accepted):
        """/ready and a request answer one of `accepted` within 5 s (while the database is down: 503)."""
        for path, token in (("/ready", None), ("/v1/sites", self.token)):
            started = time.monotonic()
            try:
                status, body = request(self.server.port, "GET", path, token=token, timeout=8)
            except OSError as error:
                status, body = None, str(error)
            took = time.monotonic() - started
            if status not in accepted or took > 5:
                self.fail(f"{context}: GET {path} answered {status} {body} after {took:.1f} s")

    def chaos(self, data):
        actions = ["server", "postmaster"]
        self.rng.shuffle(actions)
        n = 0
        while not self.stop_chaos.wait(0.2 + self.rng.random() * self.args.interval):
            action = actions[n] if n < 2 else self.rng.choice(["server", "postmaster"])
            n += 1
            try:
                if action == "server":
                    logging = self.clients_logging()
                    self.server.kill()
                    self.events.append(("server", logging and self.clients_logging(), "server killed"))
                    time.sleep(self.rng.random() * 0.3)
                    self.server.start()
                else:
                    self.kill_postmaster(data)
            except Exception as error:  # noqa: BLE001 - reported as a failure of the run
                self.fail(f"chaos {action}: {error}", fatal=True)
                return

    # --- checks ------------------------------------------------------------------------
    def verify(self):
        rows = psql(self.base, self.database, f"""
            SELECT id, coalesce(idempotency_key, ''), diner_id, served_on, slot, subsidy_fen, status = 'valid'
            FROM meal WHERE site_code = '{SITE}' ORDER BY id""")
        meals = {}
        for line in filter(None, rows.splitlines()):
            mid, key, diner, served, slot, subsidy, valid = line.split("|")
            meals[int(mid)] = (key, (int(diner), int(served[-2:]), slot), int(subsidy), valid == "t")
        by_key = {}
        for mid, (key, cell, _, _) in meals.items():
            if key in by_key:
                self.fail(f"two meals with key {key}")
            by_key[key] = mid
            if key not in self.asked:
                self.fail(f"meal {mid} has a key no client sent: {key!r}")
            elif self.asked[key] != cell:
                self.fail(f"meal {mid} is {cell}, its key asked for {self.asked[key]}")
        acknowledged = set()
        expected_subsidy = 0
        for key, (kind, mid, subsidy, _) in self.answers.items():
            if kind == "meal":
                acknowledged.add(mid)
                expected_subsidy += subsidy
                if by_key.get(key) != mid:
                    self.fail(f"acknowledged meal {mid} of key {key} is {'missing' if mid not in meals else 'under another key'}")
            elif kind == "duplicate":
                if key in by_key:
                    self.fail(f"key {key} answered duplicate_meal but meal {by_key[key]} exists")
                if mid not in meals:
                    self.fail(f"key {key}: duplicate of meal {mid}, which does not exist")
        if set(meals) != acknowledged:
            self.fail(f"meals nobody had acknowledged: {sorted(set(meals) - acknowledged)[:10]}")
        cells = {}
        for mid, (_, cell, _, valid) in meals.items():
            if valid:
                if cell in cells:
                    self.fail(f"{cell} holds meals {cells[cell]} and {mid}")
                cells[cell] = mid
        stored_subsidy = sum(subsidy for _, _, subsidy, _ in meals.values())
        if stored_subsidy != expected_subsidy:
            self.fail(f"meals hold {stored_subsidy} fen of subsidy, the acknowledgements {expected_subsidy}")
        status, claim = request(self.server.port, "POST", "/v1/claims", token=self.token, body={"site_code": SITE, "month": MONTH})
        if status not in (200, 201):
            self.fail(f"claim: {status} {claim}")
        elif claim["subsidy_fen"] != stored_subsidy or claim["meals"] != sum(1 for m in meals.values() if m[2] > 0):
            self.fail(f"claim says {claim['meals']} meals, {claim['subsidy_fen']} fen; the meals {stored_subsidy} fen")
        broken = audit_verify(self.args.canteen, self.url)
        if broken:
            self.fail(f"audit verify: {broken}")
        return len(meals), sum(1 for a in self.answers.values() if a[0] == "duplicate"), stored_subsidy

    def load(self, data):
        """The clients log their plans while `chaos(data)` strikes; answers when they started."""
        clients = [threading.Thread(target=self.client, args=(plan, random.Random(self.seed * 1000 + i)))
                   for i, plan in enumerate(self.plans())]
        self.client_threads = clients
        chaos = threading.Thread(target=self.chaos, args=(data,))
        started = time.monotonic()
        for t in clients:
            t.start()
        chaos.start()
        for t in clients:
            t.join()
        self.stop_chaos.set()
        chaos.join()
        return started

    def run(self):
        data = cluster_env()
        self.setup()
        started = self.load(data)
        # Both up again for the checks.
        start_database()
        if self.server.process.poll() is not None:
            self.server.start()
        try:
            meals, duplicates, subsidy = self.verify()
        finally:
            self.server.stop()
        took = time.monotonic() - started
        kills = sum(1 for kind, logging, _ in self.events if kind == "server" and logging)
        downs = sum(1 for kind, logging, _ in self.events if kind == "postmaster" and logging)
        # A seed proves something only if both faults hit while meals were being logged.
        if kills == 0:
            self.fail(f"no server kill while clients were logging ({len(self.events)} faults in all)")
        if downs == 0:
            self.fail(f"no postmaster kill while clients were logging ({len(self.events)} faults in all)")
        late = len(self.events) - kills - downs
        return (f"{meals} meals, {duplicates} duplicates refused, {subsidy / 100:.2f} yuan; {kills} server kills, "
                f"{downs} postmaster kills while logging ({late} after), {self.retries} retries; {took:.1f} s")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=0, help="run seeds 1..N")
    parser.add_argument("--seed", type=int, action="append", default=[], help="run this seed (repeatable)")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--meals", type=int, default=100, help="meals per client")
    parser.add_argument("--diners", type=int, default=30)
    parser.add_argument("--pause", type=float, default=0.02, help="a client's longest pause between meals, seconds")
    parser.add_argument("--interval", type=float, default=0.4, help="the longest extra time between faults, seconds")
    parser.add_argument("--canteen", default=os.environ.get("CANTEEN_BIN", os.path.join(ROOT, ".build/debug/canteen")))
    parser.add_argument("--log", default="/tmp/canteen-chaos-server.log", help="the servers' log")
    parser.add_argument("--keep", action="store_true", help="keep each seed's database")
    args = parser.parse_args()
    seeds = args.seed or list(range(1, (args.seeds or 3) + 1))
    open(args.log, "wb").close()
    # A private copy of the executable: a rebuild during a long run must not pull it away.
    private = f"/tmp/canteen-chaos-{os.getpid()}"
    shutil.copy2(args.canteen, private)
    args.canteen = private
    base = start_database()
    failed = []
    tokens = []
    for seed in seeds:
        run = Run(seed, args, base)
        try:
            summary = run.run()
        except Failure as error:
            run.fail(str(error))
            summary = "did not finish"
            if getattr(run, "server", None):
                run.server.stop()
        if getattr(run, "token", None):
            tokens.append(run.token)
        if not args.keep:
            try:
                psql(base, "postgres", f"DROP DATABASE IF EXISTS {run.database} WITH (FORCE)")
            except Failure:
                start_database()
                psql(base, "postgres", f"DROP DATABASE IF EXISTS {run.database} WITH (FORCE)")
        if run.failures:
            failed.append(seed)
            print(f"chaos seed {seed}: FAILED ({summary})")
            for failure in run.failures[:20]:
                print(f"  {failure}")
        else:
            print(f"chaos seed {seed}: ok ({summary})", flush=True)
    # A log scan: no full resident ID or token in anything the servers wrote.
    with open(args.log, "rb") as f:
        text = f.read().decode("utf-8", "replace")
    if re.search(r"(?<![0-9])[1-9][0-9]{16}[0-9X](?![0-9])", text) or any(token in text for token in tokens):
        print("chaos: the server log holds a resident ID or a token")
        failed.append("log")
    os.unlink(private)
    print(f"chaos: {len(seeds) - len([f for f in failed if f != 'log'])} of {len(seeds)} seeds passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
