import CanteenDomain
import Foundation

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

    /// Creates each site of a JSON array of site objects that does not exist yet.
    public func loadSites(from file: URL) async throws -> Result {
        let data: Data
        do {
            data = try Data(contentsOf: file)
        } catch {
            throw CanteenError.invalidRequest("cannot read \(file.path)")
        }
        let drafts: [SiteDraft]
        do {
            drafts = try JSONCoding.decoder().decode([SiteDraft].self, from: data)
        } catch {
            throw CanteenError.invalidRequest("\(file.lastPathComponent) is not a JSON array of sites")
        }
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
