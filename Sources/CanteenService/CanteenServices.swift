import CanteenDomain
import Logging
import Postgres

/// Every service over one database and one clock: what the HTTP layer and the CLI both stand on.
public struct CanteenServices: Sendable {
    public let db: Database
    public let clock: BusinessClock
    public let sites: SiteService
    public let policies: PolicyService
    public let diners: DinerService
    public let meals: MealService
    public let quotes: QuoteService
    public let importer: MealImporter
    public let dinerImporter: DinerImporter
    public let claims: ClaimService
    public let reports: ReportService
    public let tokens: TokenService
    public let audit: AuditService

    /// Session settings every connection of the service uses: the business time zone, and no
    /// JIT (its compile time, seconds for a large plan, dwarfs these short statements).
    public static func connectionSettings(clock: BusinessClock) -> [String: String] {
        ["TimeZone": clock.timeZone.identifier, "jit": "off"]
    }

    public init(pool: PostgresPool, clock: BusinessClock, logger: Logger = Logger(label: "canteen")) {
        let db = Database(pool: pool, logger: logger)
        let catalog = Catalog()
        self.db = db
        self.clock = clock
        self.sites = SiteService(db: db, clock: clock)
        self.policies = PolicyService(db: db, clock: clock)
        self.diners = DinerService(db: db, clock: clock, catalog: catalog)
        self.meals = MealService(db: db, clock: clock, catalog: catalog)
        self.quotes = QuoteService(db: db, clock: clock, catalog: catalog)
        self.importer = MealImporter(db: db, clock: clock, catalog: catalog)
        self.dinerImporter = DinerImporter(db: db, clock: clock)
        self.claims = ClaimService(db: db, clock: clock)
        self.reports = ReportService(db: db, clock: clock)
        self.tokens = TokenService(db: db)
        self.audit = AuditService(db: db, clock: clock)
    }
}
