import ArgumentParser
import CanteenDomain
import CanteenService
import Foundation
import Logging

/// What a command runs with: the services over an open pool, the acting principal and the output style.
struct CommandContext {
    let services: CanteenServices
    let actor: Principal
    let output: Output

    /// Opens the database, runs `body`, closes the pool, and turns every failure
    /// into a message on stderr (or a problem object with `--json`) and a non-zero exit.
    static func run(_ options: GlobalOptions, _ body: (CommandContext) async throws -> Void) async throws {
        // SPEC §4: the CLI speaks the language of `LANG` / `LC_ALL`.
        try await Language.$current.withValue(Language.fromEnvironment(ProcessInfo.processInfo.environment)) {
            try await runInLanguage(options, body)
        }
    }

    private static func runInLanguage(_ options: GlobalOptions, _ body: (CommandContext) async throws -> Void) async throws {
        let output = Output(json: options.json)
        do {
            let services = try CanteenServices.open(url: try DatabaseLocator.url(flag: options.databaseURL), role: .commandLine,
                                                    clock: try BusinessClock.fromEnvironment(), logger: Logger(label: "canteen.cli"))
            let context = CommandContext(services: services, actor: .commandLine(user: Self.osUser), output: output)
            do {
                try await body(context)
            } catch {
                await services.db.pool.close()
                throw error
            }
            await services.db.pool.close()
        } catch {
            throw output.fail(error)
        }
    }

    static var osUser: String {
        let environment = ProcessInfo.processInfo.environment
        if let name = ["SUDO_USER", "USER", "LOGNAME"].lazy.compactMap({ environment[$0] }).first(where: { !$0.isEmpty }) { return name }
        // No login variables (a service, a container): the account's name, never its number.
        if let entry = getpwuid(getuid()), let name = entry.pointee.pw_name { return String(cString: name) }
        return "uid\(getuid())"
    }
}

/// Finds the database: `--database-url`, else `DATABASE_URL`, else the private cluster of this checkout.
enum DatabaseLocator {
    static func url(flag: String?) throws -> String {
        if let flag, !flag.isEmpty { return flag }
        if let env = ProcessInfo.processInfo.environment["DATABASE_URL"], !env.isEmpty { return env }
        if let file = ProjectFiles.find(".local/database-url"),
           let text = try? String(contentsOf: file, encoding: .utf8) {
            let url = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if !url.isEmpty { return url }
        }
        throw CanteenError(.unavailable, "no database: set DATABASE_URL, pass --database-url, or run `make db` in the checkout")
    }
}

/// Locates the project's folders (`sql/`, `seeds/`, `.local/`) from the current
/// folder upwards, then from the executable's folder upwards; `CANTEEN_HOME` overrides.
enum ProjectFiles {
    static func find(_ relative: String) -> URL? {
        let fm = FileManager.default
        var starts: [URL] = []
        if let home = ProcessInfo.processInfo.environment["CANTEEN_HOME"], !home.isEmpty {
            starts.append(URL(fileURLWithPath: home))
        }
        starts.append(URL(fileURLWithPath: fm.currentDirectoryPath))
        starts.append(URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent())
        for start in starts {
            var folder = start.standardizedFileURL
            while true {
                let candidate = folder.appendingPathComponent(relative)
                if fm.fileExists(atPath: candidate.path) { return candidate }
                let parent = folder.deletingLastPathComponent()
                if parent.path == folder.path { break }
                folder = parent
            }
        }
        return nil
    }

    static func migrationsFolder() throws -> URL {
        if let dir = ProcessInfo.processInfo.environment["CANTEEN_SQL_DIR"], !dir.isEmpty {
            return URL(fileURLWithPath: dir)
        }
        guard let found = find("sql/0001_sites_policies_audit.sql") else {
            throw CanteenError(.unavailable, "cannot find the sql/ migrations folder; set CANTEEN_SQL_DIR or CANTEEN_HOME")
        }
        return found.deletingLastPathComponent()
    }

    static func seedsFolder() throws -> URL {
        if let dir = ProcessInfo.processInfo.environment["CANTEEN_SEEDS_DIR"], !dir.isEmpty {
            return URL(fileURLWithPath: dir)
        }
        guard let found = find("seeds/sites.json") else {
            throw CanteenError(.unavailable, "cannot find the seeds/ folder; set CANTEEN_SEEDS_DIR or CANTEEN_HOME")
        }
        return found.deletingLastPathComponent()
    }
}
