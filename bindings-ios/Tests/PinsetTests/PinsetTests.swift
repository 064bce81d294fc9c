import XCTest
@testable import Pinset
import PinsetFFI

/// Runs on macOS CI only (no Swift toolchain on the Linux host).
final class PinsetTests: XCTestCase {
    func testInvalidManifestThrowsWithTheRustErrorKind() {
        XCTAssertThrowsError(try PinsetSessionDelegate(manifestToml: "version = 1\n[[domain]]\nname = \"*.x.com\"\npins = []\n")) { error in
            guard case PinsetError.Manifest = error else { return XCTFail("\(error)") }
        }
    }

    /// A private-anchor rule without its file's bytes fails the load; with them, the rule's anchors
    /// (what the delegate gives `SecTrustSetAnchorCertificates`) are the supplied certificate only.
    func testPrivateAnchorsMustBeSuppliedAndStayWithTheirRule() throws {
        let toml = """
        version = 1
        [[domain]]
        name = "build.corp.example"
        pins = ["sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "sha256/AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="]
        trust_anchors = ["corp.pem"]
        """
        XCTAssertThrowsError(try PinsetSessionDelegate(manifestToml: toml)) { error in
            guard case PinsetError.Anchor = error else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try PinsetSessionDelegate(manifestToml: toml, anchors: ["corp.pem": Data("not a certificate".utf8)]))
    }

    func testPinOfGarbageIsAnError() {
        XCTAssertThrowsError(try pinOfCertificate(der: Data([0x30, 0x01])))
    }
}
