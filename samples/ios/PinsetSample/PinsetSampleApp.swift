// Sample app (recipe; built by macOS CI with the Pinset package, not on the Linux host).
import Pinset
import SwiftUI

@main
struct PinsetSampleApp: App {
    @State private var status = "…"

    var body: some Scene {
        WindowGroup {
            Text(status).task { status = await fetch() }
        }
    }

    func fetch() async -> String {
        do {
            let manifest = try String(contentsOf: Bundle.main.url(forResource: "pins", withExtension: "toml")!, encoding: .utf8)
            let delegate = try PinsetSessionDelegate(manifestToml: manifest)
            let (_, response) = try await delegate.makeSession().data(from: URL(string: "https://api.example.com/")!)
            return "HTTP \((response as? HTTPURLResponse)?.statusCode ?? 0)"
        } catch {
            return "refused: \(error)"
        }
    }
}
