import XCTest
@testable import Pinset
import PinsetFFI

/// Runs on macOS CI only (no Swift toolchain on the Linux host). The Swift layer validates chains
/// with `SecTrust` and cannot verify a SPIFFE X.509-SVID: a manifest with a `spiffe` rule fails
/// the load with the core's reason, never loads with the identity check dropped (issue #18).
final class SpiffeRefusalTests: XCTestCase {
    func testASpiffeManifestThrowsAtLoad() {
        let toml = """
        version = 1
        [[trust_domain]]
        name = "mcp.example.org"
        bundle = "mcp.pem"
        [[domain]]
        name = "tools.example.org"
        spiffe = { id = "spiffe://mcp.example.org/ns/prod/sa/tools" }
        """
        for anchors in [[:], ["mcp.pem": Data("not read: the rule is refused first".utf8)]] {
            XCTAssertThrowsError(try PinsetSessionDelegate(manifestToml: toml, anchors: anchors)) { error in
                guard case let PinsetError.Manifest(reason: reason) = error else { return XCTFail("\(error)") }
                XCTAssertTrue(reason.contains("cannot verify SPIFFE X.509-SVIDs"), reason)
                XCTAssertTrue(reason.contains("refused rather than enforced partly"), reason)
            }
        }
    }
}
