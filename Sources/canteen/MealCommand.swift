import ArgumentParser
import CanteenAPI
import CanteenWire
import CanteenDomain
import CanteenService
import Foundation

struct MealCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "meal",
        abstract: "Meals at the counter.",
        subcommands: [Log.self, Void.self, Show.self, List.self, Import.self])

    struct Log: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Log one meal.")
        @OptionGroup var options: GlobalOptions
        @Option(help: "Site code.") var site: String
        @Option(help: "Diner id.") var diner: Int?
        @Option(help: "Resident ID number.") var residentId: String?
        @Option(help: "Card number.") var cardNo: String?
        @Option(help: "breakfast | lunch | dinner.") var slot: String
        @Option(help: "Price in fen (default: the site's price).") var priceFen: Int?
        @Option(help: "Date served, YYYY-MM-DD (default today).") var on: String?
        @Flag(help: "Delivered to the home (送餐上门).") var delivery = false
        @Option(help: "Idempotency key: the same key and content logs the meal once.") var key: String?

        func run() async throws {
            try await CommandContext.run(options) { context in
                let logged = try await context.services.meals.log(
                    MealDraft(siteCode: site, dinerID: diner, residentID: residentId, cardNo: cardNo, slot: slot,
                              priceFen: priceFen, servedOn: on, delivery: delivery),
                    idempotencyKey: key, by: context.actor)
                try context.output.show(Components.Schemas.Meal(logged.meal)) {
                    if logged.replayed { print("(replayed: this key already logged the meal)") }
                    MealCommand.printDetail(logged.meal)
                }
            }
        }
    }

    struct Void: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "void", abstract: "Void a meal (it is kept, marked void).")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Meal id.") var id: Int
        @Option(help: "Why.") var reason: String

        func run() async throws {
            try await CommandContext.run(options) { context in
                let meal = try await context.services.meals.void(id, reason: reason, by: context.actor)
                try context.output.show(Components.Schemas.Meal(meal)) { MealCommand.printDetail(meal) }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one meal.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Meal id.") var id: Int

        func run() async throws {
            try await CommandContext.run(options) { context in
                let meal = try await context.services.meals.get(id, by: context.actor)
                try context.output.show(Components.Schemas.Meal(meal)) { MealCommand.printDetail(meal) }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List meals.")
        @OptionGroup var options: GlobalOptions
        @Option(help: "Site code.") var site: String?
        @Option(help: "Diner id.") var diner: Int?
        @Option(help: "From date.") var from: String?
        @Option(help: "To date (inclusive).") var to: String?
        @Option(help: "One day, YYYY-MM-DD (with --site: the day's totals too).") var on: String?
        @Option(help: "valid | void.") var status: String?
        @Option(help: "At most this many (1–500).") var limit: Int?
        @Option(help: "Continue after this cursor.") var cursor: String?

        func run() async throws {
            try await CommandContext.run(options) { context in
                let filter = try MealService.Filter(parsing: site, dinerID: diner, servedOn: on, from: from, to: to, status: status)
                let page = try await context.services.meals.list(filter, page: try PageRequest(limit: limit, cursor: cursor), by: context.actor)
                try context.output.show(Components.Schemas.MealPage(page)) {
                    var table = TextTable("ID", "DATE", "SLOT", "SITE", "DINER", "NAME", "AGE", "BRACKET", "PRICE", "SUBSIDY", "PAYS", "STATUS")
                    for m in page.items {
                        table.add(String(m.id), m.servedOn.description, m.slot.rawValue, m.siteCode, String(m.dinerID), page.dinerNames[m.dinerID] ?? "",
                                  String(m.age), m.bracket, Money(fen: m.priceFen).description, Money(fen: m.subsidyFen).description,
                                  Money(fen: m.payableFen).description, m.status.rawValue)
                    }
                    print(table.render())
                    if let day = page.summary {
                        print("the day: \(day.meals) meals, subsidy \(Money(fen: day.subsidyFen)), paid by diners \(Money(fen: day.payableFen))")
                    }
                    if let next = page.nextCursor { print("more: --cursor \(next)") }
                }
            }
        }
    }

    static func printDetail(_ meal: Meal) {
        var fields: [(String, String)] = [
            ("id", String(meal.id)), ("diner_id", String(meal.dinerID)), ("site_code", meal.siteCode),
            ("served_on", meal.servedOn.description), ("slot", "\(meal.slot.rawValue) (\(meal.slot.chineseLabel))"),
            ("delivery", meal.delivery ? "yes (送餐上门)" : "no"), ("age", String(meal.age)), ("bracket", meal.bracket),
            ("price", Money(fen: meal.priceFen).description), ("subsidy", Money(fen: meal.subsidyFen).description),
            ("payable", Money(fen: meal.payableFen).description), ("status", meal.status.rawValue),
            ("claim_id", meal.claimID.map(String.init) ?? "-"), ("created_at", meal.createdAt),
        ]
        if meal.status == .void {
            fields += [("void_reason", meal.voidReason ?? "-"), ("voided_by", meal.voidedBy ?? "-"), ("voided_at", meal.voidedAt ?? "-")]
        }
        for (key, value) in fields { print(key.padding(toLength: 14, withPad: " ", startingAt: 0) + value) }
    }
}

extension MealCommand {
    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import a CSV of meals (header: resident_id or card_no, served_on, slot, price_fen, client_ref).",
            discussion: "Bad rows never stop the import; they go to FILE.rejects.csv with their line number and error code.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The CSV file (UTF-8, BOM allowed).") var file: String
        @Option(help: "Site code.") var site: String

        func run() async throws {
            try await CommandContext.run(options) { context in
                let data = try ImportFile.read(file)
                let progress = ProgressLine(enabled: !options.json)
                let report = try await context.services.importer.importCSV(data, siteCode: site, by: context.actor) { phase in
                    switch phase {
                    case .checking(let rows): progress.show("checked \(rows) rows")
                    case .storing(let rows): progress.show("storing \(rows) rows…")
                    case .done: progress.clear()
                    }
                }
                let rejectsFile = try ImportFile.writeRejects(
                    report.rejects.map { ImportFile.Rejected(line: $0.line, code: $0.code, detail: $0.detail, fields: $0.fields) },
                    header: report.header, besides: file)
                try context.output.show(Components.Schemas.MealImport(report)) {
                    if let rejectsFile { print("rejected and duplicate rows: \(rejectsFile)") }
                    print(report.summary)
                }
            }
        }
    }
}
