import CanteenDomain
import Foundation

/// The synthetic people and meals of `canteen db seed --demo`, generated
/// deterministically from `seeds/demo.json` and loaded through the ordinary services.
public struct DemoData: Sendable {
    public struct Settings: Sendable, Decodable {
        public struct Appetite: Sendable, Decodable {
            let breakfast: Double
            let lunch: Double
            let dinner: Double
            let elsewhere: Double
            let delivery: Double
        }

        public struct Inactive: Sendable, Decodable {
            let suspended: Double
            let deceased: Double
        }

        let seed: UInt64
        let diners: Int
        let days: Int
        let areaCode: String
        let surnames: [String]
        let appetite: Appetite
        let inactive: Inactive

        enum CodingKeys: String, CodingKey {
            case seed, diners, days, surnames, appetite, inactive
            case areaCode = "area_code"
        }
    }

    public struct Result: Sendable, Encodable {
        public var dinersCreated = 0
        public var dinersExisting = 0
        public var meals = MealCounts()

        public struct MealCounts: Sendable, Encodable {
            public var created = 0
            public var replayed = 0
            public var duplicate = 0
            public var rejected = 0
        }

        enum CodingKeys: String, CodingKey {
            case meals
            case dinersCreated = "diners_created"
            case dinersExisting = "diners_existing"
        }
    }

    let services: CanteenServices
    let actor: Principal

    public init(services: CanteenServices, actor: Principal) {
        self.services = services
        self.actor = actor
    }

    /// The same numbers for the same seed on every platform (`SplitMix64`).
    struct Random {
        var generator: SplitMix64
        init(state: UInt64) { generator = SplitMix64(seed: state) }
        mutating func next() -> UInt64 { generator.next() }
        mutating func int(_ range: ClosedRange<Int>) -> Int {
            range.lowerBound + Int(next() % UInt64(range.count))
        }
        mutating func chance(_ p: Double) -> Bool {
            Double(next() % 1_000_000) / 1_000_000 < p
        }
    }

    public func load(settingsFile: URL, progress: @escaping @Sendable (String) -> Void = { _ in }) async throws -> Result {
        let settings: Settings
        do {
            settings = try JSONCoding.decoder().decode(Settings.self, from: Data(contentsOf: settingsFile))
        } catch {
            throw CanteenError.invalidRequest("\(settingsFile.lastPathComponent) is not a demo settings file")
        }
        let today = services.clock.today()
        var random = Random(state: settings.seed)
        var result = Result()
        let sites = try await services.sites.list(.init(status: .operating), page: .all, by: actor).items.map(\.site)
        guard !sites.isEmpty else { throw CanteenError.invalidRequest("no operating sites: load the sites first") }

        struct Person {
            let id: Int
            let residentID: String
            let home: Site
        }
        var people: [Person] = []
        for serial in 1...settings.diners {
            let years = random.int(60...95)
            let birth = today.adding(days: -(years * 365 + random.int(0...364)))
            let female = random.chance(0.55)
            let sequence = (serial * 2 + (female ? 0 : 1)) % 1000
            let digits = settings.areaCode + String(format: "%04d%02d%02d%03d", birth.year, birth.month, birth.day, sequence)
            guard let residentID = ResidentID.completing(digits) else { continue }
            let home = sites[random.int(0...(sites.count - 1))]
            let name = settings.surnames[random.int(0...(settings.surnames.count - 1))] + "某某" + String(format: "%03d", serial)
            let draft = DinerDraft(name: name, residentID: residentID, phone: nil, address: nil, community: home.community,
                                   homeSite: home.code, cardNo: String(format: "DEMO-%04d", serial))
            let id: Int
            do {
                id = try await services.diners.register(draft, by: actor).diner.id
                result.dinersCreated += 1
            } catch let error as CanteenError where error.code == .duplicateResidentID || error.code == .duplicateCardNo {
                guard let existing = error.existingDinerID else { continue }
                id = existing
                result.dinersExisting += 1
            }
            if random.chance(settings.inactive.suspended) {
                _ = try await services.diners.setStatus(id, status: DinerStatus.suspended.rawValue,
                                                        effectiveOn: today.adding(days: -random.int(1...14)).description, by: actor)
            } else if random.chance(settings.inactive.deceased) {
                _ = try await services.diners.setStatus(id, status: DinerStatus.deceased.rawValue,
                                                        effectiveOn: today.adding(days: -random.int(1...20)).description, by: actor)
            }
            people.append(Person(id: id, residentID: residentID, home: home))
            if serial % 50 == 0 { progress("diners \(serial)/\(settings.diners)") }
        }

        // A month of meals, one CSV per site through the importer: every rule applies.
        var files: [String: String] = [:]
        let header = "resident_id,served_on,slot,price_fen,delivery,client_ref\n"
        for back in stride(from: settings.days, through: 0, by: -1) {
            let day = today.adding(days: -back)
            for person in people {
                for slot in Slot.allCases {
                    let appetite = slot == .breakfast ? settings.appetite.breakfast : slot == .lunch ? settings.appetite.lunch : settings.appetite.dinner
                    guard random.chance(appetite) else { continue }
                    var site = person.home
                    if random.chance(settings.appetite.elsewhere) { site = sites[random.int(0...(sites.count - 1))] }
                    guard site.serves(slot, on: day) else { continue }
                    let price = (site.defaultPriceFen ?? 1000) + (random.chance(0.2) ? 200 : 0)
                    let delivery = random.chance(settings.appetite.delivery)
                    files[site.code, default: header] +=
                        "\(person.residentID),\(day),\(slot.rawValue),\(price),\(delivery),demo-\(day)-\(person.id)-\(slot.rawValue)\n"
                }
            }
        }
        for (code, csv) in files.sorted(by: { $0.key < $1.key }) {
            progress("meals at \(code)")
            let report = try await services.importer.importCSV(Data(csv.utf8), siteCode: code, by: actor)
            result.meals.created += report.created
            result.meals.replayed += report.replayed
            result.meals.duplicate += report.duplicate
            result.meals.rejected += report.rejected
        }
        return result
    }
}
