#!/usr/bin/env python3
"""Restore check: a base backup and the WAL archive bring a database back to a chosen moment.

On a cluster of its own that archives its WAL like the demo cluster (`scripts/db.sh start
--pitr`, created afresh), through the API: a site and diners, meals logged with an
Idempotency-Key each; then `scripts/db.sh backup --pitr` (what `make backup` runs); more meals;
the moment T; then the mistake: meals voided by accident and a few more logged. Once the WAL of
the mistake is archived, `BACKUP=... UNTIL=T scripts/db.sh restore` (what `make restore` runs)
brings up a new cluster, which must hold exactly the meals acknowledged before T, every one
valid, none of those logged after; `canteen audit verify` must pass on it and the service must
be ready on it. Everything it made is removed afterwards (--keep keeps it).

    scripts/restore-check.py
Exit status 0 only when the restored database is exactly the moment T.
"""
import argparse
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from types import SimpleNamespace

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import chaos  # noqa: E402  (the crash test's API clients and helpers)

ROOT = chaos.ROOT


def cluster():
    """What `scripts/db.sh env --pitr` says about the check's cluster."""
    return dict(line.split("=", 1) for line in chaos.sh("scripts/db.sh", "env", "--pitr").strip().splitlines())


def as_server_user(where, *command):
    """Runs a PostgreSQL program as the user that owns the clusters (initdb refuses root)."""
    prefix = ["runuser", "-u", where["USER"], "--"] if os.geteuid() == 0 and where["USER"] != "root" else []
    return subprocess.run(prefix + list(command), cwd="/", capture_output=True, text=True)


def fresh_cluster(where):
    chaos.sh("scripts/db.sh", "stop", "--pitr")
    for path in (where["DATA"], where["ARCHIVE"]):
        shutil.rmtree(path, ignore_errors=True)
    return chaos.database_url(chaos.sh("scripts/db.sh", "start", "--pitr"))


def archived(base, segment, seconds=60):
    """Waits until the archiver has copied `segment` (WAL file names sort in WAL order)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        last = chaos.psql(base, "postgres", "SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver")
        if last >= segment:
            return
        time.sleep(0.1)
    raise chaos.Failure(f"WAL segment {segment} was not archived within {seconds} s")


class Check(chaos.Run):
    def __init__(self, args, base):
        super().__init__(0, args, base)
        self.server = None
        self.database = "canteen"  # the name `scripts/db.sh restore` prints in its DATABASE_URL

    def log_meals(self, days, label):
        """One lunch per diner and day; answers the acknowledged meals' ids."""
        ids = []
        for day in days:
            for diner in self.diners:
                kind, mid, _, _ = self.log_until_answered(f"{label}-{diner}-{day}", (diner, day, "lunch"))
                if kind != "meal":
                    raise chaos.Failure(f"meal of diner {diner} on day {day} was not logged: {kind}")
                ids.append(mid)
        return ids

    def void(self, meal_ids):
        for mid in meal_ids:
            status, body = chaos.request(self.server.port, "POST", f"/v1/meals/{mid}/void", token=self.token,
                                         body={"reason": "误操作"})
            if status != 200 or body.get("status") != "void":
                raise chaos.Failure(f"void of meal {mid}: {status} {body}")

    def meals(self, base):
        rows = chaos.psql(base, self.database, "SELECT id, status FROM meal ORDER BY id")
        return dict((int(mid), status) for mid, status in (line.split("|") for line in rows.splitlines() if line))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--diners", type=int, default=6)
    parser.add_argument("--canteen", default=os.environ.get("CANTEEN_BIN", os.path.join(ROOT, ".build/debug/canteen")))
    parser.add_argument("--log", default=os.path.join(ROOT, ".local", "restore-check-server.log"))
    parser.add_argument("--keep", action="store_true", help="keep the clusters and the backup for a look")
    args = parser.parse_args()
    os.makedirs(os.path.dirname(args.log), exist_ok=True)
    started = time.monotonic()
    where = cluster()
    # Next to the clusters, where the server's user (who writes the backup) can reach: it may not
    # enter the checkout (scripts/db.sh state_dir).
    backups = tempfile.mkdtemp(prefix="restore-check-", dir=os.path.dirname(where["DATA"]))
    os.chmod(backups, 0o755)
    backup = None
    check = None
    try:
        base = fresh_cluster(where)
        check = Check(SimpleNamespace(canteen=args.canteen, log=args.log, diners=args.diners), base)
        check.setup()
        before = check.log_meals(range(1, 4), "before-backup")
        backup = chaos.sh("scripts/db.sh", "backup", "--pitr", env=dict(os.environ, BACKUP_DIR=backups)).strip().splitlines()[-1]
        after = check.log_meals(range(4, 7), "after-backup")
        moment = chaos.psql(base, "postgres", "SELECT clock_timestamp()")
        time.sleep(0.2)
        # The mistake: meals from both sides of the backup voided, and more logged.
        mistaken = before[::4] + after[::4]
        check.void(mistaken)
        late = check.log_meals([7], "after-the-moment")
        check.server.stop()
        check.server = None
        archived(base, chaos.psql(base, "postgres", "SELECT pg_walfile_name(pg_switch_wal())"))

        source = check.meals(base)
        if sorted(mid for mid, status in source.items() if status == "void") != sorted(mistaken):
            raise chaos.Failure(f"the source should hold the {len(mistaken)} voided meals: {source}")

        url = chaos.database_url(chaos.sh("scripts/db.sh", "restore", env=dict(os.environ, BACKUP=backup, UNTIL=moment)))
        target = urllib.parse.urlsplit(url)
        restored_base = (f"host={target.hostname} port={target.port} user={target.username} "
                         f"password={urllib.parse.unquote(target.password or '')}")
        got = check.meals(restored_base)
        wanted = sorted(before + after)
        if sorted(got) != wanted:
            missing = sorted(set(wanted) - set(got))
            extra = sorted(set(got) - set(wanted))
            check.fail(f"restored to {moment}: {len(got)} meals; missing {missing[:10]}, not yet logged then {extra[:10]}")
        voided = sorted(mid for mid, status in got.items() if status != "valid")
        if voided:
            check.fail(f"restored to {moment}, meals voided only afterwards are void: {voided[:10]}")
        if chaos.psql(restored_base, "postgres", "SELECT pg_is_in_recovery()") != "f":
            check.fail("the restored cluster is still in recovery: it takes no writes")
        broken = chaos.audit_verify(args.canteen, url)
        if broken:
            check.fail(f"audit verify on the restored database: {broken}")
        server = chaos.Server(args.canteen, url, args.log)
        try:
            server.start()
            status, _ = chaos.request(server.port, "GET", "/ready")
            if status != 200:
                check.fail(f"the service on the restored database: /ready answered {status}")
        finally:
            server.stop()
        summary = (f"{len(before)} meals before the backup, {len(after)} after it; restored to the moment before "
                   f"{len(mistaken)} voids and {len(late)} later meals: {len(got)} meals, {len(voided)} void; "
                   f"{time.monotonic() - started:.1f} s")
    except (chaos.Failure, OSError) as error:
        if check is None:
            print(f"restore: FAILED\n  {error}")
            return 1
        check.fail(str(error))
        summary = "did not finish"
    finally:
        if check is not None and check.server is not None:
            check.server.stop()
        if not args.keep:
            # `scripts/db.sh restore` puts the new cluster next to the others, named for the backup.
            if backup:
                for restored in glob.glob(os.path.join(os.path.dirname(where["DATA"]), f"restored-{os.path.basename(backup)}-*")):
                    if os.path.isdir(restored):
                        as_server_user(where, os.path.join(where["BIN"], "pg_ctl"), "-D", restored, "-m", "fast", "-w", "stop")
                        shutil.rmtree(restored, ignore_errors=True)
                    else:
                        os.unlink(restored)
            shutil.rmtree(backups, ignore_errors=True)
            chaos.sh("scripts/db.sh", "stop", "--pitr", check=False)
            for path in (where["DATA"], where["ARCHIVE"]):
                shutil.rmtree(path, ignore_errors=True)
            if os.path.exists(where["LOG"]):
                os.unlink(where["LOG"])
    if check.failures:
        print(f"restore: FAILED ({summary})")
        for failure in check.failures[:20]:
            print(f"  {failure}")
        return 1
    print(f"restore: ok, {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
