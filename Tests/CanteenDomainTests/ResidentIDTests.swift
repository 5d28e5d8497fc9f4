import CanteenDomain
import PropertyBased
import Testing

@Suite("Resident ID numbers (GB 11643-1999)")
struct ResidentIDTests {
    static let today = LocalDate(year: 2026, month: 11, day: 22)!

    /// Completes 17 digits with the check character.
    static func valid(_ seventeen: String) -> String { ResidentID.completing(seventeen)! }

    @Test func aValidNumberYieldsBirthDateSexAndMask() throws {
        let id = try ResidentID(parsing: "371502194503151234", today: Self.today)
        #expect(id.birthDate == LocalDate(year: 1945, month: 3, day: 15))
        #expect(id.sex == .male)
        #expect(id.masked == "371502********1234")
        #expect("\(id)" == "371502********1234")
        let woman = try ResidentID(parsing: "11010519491231002X", today: Self.today)
        #expect(woman.sex == .female)
        #expect(woman.masked == "110105********002X")
    }

    @Test func lowerCaseXAndSurroundingSpacesAreAccepted() throws {
        let id = try ResidentID(parsing: "  11010519491231002x\t", today: Self.today)
        #expect(id.value == "11010519491231002X")
        let fullWidthSpace = try ResidentID(parsing: "\u{3000}11010519491231002X\u{3000}", today: Self.today)
        #expect(fullWidthSpace.value == "11010519491231002X")
    }

    @Test func legacyFifteenDigitNumbersAreConverted() throws {
        let id = try ResidentID(parsing: "371502450315123", today: Self.today)
        #expect(id.value == "371502194503151234")
        #expect(id.birthDate == LocalDate(year: 1945, month: 3, day: 15))
        #expect(id.sex == .male)
        #expect(throws: CanteenError.self) { try ResidentID(parsing: "371502450230123", today: Self.today) }  // 1945-02-30
    }

    @Test func theTwentyNinthOfFebruaryIsARealDateOnlyInLeapYears() throws {
        #expect(try ResidentID(parsing: Self.valid("37150219400229002"), today: Self.today).birthDate.description == "1940-02-29")
        #expect(try ResidentID(parsing: Self.valid("37150220000229002"), today: Self.today).birthDate.description == "2000-02-29")
        #expect(throws: CanteenError.self) { try ResidentID(parsing: Self.valid("37150219000229002"), today: Self.today) }
        #expect(throws: CanteenError.self) { try ResidentID(parsing: Self.valid("37150219460229001"), today: Self.today) }
    }

    /// Hostile inputs, each with the rule its detail must name.
    static let hostile: [(String, String)] = {
        var cases: [(String, String)] = [
            ("", "length"), (" ", "length"), ("3", "length"), ("37150219450315123", "length"),
            ("3715021945031512345", "length"), ("37150245031512", "length"), ("3715024503151234", "length"),
            ("371502194503151234371502194503151234", "length"), ("37150219450315123X9", "length"),
            ("３７１５０２１９４５０３１５１２３４", "character"), ("371502 194503151234", "character"),
            ("371502-19450315-1234", "character"), ("37150219450315123Y", "character"), ("X71502194503151234", "character"),
            ("3715021945031512X4", "character"), ("37150219450315123\u{0}", "character"), ("371502194503151234\n1", "character"),
            ("37150219450315123٤", "character"), ("371502１94503151234", "character"), ("371502194503151234;", "character"),
            ("'371502194503151234", "character"), ("37150219450315123x0", "length"), ("37150245031512X", "character"),
            ("abcdefghijklmnopqr", "character"), ("١٢٣٤٥٦٧٨٩٠١٢٣٤٥٦٧٨", "character"), ("371502194503151234😀", "character"),
            ("3715021945O3151234", "character"), ("371502194503l51234", "character"), ("+371502194503151234", "character"),
            ("-37150219450315123", "character"), ("37150219450315123.", "character"),
            (valid("00150219450315123"), "province"), (valid("99150219450315123"), "province"), (valid("10150219450315123"), "province"),
            (valid("16150219450315123"), "province"), (valid("20150219450315123"), "province"), (valid("24150219450315123"), "province"),
            (valid("38150219450315123"), "province"), (valid("47150219450315123"), "province"), (valid("55150219450315123"), "province"),
            (valid("60150219450315123"), "province"), (valid("66150219450315123"), "province"), (valid("70150219450315123"), "province"),
            (valid("72150219450315123"), "province"), (valid("80150219450315123"), "province"), (valid("83150219450315123"), "province"),
            (valid("90150219450315123"), "province"), (valid("92150219450315123"), "province"),
            (valid("37150219001302123"), "birth date"), (valid("37150219450230123"), "birth date"), (valid("37150219450431123"), "birth date"),
            (valid("37150219450000123"), "birth date"), (valid("37150219450100123"), "birth date"), (valid("37150219000229002"), "birth date"),
            (valid("37150218991231123"), "birth date"), (valid("37150202000101123"), "birth date"), (valid("37150230000101123"), "birth date"),
            (valid("37150220261123123"), "birth date"), (valid("37150220270101123"), "birth date"), (valid("37150299999999123"), "birth date"),
            ("371502194503151235", "check character"), ("371502194503151230", "check character"), ("37150219450315123X", "check character"),
            ("110105194912310020", "check character"), ("110105194912310021", "check character"),
        ]
        cases.append(("371502194503151234".replacingOccurrences(of: "4", with: "\u{0664}"), "character"))
        return cases
    }()

    @Test func atLeastSixtyHostileInputsAreEachRejectedWithTheRuleThatFailed() {
        #expect(Self.hostile.count >= 60)
        for (input, rule) in Self.hostile {
            do {
                let parsed = try ResidentID(parsing: input, today: Self.today)
                Issue.record("accepted \(parsed.masked) from \(input.debugDescription)")
            } catch let error as CanteenError {
                #expect(error.code == .invalidResidentID, "\(input.debugDescription)")
                #expect(error.detail.hasPrefix(rule + ":"), "\(input.debugDescription): \(error.detail)")
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
    }

    @Test func theNineteenHundredBoundaryAndTodayAreAccepted() throws {
        #expect(try ResidentID(parsing: Self.valid("37150219000101123"), today: Self.today).birthDate.description == "1900-01-01")
        #expect(try ResidentID(parsing: Self.valid("37150220261122123"), today: Self.today).birthDate.description == "2026-11-22")
    }

    static func number(seed: Int) -> String {
        let provinces = [11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 91]
        var rng = seed &* 2_654_435_761 &+ 12345
        func next(_ n: Int) -> Int { rng = (rng &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407) & 0x7FFF_FFFF_FFFF; return (rng >> 16) % n }
        let birth = LocalDate(daysSinceEpoch: -25_567 + next(46_000))  // 1900 … 1995
        let digits = String(format: "%02d%04d%04d%02d%02d%03d", provinces[next(provinces.count)], next(10_000),
                            birth.year, birth.month, birth.day, next(1000))
        return ResidentID.completing(digits)!
    }

    @Test func everySingleDigitSubstitutionIsRejected() async {
        await propertyCheck(count: 200, input: Gen.int(in: 0...99_999).map(Self.number(seed:))) { number in
            #expect((try? ResidentID(parsing: number, today: Self.today)) != nil)
            var chars = Array(number)
            for position in 0..<18 {
                let original = chars[position]
                for replacement in Array("0123456789X") where replacement != original {
                    if position < 17 && replacement == "X" { continue }
                    chars[position] = replacement
                    #expect((try? ResidentID(parsing: String(chars), today: Self.today)) == nil, "\(String(chars))")
                    chars[position] = original
                }
            }
        }
    }

    @Test func everyAdjacentTranspositionIsRejected() async {
        await propertyCheck(count: 200, input: Gen.int(in: 0...99_999).map(Self.number(seed:))) { number in
            var chars = Array(number)
            for position in 0..<17 where chars[position] != chars[position + 1] {
                chars.swapAt(position, position + 1)
                #expect((try? ResidentID(parsing: String(chars), today: Self.today)) == nil, "\(String(chars))")
                chars.swapAt(position, position + 1)
            }
        }
    }
}
