import CanteenAPI
import CanteenDomain
import HTTPTypes
import Hummingbird
import NIOCore
import Foundation
import OpenAPIRuntime

/// Where the generated server meets the router: every operation of `openapi.yaml` is registered
/// here, the `/v1` ones on the authenticated group, the others on the router itself. Before an
/// operation decodes anything, its parameters are checked against the document
/// (`ContractParameters`) and its body is read once: at most 1 MiB (`payload_too_large`), without
/// NUL (`invalid_request`), and an empty body is no body. The service negotiates no content — a
/// route, or its `format`, decides what it answers — so a client's `Accept` is not checked
/// against it; every text answer says it is UTF-8.
///
/// This is swift-openapi-hummingbird's transport with one change: an answer goes out as one
/// buffer, its head and body in one write. The package streams every body after the head, two
/// writes (and two TCP segments) per answer, which cost the counter a fifth of its rate.
struct ContractRoutes: ServerTransport {
    typealias Handler = @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)

    let router: Router<AppRequestContext>
    let v1: RouterGroup<AuthenticatedContext>

    /// SPEC §3: a body over 1 MiB is `payload_too_large`; a CSV file to import may hold 10 MiB.
    static let maximumBody = 1 << 20
    static let maximumFile = 10 << 20
    /// The operations whose body is a CSV file (its rows answer a NUL themselves).
    static let fileUploads: Set<String> = ["POST /v1/diners/import", "POST /v1/meals/import"]

    func register(_ handler: @escaping Handler, method: HTTPRequest.Method, path: String) throws {
        let declared = try ContractParameters.contract.declared(by: "\(method.rawValue) \(path)")
        let isFile = Self.fileUploads.contains("\(method.rawValue) \(path)")
        if path.hasPrefix("/v1/") {
            v1.on(RouterPath(String(path.dropFirst("/v1".count))), method: method) { request, context in
                try await Self.answer(request, context, declared, isFile: isFile, handler)
            }
        } else {
            router.on(RouterPath(path), method: method) { request, context in
                try await Self.answer(request, context, declared, isFile: isFile, handler)
            }
        }
    }

    static func answer(_ request: Request, _ context: some RequestContext, _ declared: [ContractParameters.Parameter], isFile: Bool,
                       _ handler: Handler) async throws -> Response {
        let metadata = ServerRequestMetadata(pathParameters: [String: Substring](context.parameters.map { (String($0.0), $0.1) }) { first, _ in first })
        var head = try ContractParameters.checked(request.head, declared: declared, pathParameters: metadata.pathParameters)
        head.headerFields[.accept] = nil
        let (response, body) = try await handler(head, try await Self.body(of: request, isFile: isFile), metadata)
        var headers = response.headerFields
        if let type = headers[.contentType], !type.contains("charset"), type.hasPrefix("text/") || type == "application/yaml" {
            headers[.contentType] = type + "; charset=utf-8"
        }
        var buffer = ByteBuffer()
        if let body {
            for try await chunk in body { buffer.writeBytes(chunk) }
        }
        return Response(status: response.status, headers: headers, body: .init(byteBuffer: buffer))
    }

    /// The request's body, read whole: nil when empty. A JSON body holds at most 1 MiB and no
    /// NUL; a file at most 10 MiB (its rows answer a NUL themselves).
    static func body(of request: Request, isFile: Bool) async throws -> HTTPBody? {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: isFile ? maximumFile : maximumBody)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw CanteenError(.payloadTooLarge, isFile ? "the file is larger than 10 MiB: split it" : "the body is larger than 1 MiB")
        }
        guard buffer.readableBytes > 0 else { return nil }
        if !isFile, buffer.withUnsafeReadableBytes(TextInput.jsonHasNUL) { throw TextInput.nulError }
        return HTTPBody(Array(buffer.readableBytesView))
    }

    /// A file body's bytes (read whole by `body(of:isFile:)` already).
    static func data(_ body: HTTPBody) async throws -> Data {
        try await Data(collecting: body, upTo: maximumFile)
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
