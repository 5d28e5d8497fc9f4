import CanteenDomain
import Foundation

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
