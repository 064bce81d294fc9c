// swift-tools-version:5.9
// pinset for iOS/macOS: the Rust core as an XCFramework (built by scripts/build-xcframework.sh on
// macOS) + the UniFFI-generated Swift (Sources/PinsetFFI, generated, git-ignored) + the idiomatic
// layer (Sources/Pinset). Not compiled on the Linux CI host: macOS CI builds and tests it.
import PackageDescription

let package = Package(
    name: "Pinset",
    platforms: [.iOS(.v15), .macOS(.v12)],
    products: [.library(name: "Pinset", targets: ["Pinset"])],
    targets: [
        .binaryTarget(name: "PinsetFFIC", path: "PinsetFFIC.xcframework"),
        .target(name: "PinsetFFI", dependencies: ["PinsetFFIC"], path: "Sources/PinsetFFI"),
        .target(name: "Pinset", dependencies: ["PinsetFFI"], path: "Sources/Pinset"),
        .testTarget(name: "PinsetTests", dependencies: ["Pinset"], path: "Tests/PinsetTests"),
    ]
)
