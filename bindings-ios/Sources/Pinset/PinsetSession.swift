import Foundation
import PinsetFFI
import Security

/// Pinning for `URLSession`: the system evaluates the server trust (`SecTrustEvaluateWithError`)
/// against the anchors of the host's manifest rule, then the Rust core applies the manifest's pins
/// to the **evaluated** chain (`SecTrustCopyCertificateChain`), never to the certificates the
/// server merely sent. A rule with its own CA files gets exactly those CAs as anchors
/// (`SecTrustSetAnchorCertificates`), plus the system store only when the rule lists `system`
/// (`SecTrustSetAnchorCertificatesOnly(trust, !system)`); they are never anchors for another host.
public final class PinsetSessionDelegate: NSObject, URLSessionDelegate, @unchecked Sendable {
    private let lock = NSLock()
    private var active: PinsetFFI.Pinset
    private var activeReporter: PinReporter?
    /// The pins in force; a `PinsetUpdater` replaces them, under the lock, on an accepted update.
    private var pinset: PinsetFFI.Pinset {
        lock.lock()
        defer { lock.unlock() }
        return active
    }
    /// Called with every pin verdict other than `trusted` and `notPinned`: an enforced violation
    /// (the connection is refused), a report-only violation or an expired pin-set (allowed, and
    /// reported to the `reporter`), and an exempt host (allowed).
    public var onVerdict: (@Sendable (PinVerdict) -> Void)?

    /// Where reports go: RFC 7469-style JSON (violations, report-only, expiry) with the rule's
    /// `report_uris`, at most once per 24 h per host, port, rule, outcome and path pins (decided in
    /// Rust), called during the trust evaluation (queue, do not block). `UriReporter.shared` after
    /// `init`; another `PinReporter` replaces it, `nil` turns reporting off. It stays in place when
    /// a `PinsetUpdater` replaces the pins (and receives its rejected-update reports).
    public var reporter: PinReporter? {
        get {
            lock.lock()
            defer { lock.unlock() }
            return activeReporter
        }
        set {
            lock.lock()
            defer { lock.unlock() }
            activeReporter = newValue
            active.setReporter(reporter: newValue)
        }
    }

    /// Loads a manifest (the same `pins.toml` the CLI checks) with the bytes (PEM or DER) of its
    /// trust-anchor files, keyed by the path exactly as the manifest writes it (e.g. read from the
    /// app bundle). A rule whose anchor file is not supplied makes this throw. Reports go to the
    /// manifest's `report_uris` (`UriReporter.shared`) until `reporter` is changed.
    public convenience init(manifestToml: String, anchors: [String: Data] = [:]) throws {
        let pinset = try PinsetFFI.Pinset.fromTomlWithAnchors(manifest: manifestToml, anchors: anchors)
        self.init(pinset: pinset, reporter: UriReporter.shared)
    }

    /// A delegate for `pinset` (a `PinsetUpdater`'s), reporting to `reporter`.
    init(pinset: PinsetFFI.Pinset, reporter: PinReporter?) {
        self.active = pinset
        self.activeReporter = reporter
        super.init()
        pinset.setReporter(reporter: reporter)
    }

    /// The pins of an accepted update: `next` gets this delegate's reporter before it is used.
    func replacePinset(_ next: PinsetFFI.Pinset) {
        lock.lock()
        defer { lock.unlock() }
        next.setReporter(reporter: activeReporter)
        active = next
    }

    public func urlSession(
        _ session: URLSession,
        didReceive challenge: URLAuthenticationChallenge,
        completionHandler: @escaping (URLSession.AuthChallengeDisposition, URLCredential?) -> Void
    ) {
        guard challenge.protectionSpace.authenticationMethod == NSURLAuthenticationMethodServerTrust,
              let trust = challenge.protectionSpace.serverTrust
        else {
            completionHandler(.performDefaultHandling, nil)
            return
        }
        let host = challenge.protectionSpace.host
        let pinset = self.pinset // one pin-set for the whole evaluation
        // Normal validation first (SSL policy with the host name), against the rule's anchors.
        SecTrustSetPolicies(trust, SecPolicyCreateSSL(true, host as CFString))
        if let rule = pinset.ruleTrust(host: host) {
            let certs = rule.anchors.compactMap { SecCertificateCreateWithData(nil, $0.der as CFData) }
            guard certs.count == rule.anchors.count else {
                completionHandler(.cancelAuthenticationChallenge, nil)
                return
            }
            if !certs.isEmpty {
                SecTrustSetAnchorCertificates(trust, certs as CFArray)
            }
            SecTrustSetAnchorCertificatesOnly(trust, !rule.system)
        }
        var error: CFError?
        guard SecTrustEvaluateWithError(trust, &error),
              let chain = SecTrustCopyCertificateChain(trust) as? [SecCertificate]
        else {
            completionHandler(.cancelAuthenticationChallenge, nil)
            return
        }
        let der = chain.map { SecCertificateCopyData($0) as Data }
        do {
            let verdict = try pinset.evaluate(
                host: host, validatedChain: der, nowUnix: Int64(Date().timeIntervalSince1970),
                port: UInt16(exactly: challenge.protectionSpace.port))
            if verdict.kind != .trusted && verdict.kind != .notPinned { onVerdict?(verdict) }
            completionHandler(verdict.allowed ? .useCredential : .cancelAuthenticationChallenge,
                              verdict.allowed ? URLCredential(trust: trust) : nil)
        } catch {
            completionHandler(.cancelAuthenticationChallenge, nil)
        }
    }

    /// A session using this delegate. Use a dedicated session: the system TLS session cache is
    /// shared per session, and a resumed session skips this delegate.
    public func makeSession(configuration: URLSessionConfiguration = .ephemeral) -> URLSession {
        URLSession(configuration: configuration, delegate: self, delegateQueue: nil)
    }
}

/// A Secure Enclave P-256 key signing RFC 9421 signature bases (`ecdsa-p256-sha256`, raw r||s).
public final class SecureEnclaveSigner: RequestSigner, @unchecked Sendable {
    private let key: SecKey

    /// Wraps an existing private key (e.g. created with `kSecAttrTokenIDSecureEnclave`).
    public init(privateKey: SecKey) { self.key = privateKey }

    public func algorithm() -> String { "ecdsa-p256-sha256" }

    public func sign(base: Data) throws -> Data {
        var error: Unmanaged<CFError>?
        guard let der = SecKeyCreateSignature(key, .ecdsaSignatureMessageX962SHA256, base as CFData, &error) as Data? else {
            throw PinsetError.Callback(reason: "Secure Enclave signing failed: \(String(describing: error?.takeRetainedValue()))")
        }
        return try rawSignature(fromDER: der)
    }

    /// X9.62 DER `SEQUENCE { INTEGER r, INTEGER s }` to fixed-size r||s (32 bytes each).
    private func rawSignature(fromDER der: Data) throws -> Data {
        let bytes = [UInt8](der)
        func readInt(_ i: inout Int) throws -> [UInt8] {
            guard i + 2 <= bytes.count, bytes[i] == 0x02 else { throw PinsetError.Callback(reason: "bad ECDSA DER") }
            let len = Int(bytes[i + 1]); i += 2
            guard i + len <= bytes.count else { throw PinsetError.Callback(reason: "bad ECDSA DER") }
            var v = Array(bytes[i..<(i + len)]); i += len
            while v.count > 32, v.first == 0 { v.removeFirst() }
            guard v.count <= 32 else { throw PinsetError.Callback(reason: "bad ECDSA DER") }
            return [UInt8](repeating: 0, count: 32 - v.count) + v
        }
        guard bytes.count > 2, bytes[0] == 0x30 else { throw PinsetError.Callback(reason: "bad ECDSA DER") }
        var i = bytes[1] & 0x80 != 0 ? 2 + Int(bytes[1] & 0x7f) : 2
        let r = try readInt(&i), s = try readInt(&i)
        return Data(r + s)
    }
}

public extension URLRequest {
    /// Signs this request (RFC 9421 + Content-Digest) with `signer`; safe profile by default.
    func signed(with signer: RequestSigner, keyId: String, label: String = "sig1") async throws -> URLRequest {
        let headers = (allHTTPHeaderFields ?? [:]).sorted { $0.key < $1.key }.map { HeaderField(name: $0.key, value: $0.value) }
        let request = HttpRequest(method: httpMethod ?? "GET", targetUri: url?.absoluteString ?? "", headers: headers, body: httpBody ?? Data())
        let options = SignOptions(label: label, keyId: keyId, components: [], tag: nil,
                                  created: Int64(Date().timeIntervalSince1970), contentDigest: nil)
        let signed = try await Task.detached { try signRequestWithSigner(request: request, signer: signer, options: options) }.value
        var out = self
        for field in signed.headers where ["content-digest", "signature-input", "signature"].contains(field.name) {
            out.addValue(field.value, forHTTPHeaderField: field.name)
        }
        return out
    }
}
