import CanteenDomain
import Foundation
import Hummingbird

/// What every context of this server shares: the SPEC's body limit and the JSON coders.
public protocol CanteenRequestContext: RequestContext {}

extension CanteenRequestContext {
    /// SPEC §3: a body over 1 MiB is `payload_too_large`.
    public var maxUploadSize: Int { 1 << 20 }

    public var responseEncoder: JSONEncoder { JSONCoding.encoder() }
    public var requestDecoder: JSONDecoder { JSONCoding.decoder() }

    /// An integer path parameter (an id); anything else is `invalid_request`.
    func id(_ name: String = "id") throws -> Int {
        guard let text = parameters.get(name), let value = Int(text), value > 0 else {
            throw CanteenError.invalidRequest("\(name) must be a positive integer", field: name)
        }
        return value
    }

    func text(_ name: String) throws -> String {
        guard let text = parameters.get(name) else { throw CanteenError.invalidRequest("\(name) is required", field: name) }
        return text
    }
}

/// The request context the server creates: the request id, the peer's address, and the
/// principal once `AuthMiddleware` has checked a bearer token.
public struct AppRequestContext: CanteenRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by `AuthMiddleware`; `AuthenticatedContext` requires it.
    public var principal: Principal?
    /// Echoed in `X-Request-Id` and in the request's log line.
    public var requestID: String = ""
    /// The peer's IP address (for the failed-authentication limit); nil in router tests.
    public let clientAddress: String?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.clientAddress = source.channel.remoteAddress?.ipAddress
    }
}

/// The context of every `/v1` route: narrowed once, after `AuthMiddleware`, to a caller who
/// is certainly authenticated, so no handler asks again.
public struct AuthenticatedContext: ChildRequestContext, CanteenRequestContext {
    public typealias ParentContext = AppRequestContext
    public var coreContext: CoreRequestContextStorage
    /// Who is calling: every service call is authorised against it.
    public let principal: Principal

    public init(context: AppRequestContext) throws {
        guard let principal = context.principal else { throw CanteenError(.unauthorized, "a bearer token is required") }
        self.coreContext = context.coreContext
        self.principal = principal
    }
}
