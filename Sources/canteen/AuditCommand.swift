import ArgumentParser
import CanteenDomain
import CanteenService

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "audit", abstract: "The audit log.", subcommands: [Verify.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute the audit log's hash chains and report the first broken link.",
            discussion: "Exits with status 1 when any row was edited, deleted or inserted behind the service's back.")
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            var intact = true
            try await CommandContext.run(options) { context in
                let progress = ProgressLine(enabled: !options.json)
                let result = try await context.services.audit.verify(by: context.actor) { rows in
                    if rows % 100_000 == 0 { progress.show("checked \(rows) audit rows") }
                }
                progress.clear()
                intact = result.intact
                try context.output.show(result) {
                    if let broken = result.firstBroken {
                        print("审计日志已被篡改 / audit log BROKEN: \(result.brokenRows) of \(result.rows) rows fail")
                        print("first broken link: row \(broken.id) (chain \(broken.chain)): \(broken.message)")
                    } else {
                        print("审计日志完好 / audit log intact: \(result.rows) rows in \(result.chains) chains")
                    }
                }
            }
            if !intact { throw ExitCode(1) }
        }
    }
}
