import Foundation
import PinsetFFI

/// The default `PinReporter` of the Swift SDK (`PinsetSessionDelegate` installs
/// `UriReporter.shared`): POSTs each report's JSON (`Content-Type: application/json`) to the
/// manifest's `report_uris` of the rule that decided, as TrustKit does.
///
/// - Rate-limited before it gets here: the Rust core hands over a report at most once per 24 h per
///   host, port, rule, outcome and path pins.
/// - Off the handshake: `report` only starts an upload task on its own ephemeral `URLSession`; at
///   most `maxInFlight` uploads run at once, more reports are dropped and counted (`dropped`).
/// - System trust: that session has no pinning delegate, so the system evaluates the collector's
///   certificate and pinset's pins never apply; a pin failure of the reported host cannot block its
///   own report. (ATS `NSPinnedDomains` the app declares for the collector's host do apply.)
/// - `https://` only, except plain `http://` to `localhost` or a loopback IP literal (the
///   manifest's rule for `report_uris`). A URI with credentials (`user@`) is refused; redirects
///   are not followed.
public final class UriReporter: PinReporter, @unchecked Sendable {
    /// Uploads that may run at once by default.
    public static let defaultMaxInFlight = 64
    /// The process-wide default reporter.
    public static let shared = UriReporter()

    /// Uploads that may run at once; more reports are dropped.
    public let maxInFlight: Int
    private let session: URLSession
    private let lock = NSLock()
    private var inFlight = 0
    private var counts = (dropped: UInt64(0), delivered: UInt64(0), failed: UInt64(0), refused: UInt64(0))

    /// A reporter uploading through an ephemeral session built from `configuration`.
    public init(maxInFlight: Int = UriReporter.defaultMaxInFlight,
                configuration: URLSessionConfiguration = .ephemeral) {
        self.maxInFlight = max(1, maxInFlight)
        let config = (configuration.copy() as? URLSessionConfiguration) ?? .ephemeral
        config.timeoutIntervalForRequest = 10
        config.timeoutIntervalForResource = 30
        self.session = URLSession(configuration: config, delegate: NoRedirects(), delegateQueue: nil)
    }

    /// `NSLock.withLock` needs iOS 16; the package supports iOS 15.
    private func locked<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }

    /// Reports dropped because `maxInFlight` uploads were running.
    public var dropped: UInt64 { locked { counts.dropped } }
    /// Uploads answered with a 2xx status.
    public var delivered: UInt64 { locked { counts.delivered } }
    /// Uploads that failed (connection, TLS, timeout, a status other than 2xx).
    public var failed: UInt64 { locked { counts.failed } }
    /// Report URIs refused without a connection (not https, non-loopback http, credentials).
    public var refused: UInt64 { locked { counts.refused } }

    /// Starts an upload of `json` to each of `reportUris`; never blocks, never throws.
    public func report(json: String, reportUris: [String]) throws {
        let body = Data(json.utf8)
        for uri in reportUris {
            guard let url = Self.acceptable(uri) else {
                locked { counts.refused += 1 }
                continue
            }
            let admitted: Bool = locked {
                if inFlight >= maxInFlight { counts.dropped += 1; return false }
                inFlight += 1
                return true
            }
            guard admitted else { continue }
            var request = URLRequest(url: url)
            request.httpMethod = "POST"
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.setValue("pinset-report", forHTTPHeaderField: "User-Agent")
            session.uploadTask(with: request, from: body) { [self] _, response, error in
                let ok = error == nil && ((response as? HTTPURLResponse).map { (200..<300).contains($0.statusCode) } ?? false)
                locked {
                    inFlight -= 1
                    if ok { counts.delivered += 1 } else { counts.failed += 1 }
                }
            }.resume()
        }
    }

    /// The URL when `uri` may receive reports: https, or http to loopback; no credentials.
    static func acceptable(_ uri: String) -> URL? {
        guard let parts = URLComponents(string: uri), let url = parts.url,
              parts.user == nil, parts.password == nil,
              let host = parts.host?.lowercased(), !host.isEmpty
        else { return nil }
        switch parts.scheme?.lowercased() {
        case "https": return url
        case "http": return isLoopback(host) ? url : nil
        default: return nil
        }
    }

    /// `localhost`, or an IPv4 (127.0.0.0/8) or IPv6 (::1) loopback literal; no DNS lookup.
    static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" { return true }
        let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        var v4 = in_addr()
        if inet_pton(AF_INET, bare, &v4) == 1 { return UInt32(bigEndian: v4.s_addr) >> 24 == 127 }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, bare, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) } == [UInt8](repeating: 0, count: 15) + [1]
        }
        return false
    }
}

/// Refuses every redirect: a report goes only where the manifest says.
private final class NoRedirects: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
    func urlSession(_ session: URLSession, task: URLSessionTask,
                    willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
        completionHandler(nil)
    }
}
