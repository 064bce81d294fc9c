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

    func testPinOfGarbageIsAnError() {
        XCTAssertThrowsError(try pinOfCertificate(der: Data([0x30, 0x01])))
    }
}
