import CanteenDomain
import Postgres
import Synchronization

/// Sites and policies, kept in memory for the meal rules. Every group of meals reads the
/// catalogue's version (a row that triggers move in the same transaction as any change of a
/// site, policy or tier) in the same statement as its other facts; when it differs from the
/// cached one, the catalogue is read again in that transaction. So a site closed or a policy
/// added by another process (the CLI, a second server) is seen by the next meal logged after
/// that change committed — as it would be without a cache.
final class Catalog: Sendable {
    struct Snapshot: Sendable {
        let version: Int
        let sites: [String: Site]
        let policies: PolicyBook
    }

    private let cached = Mutex<Snapshot?>(nil)

    init() {}

    /// The catalogue at `version`, read through `session` when the cache holds another one.
    func snapshot(version: Int, _ session: Session) throws -> Snapshot {
        if let snapshot = cached.withLock({ $0 }), snapshot.version == version { return snapshot }
        let current = try Self.load(session)
        cached.withLock { cached in
            if cached.map({ $0.version < current.version }) ?? true { cached = current }
        }
        return current
    }

    /// The version the database holds now.
    static func version(_ session: Session) throws -> Int {
        guard let row = try session.queryPrepared("SELECT version FROM catalog_version").first else {
            throw CanteenError.internalFailure()
        }
        return try row.decode("version")
    }

    static func load(_ session: Session) throws -> Snapshot {
        // The version first: the rows read after it are at least as new, so a change committed in
        // between only makes the next group read the catalogue once more.
        let version = try Self.version(session)
        let sites = try session.query("SELECT \(SiteService.columns) FROM site").rows.map(SiteService.site(from:))
        return Snapshot(version: version, sites: Dictionary(uniqueKeysWithValues: sites.map { ($0.code, $0) }),
                        policies: try PolicyService.loadAll(session))
    }
}
