import CanteenDomain
import Foundation

/// A reproducible random number generator for tests (SplitMix64). Each run takes a fresh seed
/// unless `CANTEEN_TEST_SEED` names one; a failing expectation quotes `note`, so the failing
/// run can be repeated exactly.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    public let seed: UInt64
    private var generator: SplitMix64

    public init(seed: UInt64) {
        self.seed = seed
        self.generator = SplitMix64(seed: seed)
    }

    /// The seed from `CANTEEN_TEST_SEED`, else a random one.
    public init() {
        if let text = ProcessInfo.processInfo.environment["CANTEEN_TEST_SEED"], let seed = UInt64(text) {
            self.init(seed: seed)
        } else {
            var system = SystemRandomNumberGenerator()
            self.init(seed: system.next())
        }
    }

    /// For failure messages: how to run this case again.
    public var note: String { "seed \(seed) (CANTEEN_TEST_SEED=\(seed) repeats it)" }

    public mutating func next() -> UInt64 { generator.next() }
}
