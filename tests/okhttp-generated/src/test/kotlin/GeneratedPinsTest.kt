import dev.pinset.generated.PinsetPins
import java.io.File
import javax.net.ssl.SSLPeerUnverifiedException
import okhttp3.OkHttpClient
import okhttp3.Request
import okhttp3.mockwebserver.MockResponse
import okhttp3.mockwebserver.MockWebServer
import okhttp3.tls.HandshakeCertificates
import okhttp3.tls.HeldCertificate
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/** The pinner generated from pins.toml, used by a real OkHttpClient against local TLS servers. */
class GeneratedPinsTest {
    private fun held(name: String) = HeldCertificate.decode(File("certs/$name.pem").readText() + File("certs/$name.key").readText())

    private fun server(leaf: String, root: String): MockWebServer {
        val certs = HandshakeCertificates.Builder().heldCertificate(held(leaf), held(root).certificate).build()
        return MockWebServer().apply {
            useHttps(certs.sslSocketFactory(), false)
            enqueue(MockResponse().setBody("pinned ok"))
            start()
        }
    }

    private fun client(nowMillis: Long = System.currentTimeMillis()): OkHttpClient {
        // Both roots are trusted: only the pins tell the servers apart.
        val trust = HandshakeCertificates.Builder()
            .addTrustedCertificate(held("root").certificate)
            .addTrustedCertificate(held("other-root").certificate)
            .build()
        return OkHttpClient.Builder()
            .sslSocketFactory(trust.sslSocketFactory(), trust.trustManager)
            .certificatePinner(PinsetPins.certificatePinner(nowMillis))
            .build()
    }

    private fun get(client: OkHttpClient, server: MockWebServer): String =
        client.newCall(Request.Builder().url(server.url("/").newBuilder().host("localhost").build()).build()).execute().use { it.body!!.string() }

    @Test
    fun acceptsTheServerWithThePinnedKey() {
        server("leaf", "root").use { assertEquals("pinned ok", get(client(), it)) }
    }

    @Test
    fun rejectsAServerWithAnotherKey() {
        server("other-leaf", "other-root").use { s ->
            val e = assertThrows(SSLPeerUnverifiedException::class.java) { get(client(), s) }
            assertTrue(e.message!!.contains("Certificate pinning failure!"), e.message)
            assertTrue(e.message!!.contains("sha256/FgWTyli6ahD8yWrbtVGeFoplmdW+glZbp3if1iljvow="), e.message)
        }
    }

    @Test
    fun expiredPinSetIsNotEnforced() {
        val after = java.time.Instant.parse("2099-01-01T00:00:00Z").toEpochMilli()
        server("other-leaf", "other-root").use { assertEquals("pinned ok", get(client(after), it)) }
        // One millisecond before 00:00 UTC on the date it is still enforced.
        server("other-leaf", "other-root").use { s ->
            assertThrows(SSLPeerUnverifiedException::class.java) { get(client(after - 1), s) }
        }
    }
}
