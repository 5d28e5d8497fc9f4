import CanteenDomain
import Foundation
import Postgres

/// The database side of logging meals: one read of every fact a group of meals needs, and one
/// write of the meals the rules accepted (SPEC §2.8). The rules themselves are `MealLedger`'s.
/// A group costs a fixed number of statements, whatever its size.
struct MealStore: Sendable {
    let catalog: Catalog
    let clock: BusinessClock

    /// One requested meal of a group, checked and hashed, and who asks for it.
    struct Item: Sendable {
        let request: MealRequest
        let requestHash: String
        let actor: String
        /// How answers about another item name this one ("line 4" of an import).
        var label: String? = nil
    }

    /// Each item's answer, in order.
    enum Outcome: Sendable {
        case created(Meal)
        case replayed(Meal)
        case refused(CanteenError)
    }

    /// Logs `items` in order — a counter group or a batch — outside any transaction. Each pass is
    /// one transaction of two round trips: begin and read the facts; write and commit. Concurrent
    /// writers can take a slot, a key or a daily-cap place between the read and the write: the
    /// items that lost are decided again in a new pass, a bounded number of times. Each item
    /// answers its outcome, or the failure of the pass it was in (items of earlier passes, already
    /// committed, keep theirs).
    func logCommitting(_ items: [Item], today: LocalDate, _ session: Session) -> [Result<Outcome, any Error>] {
        var outcomes = [Outcome?](repeating: nil, count: items.count)
        var pending = Array(items.indices)
        var failure: any Error = PostgresError(kind: .server, sqlState: .serializationFailure, serverMessage: "meals kept conflicting")
        for _ in 0..<5 where !pending.isEmpty {
            do {
                pending = try pass(items, pending, today: today, .counter, session, into: &outcomes)
            } catch {
                session.rollbackQuietly()
                failure = error
                break
            }
        }
        return outcomes.map { outcome in outcome.map { .success($0) } ?? .failure(failure) }
    }

    /// Logs an import's rows in order inside the caller's transaction, decided again on fresh
    /// facts when a concurrent writer beat them (a bounded number of times).
    func logBulk(_ items: [Item], today: LocalDate, _ session: Session) throws -> [Outcome] {
        var outcomes = [Outcome?](repeating: nil, count: items.count)
        var pending = Array(items.indices)
        for _ in 0..<5 where !pending.isEmpty {
            pending = try pass(items, pending, today: today, .bulk, session, into: &outcomes)
        }
        guard pending.isEmpty else {
            throw PostgresError(kind: .server, sqlState: .serializationFailure, serverMessage: "meals kept conflicting")
        }
        return outcomes.map { $0 ?? .refused(.internalFailure()) }
    }

    /// Decides and stores the items at `indices`; answers those that must be decided again.
    /// At the counter the pass is a transaction of its own, committed with the write.
    private func pass(_ items: [Item], _ indices: [Int], today: LocalDate, _ write: Write, _ session: Session,
                      into outcomes: inout [Outcome?]) throws -> [Int] {
        let needs = indices.map { Need(items[$0].request, today: today) }
        if write == .bulk {
            // COPY cannot check a month against its claim: take the period locks first, so the
            // facts read after them show every month closed before this import.
            try lockPeriods(of: needs, session)
        }
        // The counter's few statements run thousands of times a minute: planned once each.
        var ledger = try facts(for: needs, session, beginning: write == .counter ? .generic : nil)
        var decisions: [(index: Int, decision: MealDecision)] = []
        decisions.reserveCapacity(indices.count)
        let stored: [Cell: Stored]
        switch write {
        case .counter:
            for (position, index) in indices.enumerated() {
                decisions.append((index, ledger.decide(items[index].request, requestHash: items[index].requestHash,
                                                       today: today, index: position)))
            }
            stored = try insert(decisions.compactMap { entry in
                if case .create(let meal) = entry.decision { (meal, items[entry.index].actor) } else { nil }
            }, session)
        case .bulk:
            stored = try copy(items, indices, today: today, ledger: &ledger, decisions: &decisions, session)
        }
        // A pending meal, once stored; missing when a concurrent writer (or a claim) beat it.
        var idOf = [Meal?](repeating: nil, count: decisions.count)
        var stamp: (date: Date, text: String)?  // an import's meals share one creation time
        for (position, entry) in decisions.enumerated() {
            guard case .create(let meal) = entry.decision, let row = stored[Cell(DinerDate(meal.dinerID, meal.servedOn), meal.slot)] else { continue }
            if stamp?.date != row.createdAt { stamp = (row.createdAt, clock.timestamp(row.createdAt)) }
            idOf[position] = Meal(id: row.id, dinerID: meal.dinerID, siteCode: meal.siteCode, servedOn: meal.servedOn, slot: meal.slot,
                                  priceFen: meal.priceFen, delivery: meal.delivery, age: meal.age, bracket: meal.bracket,
                                  category: meal.category, subsidyFen: meal.subsidyFen, funding: meal.funding, payableFen: meal.payableFen, status: .valid, claimID: nil,
                                  createdAt: stamp?.text ?? clock.timestamp(row.createdAt))
        }
        var stale: [Int] = []
        var toLoad: [Int: [Int]] = [:]  // stored meal id -> positions that replay it
        for (position, entry) in decisions.enumerated() {
            switch entry.decision {
            case .create:
                if let meal = idOf[position] { outcomes[entry.index] = .created(meal) } else { stale.append(entry.index) }
            case .replay(.pending(let first)):
                if let meal = idOf[first] { outcomes[entry.index] = .replayed(meal) } else { stale.append(entry.index) }
            case .replay(.stored(let id)):
                toLoad[id, default: []].append(position)
            case .duplicate(let existing, let slot, let date):
                let id: Int?
                var detail: Message = "the diner already has a \(slot.rawValue) meal on \(date)"
                switch existing {
                case .stored(let stored): id = stored
                case .pending(let first):
                    id = idOf[first]?.id
                    if let label = items[decisions[first].index].label { detail = "the same diner, date and slot as \(label)" }
                }
                guard let id else { stale.append(entry.index); continue }
                var error = CanteenError(.duplicateMeal, "\(detail) (meal \(id))")
                error.existingMealID = id
                outcomes[entry.index] = .refused(error)
            case .refuse(let error):
                outcomes[entry.index] = .refused(error)
            }
        }
        if !toLoad.isEmpty {
            for meal in try MealService.load(ids: Array(toLoad.keys), session, clock: clock) {
                for position in toLoad[meal.id] ?? [] { outcomes[decisions[position].index] = .replayed(meal) }
            }
        }
        return stale.sorted()
    }

    // MARK: the facts

    /// What one meal (or quote) needs to be decided: its diner, site, date and key.
    struct Need: Sendable {
        let diner: DinerReference
        let siteCode: String?
        let date: LocalDate
        let key: String?

        init(diner: DinerReference, siteCode: String?, date: LocalDate, key: String? = nil) {
            self.diner = diner
            self.siteCode = siteCode
            self.date = date
            self.key = key
        }

        init(_ request: MealRequest, today: LocalDate) {
            self.init(diner: request.diner, siteCode: request.siteCode, date: request.servedOn ?? today, key: request.idempotencyKey)
        }
    }

    /// Every fact the rules need for `needs`, in one statement. It first takes the shared period
    /// locks of their sites and months (held to the end of the transaction, against a claim
    /// being submitted meanwhile); `insert` checks the closed months again after them. With
    /// `beginning`, the statement opens a transaction with those plans, in the same round trip.
    func facts(for needs: [Need], _ session: Session, beginning: PreparedPlans? = nil) throws -> MealLedger {
        var dinerIDs = Set<Int>(), residentIDs = Set<String>(), cards = Set<String>(), dates = Set<LocalDate>()
        var periods = Set<SiteMonth>(), keys = Set<SiteKey>()
        for need in needs {
            switch need.diner {
            case .id(let id): dinerIDs.insert(id)
            case .residentID(let value): residentIDs.insert(value)
            case .cardNo(let value): cards.insert(value)
            }
            dates.insert(need.date)
            guard let siteCode = need.siteCode else { continue }
            periods.insert(SiteMonth(siteCode, need.date.yearMonth))
            if let key = need.key { keys.insert(SiteKey(siteCode, key)) }
        }
        let periodList = periods.sorted { ($0.siteCode, $0.month) < ($1.siteCode, $1.month) }
        let keyList = Array(keys)
        // A file's thousands of keys are joined in the "C" collation (a sort by bytes), planned
        // for their number each time; a counter's few are looked up through the key's index,
        // which only the default collation can use, with the statement's one generic plan.
        let bulk = keyList.count > 100
        let parameters: [any PostgresEncodable] = [
            IntArray(dinerIDs.sorted()), TextArray(residentIDs.sorted()), TextArray(cards.sorted()),
            TextArray(dates.sorted().map(\.description)),
            TextArray(periodList.map(\.siteCode)), TextArray(periodList.map(\.month.firstDay.description)),
            TextArray(keyList.map(\.siteCode)), TextArray(keyList.map(\.key)),
            ClaimStatus.periodClosingParameter,
        ]
        let statement: PipelineStatement = bulk ? .unnamed(Self.bulkFactsStatement, parameters) : .prepared(Self.factsStatement, parameters)
        let rows = try session.pipeline((beginning?.beginning ?? []) + [statement]).last?.rows ?? []
        var version: Int?
        var statuses: [Int: [(LocalDate, DinerStatus)]] = [:]
        var categories: [Int: [CategoryPeriod]] = [:]
        var dinerRows: [(id: Int, birth: LocalDate, home: String?, residentID: String, card: String?)] = []
        var meals: [(id: Int, diner: Int, date: LocalDate, slot: Slot, subsidised: Bool, place: Int?)] = []
        var used: [(SiteKey, Int, String)] = []
        var closed: [SiteMonth] = []
        for row in rows {
            switch try row.decode("kind", as: String.self) {
            case "version": version = try row.decode("n1")
            case "diner":
                dinerRows.append((try row.decode("n1"), try row.decode("d1"), try row.decode("t1"), try row.decode("t2"), try row.decode("t3")))
            case "status":
                statuses[try row.decode("n1"), default: []].append((try row.decode("d1"), try DinerStatus(stored: try row.decode("t1"))))
            case "category":
                categories[try row.decode("n1"), default: []].append(try DinerService.storedPeriod(
                    id: try row.decode("n2"), category: try row.decode("t1"), effectiveOn: try row.decode("d1"), endsOn: try row.decode("t2")))
            case "meal":
                meals.append((try row.decode("n2"), try row.decode("n1"), try row.decode("d1"), try Slot(stored: try row.decode("t1")),
                              try row.decode("n3") > 0, try row.decode("n4")))
            case "key":
                used.append((SiteKey(try row.decode("t1"), try row.decode("t2")), try row.decode("n2"), try row.decode("t3")))
            case "closed":
                closed.append(SiteMonth(try row.decode("t1"), try row.decode("d1", as: LocalDate.self).yearMonth))
            case "lock":
                break
            case let other:
                throw PostgresError(kind: .decoding, serverMessage: "unknown fact \(other)", column: "kind")
            }
        }
        guard let version else { throw CanteenError.internalFailure() }
        let catalog = try catalog.snapshot(version: version, session)
        var ledger = MealLedger(sites: catalog.sites, policies: catalog.policies)
        ledger.reserveCapacity(meals: needs.count + meals.count)
        for diner in dinerRows {
            ledger.add(DinerRecord(id: diner.id, birthDate: diner.birth, homeSite: diner.home, statusHistory: statuses[diner.id] ?? [],
                                   categories: categories[diner.id] ?? []),
                       residentID: diner.residentID, cardNo: diner.card)
        }
        for meal in meals {
            ledger.addStoredMeal(id: meal.id, dinerID: meal.diner, servedOn: meal.date, slot: meal.slot, subsidised: meal.subsidised,
                                 place: meal.place)
        }
        for (key, id, hash) in used { ledger.keys[key] = (.stored(id), hash) }
        ledger.closedMonths = Set(closed)
        return ledger
    }

    /// The select list that takes the shared period locks (against a claim being submitted) of
    /// the sites and months in two array parameters, in a stable order; answers `n`.
    static func periodLocks(sites: String, months: String) -> String {
        """
        count(pg_advisory_xact_lock_shared(k)) AS n
        FROM (SELECT DISTINCT period_lock_key(s, m) AS k FROM unnest(\(sites)::text[], \(months)::date[]) AS p (s, m) ORDER BY 1) keys
        """
    }

    /// Takes the shared period locks of `needs`' sites and months, in a stable order.
    func lockPeriods(of needs: [Need], _ session: Session) throws {
        let periods = Set(needs.compactMap { need in need.siteCode.map { SiteMonth($0, need.date.yearMonth) } })
            .sorted { ($0.siteCode, $0.month) < ($1.siteCode, $1.month) }
        try session.query("SELECT \(Self.periodLocks(sites: "$1", months: "$2"))", [TextArray(periods.map(\.siteCode)), TextArray(periods.map(\.month.firstDay.description))])
    }

    /// The facts as rows of one shape: `kind` and a few typed columns, read by name above.
    ///
    /// A counter group's meals of the day are looked up for each diner and date, both columns in
    /// the index's condition (the `OFFSET 0` keeps the planner from flattening the lookup into a
    /// join that reads the diner's meals of every date and filters them: its generic plan did
    /// that, and a diner's history grows by a meal or two a day). An import's are the file's
    /// diners' meals filtered by the file's dates, planned for the file's numbers each time.
    static let factsStatement = facts(keyJoin: "m.idempotency_key = k.key", mealsOfTheDays: """
        FROM d, unnest($4::date[]) AS day (served_on),
             LATERAL (SELECT * FROM meal m WHERE m.diner_id = d.id AND m.served_on = day.served_on AND m.status = 'valid' OFFSET 0) m
        """)
    static let bulkFactsStatement = facts(keyJoin: "m.idempotency_key COLLATE \"C\" = k.key COLLATE \"C\"", mealsOfTheDays: """
        FROM meal m WHERE m.diner_id IN (SELECT id FROM d) AND m.served_on = ANY ($4::date[]) AND m.status = 'valid'
        """)

    static func facts(keyJoin: String, mealsOfTheDays: String) -> String { """
        WITH locks AS MATERIALIZED (SELECT \(periodLocks(sites: "$5", months: "$6"))),
        d AS MATERIALIZED (
            SELECT id, birth_date, home_site, resident_id, card_no FROM diner
            WHERE id = ANY ($1::bigint[]) OR resident_id = ANY ($2::text[]) OR card_no = ANY ($3::text[])
        )
        SELECT 'lock' AS kind, n AS n1, NULL::bigint AS n2, NULL::bigint AS n3, NULL::bigint AS n4, NULL::date AS d1,
               NULL::text AS t1, NULL::text AS t2, NULL::text AS t3 FROM locks
        UNION ALL
        SELECT 'version', version, NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM catalog_version
        UNION ALL
        SELECT 'diner', id, NULL, NULL, NULL, birth_date, home_site, resident_id, card_no FROM d
        UNION ALL
        SELECT 'status', s.diner_id, NULL, NULL, NULL, s.effective_on, s.status, NULL, NULL
        FROM diner_status s WHERE s.diner_id IN (SELECT id FROM d)
        UNION ALL
        SELECT 'category', c.diner_id, c.id, NULL, NULL, c.effective_on, c.category, c.ends_on::text, NULL
        FROM diner_category c WHERE c.diner_id IN (SELECT id FROM d)
        UNION ALL
        SELECT 'meal', m.diner_id, m.id, m.subsidy_fen, m.subsidy_seq, m.served_on, m.slot, NULL, NULL
        \(mealsOfTheDays)
        UNION ALL
        SELECT 'key', NULL, m.id, NULL, NULL, NULL, m.site_code, m.idempotency_key, m.request_hash
        FROM unnest($7::text[], $8::text[]) AS k (site_code, key)
        JOIN meal m ON m.site_code = k.site_code AND \(keyJoin)
        UNION ALL
        SELECT 'closed', NULL, NULL, NULL, NULL, c.month, c.site_code, NULL, NULL
        FROM unnest($5::text[], $6::date[]) AS p (site_code, month)
        JOIN claim c ON c.site_code = p.site_code AND c.month = p.month AND c.status = ANY ($9::text[])
        """
    }

    // MARK: the write

    /// How accepted meals are stored: at the counter one statement stores a group and an audit
    /// row per meal and the transaction commits with it; an import writes its rows with COPY
    /// inside the caller's transaction and writes one audit row for the file.
    enum Write: Sendable {
        case counter
        case bulk
    }

    /// A diner's slot on a date: one valid meal at most (unique among a group's accepted meals).
    struct Cell: Sendable, Hashable {
        let day: DinerDate
        let slot: Slot

        init(_ day: DinerDate, _ slot: Slot) {
            self.day = day
            self.slot = slot
        }
    }

    /// A stored meal's id and creation time.
    struct Stored: Sendable {
        let id: Int
        let createdAt: Date
    }

    /// Stores a counter group's accepted meals, an audit row each, and commits; answers the
    /// stored ones by diner, date and slot (unique among the accepted meals of a group). A meal a
    /// concurrent writer beat to a unique index, or whose month a claim closed meanwhile (checked
    /// here, after the period lock), is left out.
    func insert(_ meals: [(meal: PricedMeal, actor: String)], _ session: Session) throws -> [Cell: Stored] {
        guard !meals.isEmpty else {
            try session.executeScript("COMMIT")
            return [:]
        }
        let fundings = meals.map { FundingColumns($0.meal.funding) }
        let rows = try session.pipeline([.prepared(Self.counterInsert, [
            IntArray(meals.map(\.meal.dinerID)), TextArray(meals.map(\.meal.siteCode)),
            TextArray(meals.map(\.meal.servedOn.description)), TextArray(meals.map(\.meal.slot.rawValue)),
            IntArray(meals.map(\.meal.priceFen)), TextArray(meals.map { $0.meal.delivery ? "t" : "f" }),
            IntArray(meals.map(\.meal.age)), TextArray(meals.map(\.meal.bracket)), IntArray(meals.map(\.meal.subsidyFen)),
            NullableTextArray(meals.map { $0.meal.subsidyPlace.map(String.init) }), NullableTextArray(meals.map(\.meal.idempotencyKey)),
            TextArray(meals.map(\.meal.requestHash)), TextArray(meals.map(\.actor)),
            ClaimStatus.periodClosingParameter, NullableTextArray(meals.map { $0.meal.category?.rawValue }),
            NullableTextArray(fundings.map(\.funders)), NullableTextArray(fundings.map { $0.city.map(String.init) }),
            NullableTextArray(fundings.map { $0.district.map(String.init) }), NullableTextArray(fundings.map { $0.street.map(String.init) }),
        ]), .command("COMMIT")]).first?.rows ?? []
        return try Self.stored(rows)
    }

    /// Stored meals from rows of `storedColumns`.
    private static func stored(_ rows: [Row]) throws -> [Cell: Stored] {
        var stored: [Cell: Stored] = [:]
        for row in rows {
            let cell = Cell(DinerDate(try row.decode("diner_id"), try row.decode("served_on")), try Slot(stored: try row.decode("slot")))
            stored[cell] = Stored(id: try row.decode("id"), createdAt: try row.decode("created_at"))
        }
        return stored
    }

    static let storedColumns = "id, diner_id, served_on, slot, created_at"

    static let counterInsert = """
        WITH input AS (
            SELECT * FROM unnest($1::bigint[], $2::text[], $3::date[], $4::text[], $5::integer[], $6::boolean[], $7::integer[],
                                 $8::text[], $9::integer[], $10::smallint[], $11::text[], $12::text[], $13::text[], $15::text[],
                                 $16::text[], $17::integer[], $18::integer[], $19::integer[]) WITH ORDINALITY
                AS i (diner_id, site_code, served_on, slot, price_fen, delivery, age, bracket, subsidy_fen, subsidy_seq,
                      idempotency_key, request_hash, created_by, category, funders, city_fen, district_fen, street_fen, ord)
            WHERE NOT EXISTS (SELECT 1 FROM claim c WHERE c.site_code = i.site_code AND c.month = date_trunc('month', i.served_on)::date
                              AND c.status = ANY ($14::text[]))
        ),
        inserted AS (
            INSERT INTO meal (diner_id, site_code, served_on, slot, price_fen, delivery, age, bracket, subsidy_fen, subsidy_seq,
                              idempotency_key, request_hash, created_by, category, funders, city_fen, district_fen, street_fen)
            SELECT diner_id, site_code, served_on, slot, price_fen, delivery, age, bracket, subsidy_fen, subsidy_seq,
                   idempotency_key, request_hash, created_by, category, funders, city_fen, district_fen, street_fen
            FROM input ORDER BY ord
            ON CONFLICT DO NOTHING
            RETURNING *
        ),
        audited AS (
            INSERT INTO audit_log (actor, action, entity, entity_id, detail)
            SELECT created_by, 'meal.create', 'meal', id::text,
                   jsonb_build_object('site_code', site_code, 'diner_id', diner_id, 'served_on', served_on, 'slot', slot,
                                      'price_fen', price_fen, 'subsidy_fen', subsidy_fen)
            FROM inserted ORDER BY id
        )
        SELECT \(storedColumns) FROM inserted
        """

    /// An import's meals, decided in file order while COPY stores them: each megabyte of rows
    /// goes to the server as soon as it is decided, so PostgreSQL stores one part while the next
    /// is decided. Ids come from the meal sequence, a block for the whole file (the period locks
    /// were taken before the facts were read, so their closed months are current). If a
    /// concurrent writer took a unique key since, the COPY fails whole; then the rows go through
    /// a staging table and `INSERT … ON CONFLICT DO NOTHING`, and the rows left out are decided
    /// again.
    private func copy(_ items: [Item], _ indices: [Int], today: LocalDate, ledger: inout MealLedger,
                      decisions: inout [(index: Int, decision: MealDecision)], _ session: Session) throws -> [Cell: Stored] {
        try copyMeals(upTo: indices.count, session) { store in
            // Resumes after the last item decided (see `copyMeals`).
            for (position, index) in indices.enumerated().dropFirst(decisions.count) {
                let decision = ledger.decide(items[index].request, requestHash: items[index].requestHash, today: today, index: position)
                decisions.append((index, decision))
                if case .create(let meal) = decision { try store(meal, items[index].actor) }
            }
        }
    }

    /// Meals already decided, stored as an import stores them (tests race a counter meal with it).
    func copyMeals(_ meals: [(meal: PricedMeal, actor: String)], _ session: Session) throws -> [Cell: Stored] {
        var next = 0
        return try copyMeals(upTo: meals.count, session) { store in
            while next < meals.count {
                next += 1
                try store(meals[next - 1].meal, meals[next - 1].actor)
            }
        }
    }

    /// COPYs the meals `produce` hands to its argument (at most `count`), sent a megabyte at a time.
    /// A row the server refuses mid-stream stops `produce` early; it is called again for the
    /// fallback and must resume after the last meal it handed over.
    private func copyMeals(upTo count: Int, _ session: Session,
                           produce: (_ store: (PricedMeal, String) throws -> Void) throws -> Void) throws -> [Cell: Stored] {
        // A block of ids in one call (a nextval per row costs seconds for a large file), one per
        // row: a refused row leaves a gap, as a rolled-back insert does. A counter meal that took
        // an id inside the block between nextval and setval makes one of the two inserts meet the
        // primary key: this COPY falls back below, or the counter's meal is decided again with a
        // fresh id; neither is lost or doubled.
        let first: Int = try session.query("""
            SELECT setval(pg_get_serial_sequence('meal', 'id'), nextval(pg_get_serial_sequence('meal', 'id')) + $1 - 1) - $1 + 1 AS first
            """, [max(count, 1)]).one().decode("first")
        var rows = CopyText(reservingCapacity: count * CopyText.mealRowBytes)
        var ids: [(cell: Cell, id: Int)] = []
        ids.reserveCapacity(count)
        func add(_ meal: PricedMeal, _ actor: String) throws {
            guard ids.count < count else { throw CanteenError.internalFailure() }
            let id = first + ids.count
            ids.append((Cell(DinerDate(meal.dinerID, meal.servedOn), meal.slot), id))
            rows.row(id: id, meal, actor: actor)
        }
        try session.executeScript("SAVEPOINT meal_bulk")
        do {
            _ = try session.copyIn("COPY meal (\(Self.copyColumns)) FROM STDIN") { writer in
                var sent = 0
                try produce { meal, actor in
                    try add(meal, actor)
                    if rows.bytes.count - sent >= 1 << 20 {
                        try rows.send(to: writer, from: sent)
                        sent = rows.bytes.count
                    }
                }
                try rows.send(to: writer, from: sent)
            }
            try session.executeScript("RELEASE SAVEPOINT meal_bulk")
            let createdAt: Date = try session.query("SELECT now() AS now").one().decode("now")
            var stored: [Cell: Stored] = [:]
            stored.reserveCapacity(ids.count)
            for (cell, id) in ids { stored[cell] = Stored(id: id, createdAt: createdAt) }
            return stored
        } catch let error as PostgresError where error.sqlState == .uniqueViolation {
            try session.executeScript("ROLLBACK TO SAVEPOINT meal_bulk")
        }
        try produce(add)  // the meals not yet handed over when the server refused a row
        try session.executeScript("""
            CREATE TEMP TABLE IF NOT EXISTS meal_staging (LIKE meal INCLUDING DEFAULTS) ON COMMIT DROP;
            TRUNCATE meal_staging
            """)
        _ = try session.copyIn("COPY meal_staging (\(Self.copyColumns)) FROM STDIN") { writer in try rows.send(to: writer, from: 0) }
        return try Self.stored(try session.query("""
            INSERT INTO meal (\(Self.copyColumns))
            SELECT \(Self.copyColumns)
            FROM meal_staging i
            WHERE NOT EXISTS (SELECT 1 FROM claim c WHERE c.site_code = i.site_code
                              AND c.month = date_trunc('month', i.served_on)::date AND c.status = ANY ($1::text[]))
            ORDER BY id
            ON CONFLICT DO NOTHING
            RETURNING \(Self.storedColumns)
            """, [ClaimStatus.periodClosingParameter]).rows)
    }

    /// The columns an import writes, in `CopyText.row(id:_:actor:)`'s order.
    static let copyColumns = """
        id, diner_id, site_code, served_on, slot, price_fen, delivery, age, bracket, subsidy_fen, subsidy_seq, \
        idempotency_key, request_hash, created_by, category, funders, city_fen, district_fen, street_fen
        """
}

/// Rows in COPY's text format, built as bytes: each field appended in place (an import writes
/// hundreds of thousands of rows; a `String` per field was a sixth of its CPU samples).
struct CopyText {
    private(set) var bytes: [UInt8] = []
    /// Whether the next field is the first of its row (no tab before it).
    private var rowStart = true

    /// Room for `capacity` bytes at once: a file's rows are kept whole (the fallback sends them
    /// again), and growing by doubling copied them and touched fresh pages each time.
    init(reservingCapacity capacity: Int = 0) {
        bytes.reserveCapacity(capacity)
    }

    /// About how many bytes a meal's row takes (the request hash alone is 64).
    static let mealRowBytes = 192

    /// A meal's row in `MealStore.copyColumns`' order.
    mutating func row(id: Int, _ m: PricedMeal, actor: String) {
        let funding = FundingColumns(m.funding)
        field(id); field(m.dinerID); field(m.siteCode); field(m.servedOn.description); field(m.slot.rawValue); field(m.priceFen)
        field(m.delivery ? "t" : "f"); field(m.age); field(m.bracket); field(m.subsidyFen); field(m.subsidyPlace)
        field(m.idempotencyKey); field(m.requestHash); field(actor); field(m.category?.rawValue)
        field(funding.funders); field(funding.city); field(funding.district); field(funding.street)
        endRow()
    }

    mutating func row(_ fields: [String?]) {
        for value in fields { field(value) }
        endRow()
    }

    /// A text field, escaped as COPY's text format wants; nil is `\N`.
    mutating func field(_ value: String?) {
        separate()
        guard var value else { return null() }
        value.withUTF8 { utf8 in
            guard utf8.contains(where: { $0 == 92 || $0 == 9 || $0 == 10 || $0 == 13 }) else {
                bytes.append(contentsOf: utf8)
                return
            }
            for b in utf8 {
                switch b {
                case 92: bytes.append(contentsOf: [92, 92])
                case 9: bytes.append(contentsOf: [92, 116])
                case 10: bytes.append(contentsOf: [92, 110])
                case 13: bytes.append(contentsOf: [92, 114])
                default: bytes.append(b)
                }
            }
        }
    }

    /// A number in decimal; nil is `\N`.
    mutating func field(_ value: Int?) {
        separate()
        guard let value else { return null() }
        if value < 0 { bytes.append(45) }  // -
        digits(value.magnitude)
    }

    mutating func endRow() {
        bytes.append(10)
        rowStart = true
    }

    private mutating func separate() {
        if !rowStart { bytes.append(9) }
        rowStart = false
    }

    private mutating func null() {
        bytes.append(92)
        bytes.append(78)
    }

    /// `value`'s decimal digits.
    private mutating func digits(_ value: UInt) {
        let start = bytes.count
        var rest = value
        repeat {
            bytes.append(UInt8(48 + rest % 10))
            rest /= 10
        } while rest > 0
        bytes[start...].reverse()
    }

    /// Sends the bytes from `start` on.
    func send(to writer: CopyWriter, from start: Int) throws {
        let chunk = 1 << 20
        try bytes.withUnsafeBytes { raw in
            var offset = start
            while offset < raw.count {
                let end = min(offset + chunk, raw.count)
                try writer.write(UnsafeRawBufferPointer(rebasing: raw[offset..<end]))
                offset = end
            }
        }
    }
}
