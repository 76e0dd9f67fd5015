import Logging

/// The CLI's logger: swift-log to standard error, so results on standard output stay clean.
enum Logs {
    static let bootstrap: Void = LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }

    static func logger(_ label: String) -> Logger {
        _ = bootstrap
        return Logger(label: "shears.\(label)")
    }
}
