import Crypto
import Foundation

/// SHA-256 digests as lowercase hex: token hashes and the audit chain's row hashes.
enum SHA256Hex {
    static func of<D: DataProtocol>(_ data: D) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var hex: [UInt8] = []
        hex.reserveCapacity(64)
        for byte in SHA256.hash(data: data) {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: hex, as: UTF8.self)
    }
}
