import CanteenAPI
import CanteenDomain
import CanteenService
import CanteenWire
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import OpenAPIRuntime

/// One log line per request — method, path (never the query: it can hold a resident ID),
/// status, duration, request id — and the request id echoed in `X-Request-Id`.
struct RequestLogMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let logger: Logger

    static let requestIDField = HTTPField.Name("X-Request-Id")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let incoming = request.headers[Self.requestIDField].flatMap { id in
            id.count <= 64 && id.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) ? id : nil
        }
        context.requestID = incoming ?? Self.newRequestID()
        let started = ContinuousClock.now
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            let language = Language.preferred(acceptLanguage: request.headers[.acceptLanguage])
            response = Language.$current.withValue(language) { ProblemMiddleware.response(for: error, logger: logger) }
        }
        response.headers[Self.requestIDField] = context.requestID
        let elapsed = ContinuousClock.now - started
        let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        logger.info("\(request.method.rawValue) \(Self.loggable(request.uri.path)) \(response.status.code) \(String(format: "%.1f", ms))ms",
                    metadata: ["request_id": .string(context.requestID)])
        return response
    }
}

extension RequestLogMiddleware {
    /// A random version-4 UUID, lowercased, from the system's generator (getrandom(2)).
    /// Foundation's `UUID()` opens, reads and closes /dev/urandom on every call on Linux: three
    /// system calls per request at the counter.
    static func newRequestID() -> String {
        var generator = SystemRandomNumberGenerator()
        var bits = (generator.next() as UInt64, generator.next() as UInt64)
        return withUnsafeMutableBytes(of: &bits) { bytes in
            bytes[6] = bytes[6] & 0x0F | 0x40  // version 4
            bytes[8] = bytes[8] & 0x3F | 0x80  // the RFC 4122 variant
            return UUID(uuid: bytes.loadUnaligned(as: uuid_t.self)).uuidString.lowercased()
        }
    }

    /// The path as logged: a run of 15 or more digits (a resident ID, or a number that could be
    /// one, sent where an id goes) becomes `…`, so no log line can carry a resident ID.
    static func loggable(_ path: String) -> String {
        var out = ""
        var run = ""
        func flush() {
            out += run.count >= 15 ? "…" : run
            run = ""
        }
        for character in path {
            if character.isASCII && (character.isNumber || character == "X" || character == "x") {
                run.append(character)
            } else {
                flush()
                out.append(character)
            }
        }
        flush()
        return out
    }
}

/// Turns every failure into an `application/problem+json` answer with the SPEC's `code`:
/// no stack trace, SQL text or internal type name ever reaches a client.
struct ProblemMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let logger: Logger

    /// The request's language (SPEC §3, `Accept-Language`) holds for everything it runs: the
    /// problem answered here and the problems of a batch's items or an import's rows.
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let language = Language.preferred(acceptLanguage: request.headers[.acceptLanguage])
        return await Language.$current.withValue(language) {
            do {
                return try await next(request, context)
            } catch {
                return Self.response(for: error, logger: logger)
            }
        }
    }

    static func response(for error: any Error, logger: Logger) -> Response {
        let canteenError = canteenError(error, logger: logger)
        let problem = Components.Schemas.Problem(canteenError)
        var headers: HTTPFields = [.contentType: "application/problem+json"]
        if let seconds = canteenError.retryAfterSeconds { headers[.retryAfter] = String(seconds) }
        let data = (try? JSONCoding.encoder().encode(problem)) ?? Data()
        return Response(status: HTTPResponse.Status(code: problem.status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func canteenError(_ error: any Error, logger: Logger) -> CanteenError {
        switch error {
        case let error as CanteenError:
            return error
        case let error as ServerError:
            return contractError(error, logger: logger)
        case let error as any HTTPResponseError:
            switch error.status {
            case .notFound: return CanteenError(.notFound, "no such resource")
            case .contentTooLarge: return CanteenError(.payloadTooLarge, "the body is larger than 1 MiB")
            case .methodNotAllowed: return CanteenError(.notFound, "no such route for this method")
            case .unauthorized: return CanteenError(.unauthorized, "a bearer token is required")
            default: return CanteenError(.invalidRequest, "the request could not be read")
            }
        case is HTTPParserError:
            // Broken framing (a bad chunk size, an unknown transfer coding): the client's fault.
            return CanteenError.invalidRequest("the request is not valid HTTP/1.1: \(error)")
        case let error as DecodingError:
            return .invalidBody(error)
        case is CancellationError:
            return .unavailable()
        default:
            // The services map every database failure (503 only when it cannot be reached) and
            // log it with its SQLSTATE; what arrives here unmapped is the service's fault. Only
            // its type is logged: an error's text may quote what the client sent.
            logger.error("unexpected failure", metadata: ["type": "\(type(of: error))"])
            return .internalFailure()
        }
    }
}

extension ProblemMiddleware {
    /// A failure inside a generated operation. Before its input exists, the request did not
    /// match the contract — a body member of the wrong type, a missing parameter, an unknown
    /// enum value — and that is the client's `invalid_request`, naming the member where the
    /// decoder knows it. After, it is whatever the operation threw.
    static func contractError(_ error: ServerError, logger: Logger) -> CanteenError {
        if let error = error.underlyingError as? CanteenError { return error }
        guard error.operationInput == nil else { return canteenError(error.underlyingError, logger: logger) }
        if let decoding = error.underlyingError as? DecodingError { return .invalidBody(decoding) }
        if (400..<500).contains(error.httpStatus.code) {
            return CanteenError.invalidRequest("the request does not match the API: \(error.causeDescription)")
        }
        return canteenError(error.underlyingError, logger: logger)
    }
}

/// SPEC §3: a text value with a NUL character is `invalid_request`. A NUL can reach a URL only
/// percent-encoded; a body is checked where it is read (`ContractRoutes.body(of:)`).
struct TextInputMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if TextInput.hasEncodedNUL(request.uri.description) {
            throw TextInput.nulError
        }
        return try await next(request, context)
    }
}

/// `Authorization: Bearer <token>` on every `/v1` route: none or unknown is 401. After too many
/// failures from one address in a minute its failing requests answer 429 with `Retry-After`;
/// a valid token always passes, whatever else came from its address (counters behind one NAT).
struct AuthMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let tokens: TokenService
    let limiter: FailedAuthLimiter

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let address = context.clientAddress ?? "unknown"
        var context = context
        do {
            guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else {
                throw CanteenError(.unauthorized, "send Authorization: Bearer <token>")
            }
            // Spaces and tabs around the token (Foundation's trimming costs more than the rest of the check).
            var token = header.dropFirst(7)
            while token.first == " " || token.first == "\t" { token.removeFirst() }
            while token.last == " " || token.last == "\t" { token.removeLast() }
            context.principal = try await tokens.authenticate(String(token))
        } catch let error as CanteenError where error.code == .unauthorized {
            try limiter.check(address)
            limiter.recordFailure(address)
            throw error
        }
        return try await next(request, context)
    }
}
