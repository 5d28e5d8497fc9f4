import CanteenDomain
import CanteenService
import Foundation
import Hummingbird
import NIOCore

/// A JSON answer with a status and extra headers.
struct JSONResponse<Value: Encodable>: ResponseGenerator {
    var status: HTTPResponse.Status = .ok
    let value: Value
    var headers: HTTPFields = [:]

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let data = try JSONCoding.encoder().encode(value)
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// A text document (CSV, HTML) with its content type.
struct DocumentResponse: ResponseGenerator {
    let contentType: String
    let text: String

    func response(from request: Request, context: some RequestContext) throws -> Response {
        Response(status: .ok, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

extension Request {
    /// Reads and decodes a JSON body (at most 1 MiB) with the SPEC's error codes.
    func decodeJSON<T: Decodable>(_ type: T.Type, context: some RequestContext, optional: Bool = false) async throws -> T {
        let buffer = try await body.collect(upTo: context.maxUploadSize)
        if buffer.withUnsafeReadableBytes(TextInput.jsonHasNUL) { throw TextInput.nulError }
        if buffer.readableBytes == 0 && optional, let empty = try? JSONCoding.decoder().decode(T.self, from: Data("{}".utf8)) {
            return empty
        }
        do {
            return try JSONCoding.decoder().decode(T.self, from: Data(buffer: buffer))
        } catch let error as CanteenError {
            throw error
        } catch let error as DecodingError {
            throw CanteenError.invalidRequest(Self.describe(error))
        } catch {
            throw CanteenError.invalidRequest("the body is not JSON")
        }
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .typeMismatch(_, let c): return c.codingPath.isEmpty ? "the body must be a JSON object" : "\(path(c.codingPath)) has the wrong type"
        case .valueNotFound(_, let c): return "\(path(c.codingPath)) must not be null"
        case .keyNotFound(let key, let c): return "\(path(c.codingPath + [key])) is required"
        case .dataCorrupted(let c): return c.codingPath.isEmpty ? "the body is not valid JSON" : "\(path(c.codingPath)) is not valid"
        @unknown default: return "the body could not be read"
        }
    }

    /// A query value, or nil when absent or empty.
    func query(_ name: String) -> String? {
        guard let value = uri.queryParameters[Substring(name)].map(String.init), !value.isEmpty else { return nil }
        return value
    }

    func queryInt(_ name: String) throws -> Int? {
        guard let text = query(name) else { return nil }
        guard let value = Int(text) else { throw CanteenError.invalidRequest("\(name) must be an integer", field: name) }
        return value
    }

    func page() throws -> PageRequest {
        try PageRequest(limit: try queryInt("limit"), cursor: query("cursor"))
    }
}

/// Where text enters over HTTP, a NUL character is refused once: libpq would cut the value at it.
enum TextInput {
    static let nulError = CanteenError.invalidRequest("text values must not contain a NUL character (\\u0000)")

    /// `%00` anywhere in a request target (path or query).
    static func hasEncodedNUL(_ target: String) -> Bool {
        var bytes = target.utf8.makeIterator()
        var state = 0  // 1: after %, 2: after %0
        while let b = bytes.next() {
            switch (state, b) {
            case (_, UInt8(ascii: "%")): state = 1
            case (1, UInt8(ascii: "0")): state = 2
            case (2, UInt8(ascii: "0")): return true
            default: state = 0
            }
        }
        return false
    }

    /// A raw NUL byte, or the escape `\u0000` inside a JSON string. Escapes are skipped as pairs,
    /// so the text `\\u0000` (an escaped backslash, then `u0000`) is no NUL.
    static func jsonHasNUL(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var i = 0
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            if b == 0 { return true }
            if b == UInt8(ascii: "\\"), i + 1 < n {
                if bytes[i + 1] == UInt8(ascii: "u"), i + 5 < n,
                   bytes[i + 2] == UInt8(ascii: "0"), bytes[i + 3] == UInt8(ascii: "0"),
                   bytes[i + 4] == UInt8(ascii: "0"), bytes[i + 5] == UInt8(ascii: "0") {
                    return true
                }
                i += 2
                continue
            }
            i += 1
        }
        return false
    }
}
