import CanteenDomain
import Hummingbird

/// The request context the server creates: the request id, the peer's address, and the
/// principal once `AuthMiddleware` has checked a bearer token.
public struct AppRequestContext: RequestContext {
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
public struct AuthenticatedContext: ChildRequestContext {
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
