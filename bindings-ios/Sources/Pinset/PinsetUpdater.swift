import Foundation
import PinsetFFI

/// Signed pin-set updates (TUF, docs/updates.md) for `URLSession` apps. The app embeds `root.json`
/// and a baseline manifest; `pinset` is the last known good manifest, available at `init` without
/// network. `refresh()` runs one cycle (the blocking core call on a private queue), fetching the
/// repository with the app's `updateSession`; every verified new serial becomes a new pin-set.
///
/// ```swift
/// let updater = try PinsetUpdater(rootJson: root, baseline: baselineToml,
///                                 repository: URL(string: "https://updates.example.com/")!,
///                                 stateDirectory: appSupport.appendingPathComponent("pinset"))
/// let (data, _) = try await updater.session.data(from: apiURL)  // pinned
/// _ = await updater.refresh()                                   // e.g. from a BGAppRefreshTask
/// ```
///
/// `session` is the pinned session for the app's traffic. When an update is accepted the delegate
/// gets the new pins and `session` is replaced by a new one (`finishTasksAndInvalidate()` is called
/// on the old one): a resumed TLS session skips the delegate, so the old session's connections and
/// TLS sessions must not carry new requests. Read `session` for every request, never keep it.
///
/// **The update host must not depend on the pins being rotated**: `updateSession` uses system
/// trust by default (an ephemeral session without a delegate); never pass `session`, or an expired
/// pin could block its own fix. TUF authenticates what is fetched; its TLS adds privacy.
public final class PinsetUpdater: @unchecked Sendable {
    private let core: PinsetFFI.PinsetUpdater
    private let queue = DispatchQueue(label: "dev.pinset.updater")
    private let configuration: URLSessionConfiguration
    private let lock = NSLock()
    private var current: URLSession

    /// The delegate of `session`: it always holds the active pins.
    public let delegate: PinsetSessionDelegate

    /// Reads the stored state in `stateDirectory` (`state.json`, written atomically, and
    /// `manifest.toml`); no network. Throws `PinsetError.Update` when `rootJson` or `baseline` is
    /// invalid; a stored state that fails verification is set aside and the baseline used
    /// (`recovered` says why). `anchors` are the trust-anchor files the manifests may name (path as
    /// written → PEM or DER); `target` defaults to `pinset/manifest.toml`; `configuration` is the
    /// pinned sessions' (default `.ephemeral`: no TLS session cache shared with other sessions);
    /// `reporter` receives the reports (see `reporter`; `nil`: none).
    public convenience init(
        rootJson: Data,
        baseline: String,
        repository: URL,
        stateDirectory: URL,
        updateSession: URLSession = URLSession(configuration: .ephemeral),
        anchors: [String: Data] = [:],
        target: String? = nil,
        configuration: URLSessionConfiguration = .ephemeral,
        reporter: PinReporter? = UriReporter.shared
    ) throws {
        let core = try PinsetFFI.PinsetUpdater.withDirectory(
            rootJson: rootJson, baseline: baseline, repository: repository.absoluteString, target: target,
            anchors: anchors, fetcher: URLSessionFetcher(session: updateSession), stateDir: stateDirectory.path)
        self.init(core: core, configuration: configuration, reporter: reporter)
    }

    /// The same with the app's own `store` (e.g. the Keychain) for the one state document.
    public convenience init(
        rootJson: Data,
        baseline: String,
        repository: URL,
        store: UpdateStore,
        updateSession: URLSession = URLSession(configuration: .ephemeral),
        anchors: [String: Data] = [:],
        target: String? = nil,
        configuration: URLSessionConfiguration = .ephemeral,
        reporter: PinReporter? = UriReporter.shared
    ) throws {
        let core = try PinsetFFI.PinsetUpdater.withStore(
            rootJson: rootJson, baseline: baseline, repository: repository.absoluteString, target: target,
            anchors: anchors, fetcher: URLSessionFetcher(session: updateSession), store: store)
        self.init(core: core, configuration: configuration, reporter: reporter)
    }

    private init(core: PinsetFFI.PinsetUpdater, configuration: URLSessionConfiguration, reporter: PinReporter?) {
        self.core = core
        self.configuration = configuration
        self.delegate = PinsetSessionDelegate(pinset: core.pinset(), reporter: reporter)
        self.current = URLSession(configuration: configuration, delegate: delegate, delegateQueue: nil)
    }

    /// The pinned session for the app's traffic; replaced after every accepted update.
    public var session: URLSession {
        lock.lock()
        defer { lock.unlock() }
        return current
    }

    /// The active pins (last known good). Replaced, never changed, by an accepted update.
    public var pinset: PinsetFFI.Pinset { core.pinset() }

    /// The active manifest's `serial` (0 for a baseline without one).
    public var serial: UInt64 { core.serial() }

    /// The active manifest's TOML, byte for byte as verified.
    public var manifest: String { core.manifest() }

    /// Why the stored state was set aside at `init` (the baseline is active then), if it was.
    public var recovered: String? { core.recovered() }

    /// Runs one refresh cycle off the caller's thread. A failed cycle is `.stale` (never a throw)
    /// and the pins in force stay; on `.updated` the delegate has the new pins and `session` is a
    /// new session. A rejected cycle is reported to `reporter` (`update-rejected`, no `report_uris`).
    public func refresh() async -> UpdateOutcome {
        await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: self.refreshOnQueue()) }
        }
    }

    /// Where the reports of the active pins go (violations, report-only, expiry: see
    /// `PinsetSessionDelegate.reporter`) and those of rejected updates (`update-rejected`, once a
    /// day per repository and reason; no rule, so no `report_uris`: `UriReporter` uploads none of
    /// them). `UriReporter.shared` unless `init` was given another; `nil` turns reporting off. It
    /// is `delegate.reporter`, and stays in place across accepted updates: every new pin-set gets it.
    public var reporter: PinReporter? {
        get { delegate.reporter }
        set { delegate.reporter = newValue }
    }

    private func refreshOnQueue() -> UpdateOutcome {
        let outcome = core.refresh(nowUnix: Int64(Date().timeIntervalSince1970))
        if outcome.kind == .updated {
            // Pins first (a new handshake is checked against them; they get the delegate's
            // reporter), then a session without the old connections and TLS sessions.
            delegate.replacePinset(core.pinset())
            let next = URLSession(configuration: configuration, delegate: delegate, delegateQueue: nil)
            lock.lock()
            let old = current
            current = next
            lock.unlock()
            old.finishTasksAndInvalidate()
        }
        return outcome
    }
}

/// The updater's transport: one GET per URL (no local cache), called by the core on the updater's
/// queue and bridged to `URLSession.bytes(for:)` with a semaphore. At most `maxLen + 1` bytes are
/// read (a longer body is rejected by the core as too long); 404 and 403 are "not found" (the end
/// of the root chain); any other status, a transport error or 60 s without completing is "failed"
/// (the cycle is then stale).
final class URLSessionFetcher: UpdateFetcher, @unchecked Sendable {
    private let session: URLSession
    init(session: URLSession) { self.session = session }

    /// The result, written by the task and read by the waiting thread.
    private final class Slot: @unchecked Sendable {
        private let lock = NSLock()
        private var value: FetchResult?
        func set(_ v: FetchResult) { lock.lock(); if value == nil { value = v }; lock.unlock() }
        func get() -> FetchResult? { lock.lock(); defer { lock.unlock() }; return value }
    }

    func fetch(url: String, maxLen: UInt64) throws -> FetchResult {
        guard let u = URL(string: url) else { return .failed(reason: "bad URL \(url)") }
        let limit = maxLen == UInt64.max ? maxLen : maxLen + 1
        let slot = Slot()
        let done = DispatchSemaphore(value: 0)
        let session = self.session
        let task = Task.detached {
            defer { done.signal() }
            do {
                let request = URLRequest(url: u, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: 30)
                let (bytes, response) = try await session.bytes(for: request)
                let status = (response as? HTTPURLResponse)?.statusCode ?? 0
                if status == 404 || status == 403 {
                    slot.set(.notFound)
                    return
                }
                guard (200..<300).contains(status) else {
                    slot.set(.failed(reason: "HTTP \(status) for \(url)"))
                    return
                }
                var body = Data()
                for try await byte in bytes {
                    body.append(byte)
                    if UInt64(body.count) >= limit { break }
                }
                slot.set(.bytes(body: body))
            } catch {
                slot.set(.failed(reason: "\(url): \(error)"))
            }
        }
        if done.wait(timeout: .now() + 60) == .timedOut {
            task.cancel()
            slot.set(.failed(reason: "\(url): no complete response within 60 s"))
        }
        return slot.get() ?? .failed(reason: "\(url): no response")
    }
}
