/// A mainland resident identity card number (居民身份证号码, GB 11643-1999).
///
/// Always 18 characters once parsed: legacy 15-digit numbers are converted.
/// Birth date and sex are derived from the number, never typed in. The full
/// number is sensitive: show `masked` everywhere except the few places SPEC §3.4 lists.
public struct ResidentID: Hashable, Sendable, CustomStringConvertible {
    /// The 18-character number, check character upper-case.
    public let value: String
    public let birthDate: LocalDate
    public let sex: Sex

    static let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    static let checkCharacters = Array("10X98765432".utf8)
    static let earliestBirthDate = LocalDate(year: 1900, month: 1, day: 1)!
    static let provinces: Set<Int> = Set([11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37,
                                          41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 91])

    /// Parses and checks `text`, with `today` bounding the birth date. Every failure is
    /// `invalid_resident_id` with a detail naming the rule that failed.
    public init(parsing text: String, today: LocalDate) throws {
        let trimmed = text.trimmingWhitespace()
        guard trimmed.unicodeScalars.allSatisfy({ $0.isASCII && (Self.isDigit(UInt8($0.value)) || $0 == "X" || $0 == "x") }) else {
            throw Self.invalid("character", "only the digits 0-9 and a final X are allowed")
        }
        var bytes = Array(trimmed.utf8)
        switch bytes.count {
        case 18:
            guard bytes.prefix(17).allSatisfy(Self.isDigit) else {
                throw Self.invalid("character", "the first 17 characters must be digits 0-9")
            }
            if bytes[17] == UInt8(ascii: "x") { bytes[17] = UInt8(ascii: "X") }
        case 15:
            guard bytes.allSatisfy(Self.isDigit) else {
                throw Self.invalid("character", "a 15-digit number must be all digits")
            }
            // Legacy numbers: the century 19 goes before the 2-digit year; the check character is appended.
            bytes.insert(contentsOf: Array("19".utf8), at: 6)
            bytes.append(Self.checkCharacter(bytes[0..<17]))
        default:
            throw Self.invalid("length", "must be 18 characters (or a legacy 15-digit number), got \(bytes.count)")
        }
        let province = Int(bytes[0] - 48) * 10 + Int(bytes[1] - 48)
        guard Self.provinces.contains(province) else {
            throw Self.invalid("province", "\(bytes[0] - 48)\(bytes[1] - 48) is not a province code")
        }
        guard let birth = LocalDate(compact: bytes[6..<14]) else {
            throw Self.invalid("birth date", "characters 7–14 are not a real date")
        }
        guard birth >= Self.earliestBirthDate else {
            throw Self.invalid("birth date", "the birth date is before 1900-01-01")
        }
        guard birth <= today else {
            throw Self.invalid("birth date", "the birth date is in the future")
        }
        guard bytes[17] == Self.checkCharacter(bytes[0..<17]) else {
            throw Self.invalid("check character", "the check character does not match")
        }
        self.value = String(decoding: bytes, as: UTF8.self)
        self.birthDate = birth
        self.sex = (bytes[16] - 48) % 2 == 1 ? .male : .female
    }

    static func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

    static func checkCharacter(_ digits: ArraySlice<UInt8>) -> UInt8 {
        var sum = 0
        for (weight, digit) in zip(weights, digits) { sum += weight * Int(digit - 48) }
        return checkCharacters[sum % 11]
    }

    static func invalid(_ rule: Message, _ message: Message) -> CanteenError {
        CanteenError(.invalidResidentID, "\(rule): \(message)",
                     errors: [FieldError(field: "resident_id", message: "\(rule): \(message)")])
    }

    /// First 6 and last 4 characters kept: `371502********123X`.
    public var masked: String { Self.mask(value) }

    public static func mask(_ value: String) -> String {
        let chars = Array(value)
        guard chars.count > 10 else { return String(repeating: "*", count: chars.count) }
        return String(chars.prefix(6)) + String(repeating: "*", count: chars.count - 10) + String(chars.suffix(4))
    }

    /// Never the full number: a stray `print` or log interpolation shows the masked form.
    public var description: String { masked }

    /// Completes 17 digits with their check character (for generating valid fictional numbers).
    public static func completing(_ seventeenDigits: String) -> String? {
        let bytes = Array(seventeenDigits.utf8)
        guard bytes.count == 17, bytes.allSatisfy(isDigit) else { return nil }
        return seventeenDigits + String(UnicodeScalar(checkCharacter(bytes[0..<17])))
    }
}

public enum Sex: String, Sendable, Codable, CaseIterable {
    case male = "M"
    case female = "F"

    public var chineseLabel: String { self == .male ? "男" : "女" }
}
