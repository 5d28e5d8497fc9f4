import CanteenDomain
import Foundation
import Synchronization

/// Slows down token guessing: after `limit` failed authentications from one client address
/// within `window`, its failing requests are answered 429 until the window has passed. The
/// caller asks only about requests that failed: a valid token is never refused here.
final class FailedAuthLimiter: Sendable {
    private struct Entry {
        var windowStart: ContinuousClock.Instant
        var failures: Int
    }

    let limit: Int
    let window: Duration
    private let entries = Mutex<[String: Entry]>([:])

    init(limit: Int = 20, window: Duration = .seconds(60)) {
        self.limit = limit
        self.window = window
    }

    /// Throws `too_many_requests` while `address` is over its limit.
    func check(_ address: String, now: ContinuousClock.Instant = .now) throws {
        let blocked = entries.withLock { entries -> Duration? in
            guard let entry = entries[address] else { return nil }
            let elapsed = entry.windowStart.duration(to: now)
            if elapsed >= window {
                entries[address] = nil
                return nil
            }
            return entry.failures >= limit ? window - elapsed : nil
        }
        if let blocked {
            let seconds = max(1, Int(blocked.components.seconds) + 1)
            var error = CanteenError(.tooManyRequests, "too many failed authentications from this address; retry in \(seconds) s")
            error.retryAfterSeconds = seconds
            throw error
        }
    }

    func recordFailure(_ address: String, now: ContinuousClock.Instant = .now) {
        entries.withLock { entries in
            if entries.count > 10_000 {
                entries = entries.filter { $0.value.windowStart.duration(to: now) < window }
            }
            var entry = entries[address] ?? Entry(windowStart: now, failures: 0)
            if entry.windowStart.duration(to: now) >= window { entry = Entry(windowStart: now, failures: 0) }
            entry.failures += 1
            entries[address] = entry
        }
    }
}
