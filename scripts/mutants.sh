#!/usr/bin/env bash
# Deliberate one-line breaks of the product's rules, each followed by the part of the suite that
# guards the rule: every break must make that part fail ("caught"); one that passes is "MISSED".
# Not part of `make test` (it rebuilds once per mutant: about 20 minutes on 2 cores).
#
#   scripts/mutants.sh              every mutant
#   scripts/mutants.sh weights cap  only the mutants whose names contain one of the words
#
# Each mutant replaces one exact piece of one file (it must occur exactly once), so a mutant
# whose target moved fails loudly instead of testing nothing. The file is restored afterwards,
# also on Ctrl-C. Exit status: 0 when every mutant was caught.
set -euo pipefail
cd "$(dirname "$0")/.."
url=$(scripts/db.sh start --test | tail -n 1)
export CANTEEN_TEST_DATABASE_URL="${url#DATABASE_URL=}"
exec python3 - "$@" <<'PY'
import os, subprocess, sys, time

# (name, file, exact text, replacement, what runs: a swift test filter, or a command after "sh:")
MUTANTS = [
    ("check-character weights", "Sources/CanteenDomain/ResidentID.swift",
     "[7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]", "[7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 2, 4]",
     "ResidentIDTests"),
    ("29 February birthdays come on 1 March", "Sources/CanteenDomain/SubsidyRule.swift",
     "return (date.month, date.day) < (birth.month, birth.day) ? years - 1 : years",
     "return (date.month, date.day) < (birth.month, birth.month == 2 && birth.day == 29 && !LocalDate.isLeap(date.year) ? 28 : birth.day) ? years - 1 : years",
     "SubsidyRuleTests"),
    ("a birthday counts on the day itself", "Sources/CanteenDomain/SubsidyRule.swift",
     "return (date.month, date.day) < (birth.month, birth.day) ? years - 1 : years",
     "return (date.month, date.day) <= (birth.month, birth.day) ? years - 1 : years",
     "SubsidyRuleTests"),
    ("price cap (quote)", "Sources/CanteenDomain/SubsidyRule.swift",
     "let subsidy = min(tier.subsidyFen, max(priceFen, 0))", "let subsidy = tier.subsidyFen",
     "SubsidyRuleTests|MealServiceTests"),
    ("daily cap", "Sources/CanteenDomain/SubsidyRule.swift",
     "if let cap = policy.maxSubsidizedMealsPerDay, subsidisedEarlierThatDay >= cap {",
     "if let cap = policy.maxSubsidizedMealsPerDay, subsidisedEarlierThatDay > cap {",
     "SubsidyRuleTests|MealServiceTests|GuardedRulesTests|MealEngineTests"),
    ("the daily cap counts meals logged before it existed", "Sources/CanteenDomain/MealLedger.swift",
     "        if subsidised { entry.subsidisedMeals += 1 }", "        if subsidised, place != nil { entry.subsidisedMeals += 1 }",
     "MealEngineTests"),
    ("a paid month is closed", "Sources/CanteenDomain/Claim.swift",
     "self == .submitted || self == .approved || self == .paid", "self == .submitted || self == .approved",
     "ClaimServiceTests|GuardedRulesTests"),
    ("a closed month refuses meals", "Sources/CanteenDomain/MealLedger.swift",
     "} else if let siteCode, closedMonths.contains(SiteMonth(siteCode, servedOn.yearMonth)) {",
     "} else if let siteCode, false, closedMonths.contains(SiteMonth(siteCode, servedOn.yearMonth)) {",
     "MealServiceTests|GuardedRulesTests"),
    ("operator site scope on GET /v1/meals/{id}", "Sources/CanteenService/MealService.swift",
     "        let meal = try await db.session { session in try Self.load(id, session, clock: clock) }\n        try actor.requireSite(meal.siteCode)",
     "        let meal = try await db.session { session in try Self.load(id, session, clock: clock) }",
     "APITests|MealServiceTests"),
    ("masking in the diner answer", "Sources/CanteenDomain/Diner.swift",
     "try c.encode(diner.residentIDMasked, forKey: .residentIDMasked)", "try c.encode(diner.residentID, forKey: .residentIDMasked)",
     "APITests|GuardedRulesTests|PagingAndLimitsTests"),
    ("audit row of a status change", "Sources/CanteenService/DinerService.swift",
     "            try Audit.record(session, actor: actor, action: \"diner.status\", entity: .diner, entityID: String(id),\n"
     "                             detail: [\"status\": parsed.rawValue, \"effective_on\": date.description])\n",
     "",
     "GuardedRulesTests|AuditChainTests"),
    ("idempotency fingerprint covers the price", "Sources/CanteenDomain/Meal.swift",
     "         priceFen.map(String.init) ?? \"\", delivery ? \"1\" : \"0\"].joined(separator: \"|\")",
     "         delivery ? \"1\" : \"0\"].joined(separator: \"|\")",
     "MealServiceTests|IdempotencyTests"),
    ("CSV formula guard", "Sources/CanteenDomain/CSV.swift",
     "guard let first = text.unicodeScalars.first, formulaStarters.contains(first) else { return text }",
     "return text",
     "CSVFormulaTests|HostileInputServiceTests"),
    ("token hash", "Sources/CanteenService/TokenService.swift",
     "SHA256Hex.of(Data(secret.utf8))", "secret",
     "APITests"),
    ("the quote prices like a logged meal", "Sources/CanteenService/QuoteService.swift",
     "let amount = reason == nil ? subsidy.subsidyFen : 0", "let amount = reason == nil ? min(subsidy.subsidyFen + 1, price) : 0",
     "MealEngineTests"),
    ("an imported row prices like a logged meal", "Sources/CanteenService/MealImporter.swift",
     "            price = value\n", "            price = value == 0 ? 1 : value\n",
     "MealEngineTests"),
    ("quote follows the diner access rule", "Sources/CanteenService/QuoteService.swift",
     "        try DinerService.requireAccess(dinerID: dinerID, homeSite: diner.homeSite, actor)\n", "",
     "HostileInputServiceTests|APITests"),
    ("a failed group is retried meal by meal", "Sources/CanteenService/MealService.swift",
     "            for item in items { results += await logEach([item], db: db, store: store, today: today) }",
     "            results = Array(repeating: .failure(error), count: items.count)",
     "HostileInputServiceTests"),
    ("a meal before birth is invalid_date", "Sources/CanteenDomain/MealLedger.swift",
     "        guard servedOn >= diner.birthDate else {", "        guard true else {",
     "HostileInputServiceTests|HostileInputHTTPTests"),
    ("request_hash is a hash", "Sources/CanteenService/MealService.swift",
     "        SHA256Hex.of(Array(request.canonicalContent.utf8))", "        request.canonicalContent",
     "HostileInputServiceTests"),
    ("a valid token passes a throttled address", "Sources/CanteenHTTP/Middleware.swift",
     "        let address = context.clientAddress ?? \"unknown\"\n        var context = context",
     "        let address = context.clientAddress ?? \"unknown\"\n        try limiter.check(address)\n        var context = context",
     "HostileInputHTTPTests|APITests"),
    ("adjustments are bound only on submission", "Sources/CanteenService/ClaimService.swift",
     "        if bindingAdjustments {", "        if true {",
     "HostileInputServiceTests|ClaimServiceTests"),
    ("an unknown import site is not_found", "Sources/CanteenService/MealImporter.swift",
     "guard try await db.session({ session in try !session.query(\"SELECT 1 FROM site WHERE code = $1\", [siteCode]).isEmpty }) else {",
     "guard try await db.session({ session in try !session.query(\"SELECT 1 WHERE $1::text IS NOT NULL\", [siteCode]).isEmpty }) else {",
     "HostileInputServiceTests|MealImportTests"),
    ("NUL in a JSON body", "Sources/CanteenHTTP/HTTPSupport.swift",
     "        if buffer.withUnsafeReadableBytes(TextInput.jsonHasNUL) { throw TextInput.nulError }\n", "",
     "HostileInputHTTPTests"),
    ("lengths count characters as the database does", "Sources/CanteenDomain/Validation.swift",
     "public var storedLength: Int { unicodeScalars.count }", "public var storedLength: Int { count }",
     "HostileInputServiceTests|HostileInputHTTPTests"),
    ("a report month after the current one", "Sources/CanteenService/ReportService.swift",
     "        guard month <= current else {", "        guard true else {",
     "HostileInputServiceTests|HostileInputHTTPTests"),
    ("HEAD answers like GET", "Sources/CanteenHTTP/Application+build.swift",
     "Router(context: AppRequestContext.self, options: .autoGenerateHeadEndpoints)", "Router(context: AppRequestContext.self)",
     "HostileInputHTTPTests"),
    ("malformed framing is 400", "Sources/CanteenHTTP/Middleware.swift",
     "        case is HTTPParserError:\n", "        case is HTTPParserError where false:\n",
     "sh:scripts/hostile-http.py"),
    ("idle connections are closed", "Sources/CanteenHTTP/Application+build.swift",
     "        server: .http1(configuration: .init(idleTimeout: TimeAmount(configuration.idleTimeout))),\n",
     "        server: .http1(),\n",
     "sh:scripts/hostile-http.py"),
]


def run(args, log):
    with open(log, "ab") as out:
        return subprocess.run(args, stdout=out, stderr=subprocess.STDOUT).returncode


def main(words):
    chosen = [m for m in MUTANTS if not words or any(w.lower() in m[0].lower() for w in words)]
    log = "/tmp/canteen-mutants.log"
    open(log, "w").close()
    print(f"mutants: {len(chosen)} (build and test output in {log})")
    results = []
    for name, path, old, new, check in chosen:
        with open(path, encoding="utf-8") as f:
            original = f.read()
        if original.count(old) != 1:
            print(f"  STALE   {name}: the text to break occurs {original.count(old)} times in {path}")
            results.append("stale")
            continue
        started = time.monotonic()
        try:
            with open(path, "w", encoding="utf-8") as f:
                f.write(original.replace(old, new))
            if run(["swift", "build", "--build-tests"], log) != 0:
                verdict = "BROKEN"  # the mutant does not compile: it tests nothing
            elif check.startswith("sh:"):
                verdict = "caught" if run([check[3:]], log) != 0 else "MISSED"
            else:
                verdict = "caught" if run(["swift", "test", "--skip-build", "--filter", check], log) != 0 else "MISSED"
        finally:
            with open(path, "w", encoding="utf-8") as f:
                f.write(original)
        print(f"  {verdict:7} {name}  ({path}; {check}; {time.monotonic() - started:.0f} s)", flush=True)
        results.append(verdict)
    run(["swift", "build", "--build-tests"], log)
    caught = results.count("caught")
    print(f"mutants: {caught} caught, {len(results) - caught} not (MISSED, BROKEN or STALE) of {len(results)}")
    return 0 if results and caught == len(results) else 1


sys.exit(main(sys.argv[1:]))
PY
