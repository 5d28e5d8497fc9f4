import CanteenDomain

/// Loads the demonstration data of `seeds/` through the ordinary services, so seeds obey every rule.
public struct SeedLoader: Sendable {
    let services: CanteenServices
    let actor: Principal

    public init(services: CanteenServices, actor: Principal) {
        self.services = services
        self.actor = actor
    }

    public struct Result: Encodable, Sendable {
        public let created: Int
        public let existing: Int
    }

    /// Creates each site that does not exist yet.
    public func loadSites(_ drafts: [SiteDraft]) async throws -> Result {
        var created = 0
        var existing = 0
        for draft in drafts {
            do {
                _ = try await services.sites.create(draft, by: actor)
                created += 1
            } catch let error as CanteenError where error.code == .duplicateSiteCode {
                existing += 1
            }
        }
        return Result(created: created, existing: existing)
    }
}
