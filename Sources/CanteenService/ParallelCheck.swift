import Dispatch
import Foundation
import Synchronization

/// A file's rows checked on every core, off Swift's concurrency pool (which serves the other
/// requests meanwhile): `transform` of each element, in order, in parts of at least
/// `minimumPart` elements.
enum ParallelCheck {
    static func map<Element: Sendable, Result: Sendable>(_ elements: [Element], minimumPart: Int,
                                                         _ transform: @escaping @Sendable (Element) -> Result) async -> [Result] {
        await withCheckedContinuation { done in
            DispatchQueue.global().async {
                let parts = max(1, min(ProcessInfo.processInfo.activeProcessorCount, elements.count / minimumPart))
                let size = (elements.count + parts - 1) / parts
                let results = Mutex<[Int: [Result]]>([:])
                DispatchQueue.concurrentPerform(iterations: parts) { part in
                    let range = (part * size)..<min(elements.count, (part + 1) * size)
                    let mapped = elements[range].map(transform)
                    results.withLock { $0[part] = mapped }
                }
                done.resume(returning: results.withLock { parts in parts.keys.sorted().flatMap { parts[$0] ?? [] } })
            }
        }
    }
}
