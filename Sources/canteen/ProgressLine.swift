import Foundation
import Synchronization

/// A one-line progress display on stderr, shown only when stderr is a terminal.
final class ProgressLine: Sendable {
    private let enabled: Bool
    private let started = Date()

    init(enabled: Bool = true) {
        self.enabled = enabled && isatty(STDERR_FILENO) == 1
    }

    func show(_ text: String) {
        guard enabled else { return }
        let seconds = String(format: "%.1f", Date().timeIntervalSince(started))
        FileHandle.standardError.write(Data("\r\u{1B}[2K\(text) (\(seconds) s)".utf8))
    }

    func clear() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8))
    }
}
