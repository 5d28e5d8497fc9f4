import ArgumentParser
import CanteenAPI
import CanteenWire
import CanteenDomain
import CanteenService

struct DinerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diner",
        abstract: "Elderly diners.",
        subcommands: [Register.self, Import.self, List.self, Show.self, Edit.self, Status.self, Category.self, Lookup.self])

    struct Register: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Register a diner (birth date and sex come from the ID number).")
        @OptionGroup var options: GlobalOptions
        @Option(help: "Name.") var name: String
        @Option(help: "Resident ID number (18 characters, or a legacy 15-digit number).") var residentId: String
        @Option(help: "Meal card or social-security card number.") var cardNo: String?
        @Option(help: "Community (社区).") var community: String?
        @Option(help: "Home site code.") var homeSite: String?
        @Option(help: "Phone.") var phone: String?
        @Option(help: "Address.") var address: String?

        func run() async throws {
            try await CommandContext.run(options) { context in
                let view = try await context.services.diners.register(
                    DinerDraft(name: name, residentID: residentId, phone: phone, address: address, community: community,
                               homeSite: homeSite, cardNo: cardNo), by: context.actor)
                try context.output.show(Components.Schemas.Diner(view)) { DinerCommand.printDetail(view) }
            }
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register the diners of a CSV (header: name, resident_id, phone, address, community, card_no, home_site — or 姓名, 身份证号, 电话, 住址, 社区, 卡号, 所属食堂).",
            discussion: """
                Every row is created, existing (its resident ID is already registered; nothing changes) or rejected; \
                a bad row never stops the file. Rejected rows go to FILE.rejects.csv with their line number and error code. \
                Running the same file again creates nothing.
                """)
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The CSV file (UTF-8, BOM allowed).") var file: String
        @Option(help: "Home site of the rows that name none.") var homeSite: String?
        @Flag(help: "Report every row's outcome without registering anyone.") var dryRun = false

        func run() async throws {
            try await CommandContext.run(options) { context in
                let data = try ImportFile.read(file)
                let progress = ProgressLine(enabled: !options.json)
                let report = try await context.services.dinerImporter.importCSV(data, homeSite: homeSite, dryRun: dryRun, by: context.actor) { phase in
                    switch phase {
                    case .checking(let rows): progress.show("checked \(rows) rows")
                    case .storing(let rows): progress.show(dryRun ? "looking up \(rows) diners…" : "registering \(rows) diners…")
                    case .done: progress.clear()
                    }
                }
                let rejected = report.rows.compactMap { row in
                    row.error.map { ImportFile.Rejected(line: row.line, code: $0.code.rawValue, detail: $0.message.rendered(in: Language.current), fields: row.fields) }
                }
                let rejectsFile = try ImportFile.writeRejects(rejected, header: report.header, besides: file)
                try context.output.show(Components.Schemas.DinerImport(report)) {
                    if let rejectsFile { print("rejected rows: \(rejectsFile)") }
                    if dryRun { print("dry run: nobody was registered; these are the outcomes a real run would have") }
                    print(report.summary)
                }
            }
        }
    }

    struct Edit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change a diner's details (PATCH /v1/diners/{id}); an empty value clears an optional field.",
            discussion: "The resident ID never changes (birth date and sex come from it). Example: canteen diner edit 12 --phone 13800000000 --card-no C-12")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Diner id.") var id: Int
        @Option(help: "Name.") var name: String?
        @Option(help: "Phone (empty: none).") var phone: String?
        @Option(help: "Address (empty: none).") var address: String?
        @Option(help: "Community (empty: none).") var community: String?
        @Option(help: "Home site code (empty: none).") var homeSite: String?
        @Option(help: "Meal card number (empty: none).") var cardNo: String?

        func run() async throws {
            try await CommandContext.run(options) { context in
                var patch = DinerPatch()
                patch.name = name
                patch.phone = SitePatch.Field(option: phone)
                patch.address = SitePatch.Field(option: address)
                patch.community = SitePatch.Field(option: community)
                patch.homeSite = SitePatch.Field(option: homeSite)
                patch.cardNo = SitePatch.Field(option: cardNo)
                let view = try await context.services.diners.update(id, patch, by: context.actor)
                try context.output.show(Components.Schemas.Diner(view)) { DinerCommand.printDetail(view) }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List diners.")
        @OptionGroup var options: GlobalOptions
        @Option(name: .customLong("q"), help: "Part of a name, or a whole card number or resident ID.") var query: String?
        @Option(help: "Only this community.") var community: String?
        @Option(help: "Only diners of this home site.") var homeSite: String?
        @Option(help: "At most this many (1–500).") var limit: Int?
        @Option(help: "Continue after this cursor.") var cursor: String?

        func run() async throws {
            try await CommandContext.run(options) { context in
                let page = try await context.services.diners.list(
                    .init(query: query, community: community, homeSite: homeSite),
                    page: try PageRequest(limit: limit, cursor: cursor), by: context.actor)
                try context.output.show(Components.Schemas.DinerPage(page)) {
                    var table = TextTable("ID", "NAME", "RESIDENT ID", "SEX", "BORN", "HOME SITE", "CARD", "STATUS")
                    for view in page.items {
                        let d = view.diner
                        table.add(String(d.id), d.name, d.residentIDMasked, d.sex.chineseLabel, d.birthDate.description,
                                  d.homeSite ?? "-", d.cardNo ?? "-", d.status.rawValue)
                    }
                    print(table.render())
                    if let next = page.nextCursor { print("more: --cursor \(next)") }
                }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one diner, with the full resident ID.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Diner id.") var id: Int

        func run() async throws {
            try await CommandContext.run(options) { context in
                let view = try await context.services.diners.get(id, by: context.actor)
                try context.output.show(Components.Schemas.Diner(view)) { DinerCommand.printDetail(view) }
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change a diner's status from a date on.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Diner id.") var id: Int
        @Option(help: "active | suspended | deceased | moved_out.") var status: String
        @Option(help: "Effective from, YYYY-MM-DD.") var on: String

        func run() async throws {
            try await CommandContext.run(options) { context in
                let view = try await context.services.diners.setStatus(id, status: status, effectiveOn: on, by: context.actor)
                try context.output.show(Components.Schemas.Diner(view)) { DinerCommand.printDetail(view) }
            }
        }
    }

    struct Category: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a hardship category period (--add C --from DATE [--until DATE]) or end one (--end PERIOD_ID --on DATE).",
            discussion: "Categories: dibao (低保对象), tekun (特困人员), low_income (低收入老年人), disabled (失能、半失能), youfu (优抚对象). "
                + "--until and --on name the first day the category no longer holds.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Diner id.") var id: Int
        @Option(help: "The category to add.") var add: String?
        @Option(help: "With --add: held from, YYYY-MM-DD.") var from: String?
        @Option(help: "With --add: held until the day before, YYYY-MM-DD (none: open).") var until: String?
        @Option(help: "The id of the period to end.") var end: Int?
        @Option(help: "With --end: the first day it no longer holds, YYYY-MM-DD.") var on: String?

        func validate() throws {
            switch (add, end) {
            case (_?, nil):
                guard on == nil else { throw ValidationError("--on goes with --end; a new period starts --from") }
            case (nil, _?):
                guard from == nil, until == nil else { throw ValidationError("--from and --until go with --add") }
            default:
                throw ValidationError("give exactly one of --add CATEGORY or --end PERIOD_ID")
            }
        }

        func run() async throws {
            try await CommandContext.run(options) { context in
                let view: DinerView
                if let end {
                    view = try await context.services.diners.endCategory(id, period: end, endsOn: on, by: context.actor)
                } else {
                    view = try await context.services.diners.addCategory(
                        id, CategoryPeriodDraft(category: add, effectiveOn: from, endsOn: until), by: context.actor)
                }
                try context.output.show(Components.Schemas.Diner(view)) { DinerCommand.printDetail(view) }
            }
        }
    }

    struct Lookup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Find a diner by resident ID or card, with today's subsidy.")
        @OptionGroup var options: GlobalOptions
        @Option(help: "Resident ID number.") var residentId: String?
        @Option(help: "Card number.") var cardNo: String?
        @Option(help: "Show the slots of this site.") var site: String?

        func run() async throws {
            try await CommandContext.run(options) { context in
                let found = try await context.services.diners.lookup(residentID: residentId, cardNo: cardNo, siteCode: site, by: context.actor)
                try context.output.show(Components.Schemas.DinerLookup(found)) {
                    DinerCommand.printDetail(found.diner)
                    let held = found.diner.diner.categories.held(on: found.today.date).map(\.chineseName)
                    print("today \(found.today.date): age \(found.today.age), bracket \(found.today.bracket), \(found.today.status.rawValue)"
                          + (held.isEmpty ? "" : ", " + held.joined(separator: "、")))
                    for slot in found.today.slots {
                        print("  \(slot.slot.rawValue) (\(slot.slot.chineseLabel)): subsidy \(Money(fen: slot.subsidyFen))"
                              + (slot.payableFen.map { ", pays \(Money(fen: $0))" } ?? "")
                              + (slot.mealID.map { ", already served (meal \($0))" } ?? (slot.alreadyServed ? ", already served" : "")))
                    }
                }
            }
        }
    }

    static func printDetail(_ view: DinerView) {
        let d = view.diner
        let fields: [(String, String)] = [
            ("id", String(d.id)), ("name", d.name),
            ("resident_id", view.showsResidentID ? d.residentID : d.residentIDMasked),
            ("sex", "\(d.sex.rawValue) (\(d.sex.chineseLabel))"), ("birth_date", d.birthDate.description),
            ("phone", d.phone ?? "-"), ("address", d.address ?? "-"), ("community", d.community ?? "-"),
            ("home_site", d.homeSite ?? "-"), ("card_no", d.cardNo ?? "-"), ("status", d.status.rawValue),
            ("registered_at", d.registeredAt),
        ]
        for (key, value) in fields { print(key.padding(toLength: 14, withPad: " ", startingAt: 0) + value) }
        for period in d.categories {
            let until = period.endsOn.map { "until \($0)" } ?? "open"
            print("category".padding(toLength: 14, withPad: " ", startingAt: 0)
                  + "\(period.id): \(period.category.rawValue) (\(period.category.chineseName)) from \(period.effectiveOn), \(until)")
        }
    }
}
