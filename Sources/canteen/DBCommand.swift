import ArgumentParser
import CanteenAPI
import CanteenDomain
import CanteenWire
import CanteenService
import Foundation
import Postgres

struct DBCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Migrate, inspect and seed the database.",
        subcommands: [Migrate.self, Status.self, Seed.self])

    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Apply pending migrations from sql/, each once, in order.")
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            try await CommandContext.run(options) { context in
                let migrations = try context.services.migrations(in: try ProjectFiles.migrationsFolder())
                let applied = try await migrations.migrate()
                let statuses = try await migrations.status()
                let report = MigrationReport(applied: applied.map(\.label), statuses: statuses, clock: context.services.clock)
                try context.output.show(report) {
                    if applied.isEmpty {
                        print("database is up to date (\(statuses.count) migrations applied)")
                    } else {
                        for label in report.applied { print("applied \(label)") }
                    }
                }
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List applied and pending migrations.")
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            try await CommandContext.run(options) { context in
                let statuses = try await context.services.migrations(in: try ProjectFiles.migrationsFolder()).status()
                try context.output.show(MigrationReport(applied: [], statuses: statuses, clock: context.services.clock)) {
                    var table = TextTable("VERSION", "NAME", "STATE", "APPLIED AT")
                    for s in statuses {
                        table.add(String(format: "%04d", s.version), s.name, s.state.rawValue,
                                  s.appliedAt.map { context.services.clock.timestamp($0) } ?? "")
                    }
                    print(table.render())
                }
            }
        }
    }

    struct Seed: AsyncParsableCommand {
        /// The sites of `seeds/sites.json`: an array of `POST /v1/sites` bodies.
        static func sites(in file: URL) throws -> [SiteDraft] {
            let data: Data
            do {
                data = try Data(contentsOf: file)
            } catch {
                throw CanteenError.invalidRequest("cannot read \(file.path)")
            }
            do {
                return try JSONCoding.decoder().decode([Components.Schemas.SiteInput].self, from: data).map(SiteDraft.init)
            } catch {
                throw CanteenError.invalidRequest("\(file.lastPathComponent) is not a JSON array of sites: \(error)")
            }
        }

        static let configuration = CommandConfiguration(
            abstract: "Load the canteen sites of seeds/ (idempotent); --demo adds fictional diners and a month of meals.")
        @OptionGroup var options: GlobalOptions
        @Flag(help: "Also load synthetic diners and about a month of meals (seeds/demo.json).") var demo = false

        func run() async throws {
            try await CommandContext.run(options) { context in
                let folder = try ProjectFiles.seedsFolder()
                let sites = try await SeedLoader(services: context.services, actor: context.actor)
                    .loadSites(try Self.sites(in: folder.appendingPathComponent("sites.json")))
                var demoResult: DemoData.Result?
                if demo {
                    let progress = ProgressLine(enabled: !options.json)
                    demoResult = try await DemoData(services: context.services, actor: context.actor)
                        .load(settingsFile: folder.appendingPathComponent("demo.json")) { progress.show($0) }
                    progress.clear()
                }
                try context.output.show(SeedReport(sites: sites, demo: demoResult)) {
                    print("sites: created \(sites.created), already present \(sites.existing)")
                    if let d = demoResult {
                        print("diners: created \(d.dinersCreated), already present \(d.dinersExisting)")
                        print("meals: created \(d.meals.created), replayed \(d.meals.replayed), duplicate \(d.meals.duplicate), rejected \(d.meals.rejected)")
                    }
                }
            }
        }
    }
}

struct SeedReport: Encodable {
    let sites: SeedLoader.Result
    let demo: DemoData.Result?

    enum CodingKeys: String, CodingKey { case sites, demo }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(sites, forKey: .sites)
        try c.encodeIfPresent(demo, forKey: .demo)
    }
}

/// `db migrate` / `db status` as JSON: what was applied now, and every migration's state.
struct MigrationReport: Encodable {
    struct Entry: Encodable {
        let version: Int
        let name: String
        let state: String
        let appliedAt: String?

        enum CodingKeys: String, CodingKey {
            case version, name, state
            case appliedAt = "applied_at"
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(version, forKey: .version)
            try c.encode(name, forKey: .name)
            try c.encode(state, forKey: .state)
            try c.encode(appliedAt, forKey: .appliedAt)
        }
    }

    let applied: [String]
    let migrations: [Entry]

    init(applied: [String], statuses: [Migrator.Status], clock: BusinessClock) {
        self.applied = applied
        self.migrations = statuses.map {
            Entry(version: $0.version, name: $0.name, state: $0.state.rawValue, appliedAt: $0.appliedAt.map(clock.timestamp))
        }
    }
}

extension Migrator.Migration {
    var label: String { String(format: "%04d_", version) + name }
}
