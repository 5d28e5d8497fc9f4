import CanteenDomain
import Foundation
import Hummingbird

/// The request context of every route: the request id, and the principal once authenticated.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by `AuthMiddleware` on `/v1` routes.
    public var principal: Principal?
    /// Echoed in `X-Request-Id` and in the request's log line.
    public var requestID: String = ""
    /// The peer's IP address (for the failed-authentication limit); nil in router tests.
    public let clientAddress: String?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.clientAddress = source.channel.remoteAddress?.ipAddress
    }

    /// SPEC §3: a body over 1 MiB is `payload_too_large`.
    public var maxUploadSize: Int { 1 << 20 }

    public var responseEncoder: JSONEncoder { JSONCoding.encoder() }
    public var requestDecoder: JSONDecoder { JSONCoding.decoder() }

    /// The authenticated caller (the auth middleware guarantees one on `/v1`).
    func actor() throws -> Principal {
        guard let principal else { throw CanteenError(.unauthorized, "a bearer token is required") }
        return principal
    }
}
