import Foundation

/// Wall-clock timing with warm-up and median, the statistic least hurt by a noisy neighbour.
enum Stopwatch {
    /// Seconds taken by one call of `body`.
    static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    /// Wall-clock and process CPU seconds (all threads, `CLOCK_PROCESS_CPUTIME_ID`) of one call
    /// of `body`. On a shared machine the CPU time is the steadier measure of work done: it
    /// does not count time spent waiting for a core (but still counts a neighbour's cache misses).
    static func wallAndCPUSeconds(_ body: () throws -> Void) rethrows -> (wall: Double, cpu: Double) {
        let cpuStart = processCPUSeconds()
        let wall = try seconds(body)
        return (wall, processCPUSeconds() - cpuStart)
    }

    static func processCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// Median seconds over `repeats` timed calls, after `warmups` untimed ones.
    static func median(repeats: Int, warmups: Int = 1, _ body: () throws -> Void) rethrows -> Double {
        for _ in 0..<warmups { try body() }
        var times: [Double] = []
        for _ in 0..<repeats { times.append(try seconds(body)) }
        return median(of: times)
    }

    static func median(of values: [Double]) -> Double {
        precondition(!values.isEmpty, "median of no values")
        let sorted = values.sorted()
        let mid = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }
}
