import CanteenDomain
import Postgres

/// The monthly report across canteens (SPEC §2.10), from live meals.
public struct ReportService: Sendable {
    let db: Database
    let clock: BusinessClock

    public init(db: Database, clock: BusinessClock) {
        self.db = db
        self.clock = clock
    }

    /// One site's month.
    public struct SiteRow: Sendable {
        public let siteCode: String
        public let name: String
        public let street: String
        public let meals: Int
        public let subsidizedMeals: Int
        public let diners: Int
        public let subsidyFen: Int
        public let operatingSubsidyFen: Int
        public let funders: [FundingShare]
        public let claimStatus: ClaimStatus?
    }

    public struct Totals: Sendable {
        public let meals: Int
        public let subsidizedMeals: Int
        public let diners: Int
        public let subsidyFen: Int
        public let operatingSubsidyFen: Int
    }

    public struct DayRow: Sendable {
        public let date: LocalDate
        public let meals: Int
    }

    public struct MonthlyReport: Sendable {
        public let month: YearMonth
        public let street: String?
        public let sites: [SiteRow]
        public let brackets: [ClaimBracket]
        /// What each funder pays of the month's subsidies (SPEC §2.13).
        public let funders: [FundingShare]
        public let days: [DayRow]
        public let totals: Totals
    }

    public func monthly(month text: String?, street: String?, by actor: Principal) async throws -> MonthlyReport {
        try actor.require(.admin, .bureau)
        guard let text, let month = YearMonth(iso: text) else {
            throw CanteenError.invalidRequest("month must be YYYY-MM", field: "month")
        }
        let current = clock.today().yearMonth
        guard month <= current else {
            throw CanteenError.validation([FieldError(field: "month", message: "\(month) is after the current month \(current)")])
        }
        // A street office (SPEC §2.11) reports on its streets: `street=` outside them is forbidden.
        if let street { try actor.requireStreet(street) }
        let streets: TextArray? = street.map { TextArray([$0]) } ?? (actor.streets.isEmpty ? nil : TextArray(actor.streets.sorted()))
        let shownStreet = street ?? (actor.streets.count == 1 ? actor.streets.first : nil)
        let from = month.firstDay
        let to = month.next.firstDay
        // One transaction: the figures of all parts come from one moment, and the aggregates of
        // millions of meals get room to hash in memory.
        return try await db.transaction { session in
            try session.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            try session.query("SET LOCAL work_mem = '256MB'")
            // One pass over the month's meals, summed per site, diner and bracket (a hash of about
            // one row per diner); the per-site, per-bracket and distinct-diner figures come from
            // that small table. Counting distinct diners straight from the meals made PostgreSQL
            // read all of them in site order through an index: 37 s for 10 million meals. The
            // category is a grouping column, not a DISTINCT aggregate: PostgreSQL cannot hash a
            // DISTINCT aggregate and sorted all the month's meals for it (25 s instead of 11 s).
            try session.query("""
                CREATE TEMP TABLE report_diner (site_code text, diner_id bigint, bracket text, category text, meals bigint,
                                                subsidized bigint, subsidy bigint, city bigint, district bigint, street bigint) ON COMMIT DROP
                """)
            try session.query("""
                INSERT INTO report_diner
                SELECT site_code, diner_id, bracket, category, count(*), count(*) FILTER (WHERE subsidy_fen > 0), sum(subsidy_fen),
                       sum(coalesce(city_fen, 0)),
                       sum(coalesce(district_fen, 0)), sum(coalesce(street_fen, 0))
                FROM meal
                WHERE served_on >= $1 AND served_on < $2 AND status = 'valid'
                  AND ($3::text[] IS NULL OR site_code IN (SELECT code FROM site WHERE street = ANY ($3::text[])))
                GROUP BY site_code, diner_id, bracket, category
                """, [from, to, streets])
            let operating = try Self.operating(session, month: month, streets: streets)
            let perSite = try session.query("""
                WITH m AS (
                    SELECT site_code, sum(meals) AS meals, sum(subsidized) AS subsidized,
                           count(DISTINCT diner_id) AS diners, sum(subsidy) AS subsidy,
                           sum(city) AS city, sum(district) AS district, sum(street) AS street
                    FROM report_diner GROUP BY site_code
                )
                SELECT s.code, s.name, s.street, coalesce(m.meals, 0), coalesce(m.subsidized, 0), coalesce(m.diners, 0),
                       coalesce(m.subsidy, 0), c.status, coalesce(m.city, 0), coalesce(m.district, 0), coalesce(m.street, 0)
                FROM site s
                LEFT JOIN m ON m.site_code = s.code
                LEFT JOIN claim c ON c.site_code = s.code AND c.month = $1
                WHERE ($3::text[] IS NULL OR s.street = ANY ($3::text[]))
                  AND (m.site_code IS NOT NULL OR (s.opens_on < $2 AND (s.closes_on IS NULL OR s.closes_on > $1)))
                ORDER BY s.street, s.code
                """, [from, to, streets]).rows.map { row in
                let code: String = try row.decode(0)
                return SiteRow(siteCode: code, name: try row.decode(1), street: try row.decode(2), meals: try row.decode(3),
                               subsidizedMeals: try row.decode(4), diners: try row.decode(5), subsidyFen: try row.decode(6),
                               operatingSubsidyFen: operating[code]?.fen ?? 0,
                               funders: FundingShare.totals([FundingShare(.city, try row.decode(8)), FundingShare(.district, try row.decode(9)),
                                                             FundingShare(.street, try row.decode(10))]),
                               claimStatus: try row.decode(7, as: String?.self).flatMap(ClaimStatus.init(rawValue:)))
            }
            let brackets = try session.query("""
                SELECT bracket, sum(meals), count(DISTINCT diner_id), sum(subsidy),
                       array_to_string(array_agg(DISTINCT category) FILTER (WHERE category IS NOT NULL), ',')
                FROM report_diner
                GROUP BY bracket ORDER BY bracket
                """).rows.map {
                ClaimBracket(bracket: try $0.decode(0), categories: try [DinerCategory](storedList: try $0.decode(4, as: String?.self) ?? ""),
                             meals: try $0.decode(1), diners: try $0.decode(2), subsidyFen: try $0.decode(3))
            }
            let scope = "served_on >= $1 AND served_on < $2 AND status = 'valid' AND ($3::text[] IS NULL OR site_code IN (SELECT code FROM site WHERE street = ANY ($3::text[])))"
            let days = try session.query("SELECT served_on, count(*) FROM meal WHERE \(scope) GROUP BY served_on ORDER BY served_on",
                                         [from, to, streets]).rows.map { DayRow(date: try $0.decode(0), meals: try $0.decode(1)) }
            let diners: Int = try session.query("SELECT count(DISTINCT diner_id) FROM report_diner").one().decode(0)
            let totals = Totals(meals: perSite.reduce(0) { $0 + $1.meals }, subsidizedMeals: perSite.reduce(0) { $0 + $1.subsidizedMeals },
                                diners: diners, subsidyFen: perSite.reduce(0) { $0 + $1.subsidyFen },
                                operatingSubsidyFen: perSite.reduce(0) { $0 + $1.operatingSubsidyFen })
            return MonthlyReport(month: month, street: shownStreet, sites: perSite, brackets: brackets,
                                 funders: FundingShare.totals(perSite.flatMap(\.funders)), days: days, totals: totals)
        }
    }

    /// Each site's operating subsidy of the month from its live meals (SPEC §2.14): per date, the
    /// diners with a valid subsidised meal there, at the rate of that date's policy. Nothing to
    /// count in a month no policy pays one.
    static func operating(_ session: Session, month: YearMonth, streets: TextArray?) throws -> [String: OperatingSubsidy.Earned] {
        let rates = OperatingSubsidy.rates(in: month, policies: try PolicyService.loadAll(session))
        guard !rates.isEmpty else { return [:] }
        let rows = try session.query("""
            SELECT site_code, served_on, count(*) FROM (
                SELECT DISTINCT site_code, served_on, diner_id FROM meal
                WHERE served_on >= $1 AND served_on < $2 AND status = 'valid' AND subsidy_fen > 0
                  AND ($3::text[] IS NULL OR site_code IN (SELECT code FROM site WHERE street = ANY ($3::text[])))
            ) d GROUP BY site_code, served_on
            """, [month.firstDay, month.next.firstDay, streets]).rows
        var dinerDays: [String: [LocalDate: Int]] = [:]
        for row in rows {
            dinerDays[try row.decode(0, as: String.self), default: [:]][try row.decode(1, as: LocalDate.self)] = try row.decode(2)
        }
        return dinerDays.mapValues { OperatingSubsidy.earned(dinerDays: $0, rates: rates) }
    }
}
