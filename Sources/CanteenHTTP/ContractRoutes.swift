import CanteenAPI
import CanteenDomain
import HTTPTypes
import Hummingbird
import OpenAPIHummingbird
import OpenAPIRuntime

/// Where the generated server meets the router: every operation of `openapi.yaml` is registered
/// through swift-openapi-hummingbird, the `/v1` ones on the authenticated group, the others on
/// the router itself. Before an operation decodes anything, its parameters are checked against
/// the document (`ContractParameters`) and its body is read here once: at most
/// 1 MiB (`payload_too_large`), without NUL (`invalid_request`), and an empty body is no body.
/// The service negotiates no content — a route, or its `format`, decides what it answers — so a
/// client's `Accept` is not checked against it; every text answer says it is UTF-8.
struct ContractRoutes: ServerTransport {
    typealias Handler = @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)

    let router: Router<AppRequestContext>
    let v1: RouterGroup<AuthenticatedContext>

    /// SPEC §3: a body over 1 MiB is `payload_too_large`.
    static let maximumBody = 1 << 20

    func register(_ handler: @escaping Handler, method: HTTPRequest.Method, path: String) throws {
        let operation = "\(method.rawValue) \(path)"
        let parameters = ContractParameters.contract
        let prepared: Handler = { request, body, metadata in
            var request = try parameters.checked(request, operation: operation, pathParameters: metadata.pathParameters)
            request.headerFields[.accept] = nil
            var (response, answer) = try await handler(request, try await Self.read(body), metadata)
            if let type = response.headerFields[.contentType], !type.contains("charset"), type.hasPrefix("text/") || type == "application/yaml" {
                response.headerFields[.contentType] = type + "; charset=utf-8"
            }
            return (response, answer)
        }
        if path.hasPrefix("/v1/") {
            v1.register(prepared, method: method, path: String(path.dropFirst("/v1".count)))
        } else {
            router.register(prepared, method: method, path: path)
        }
    }

    static func read(_ body: HTTPBody?) async throws -> HTTPBody? {
        guard let body else { return nil }
        var bytes: [UInt8] = []
        for try await chunk in body {
            guard bytes.count + chunk.count <= maximumBody else { throw CanteenError(.payloadTooLarge, "the body is larger than 1 MiB") }
            bytes.append(contentsOf: chunk)
        }
        if bytes.isEmpty { return nil }
        if bytes.withUnsafeBytes(TextInput.jsonHasNUL) { throw TextInput.nulError }
        return HTTPBody(bytes)
    }
}

/// Who calls a `/v1` operation. A generated operation receives only its input, so the
/// authenticated context's principal reaches it through this task-local value.
enum Caller {
    @TaskLocal static var principal: Principal?

    /// The caller; every `/v1` operation runs inside `CallerMiddleware`, so it is always there.
    static func current() throws -> Principal {
        guard let principal else { throw CanteenError(.unauthorized, "a bearer token is required") }
        return principal
    }
}

/// Binds the authenticated context's principal for the operation the request reaches.
struct CallerMiddleware: RouterMiddleware {
    typealias Context = AuthenticatedContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        try await Caller.$principal.withValue(context.principal) { try await next(request, context) }
    }
}
