import Foundation
import ShearsNet

/// One carriage-return-updated line on a terminal, one line per `every` steps otherwise
/// (so CI logs stay short): epoch, step, loss, images/s, ETA.
struct ProgressLine {
    let interactive = isatty(STDERR_FILENO) != 0
    var every = 50

    func show(_ p: TrainingProgress) {
        let last = p.step + 1 == p.stepsPerEpoch
        guard interactive || last || p.step % every == 0 else { return }
        let text = "epoch \(p.epoch + 1)/\(p.epochs)  step \(p.step + 1)/\(p.stepsPerEpoch)  loss \(fmt(p.loss, 4))"
            + "  \(fmt(p.imagesPerSecond, 0)) img/s  ETA \(Self.duration(p.secondsRemaining))"
        FileHandle.standardError.write(Data(((interactive ? "\r" : "") + text + (interactive && !last ? "" : "\n")).utf8))
    }

    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? "\(s / 3600)h\(String(format: "%02d", s % 3600 / 60))m" : "\(s / 60)m\(String(format: "%02d", s % 60))s"
    }
}
