package dev.pinset

import dev.pinset.ffi.DecisionKind
import dev.pinset.ffi.PinReporter
import dev.pinset.ffi.pinOfCertificate
import java.net.InetAddress
import java.security.KeyStore
import javax.net.ssl.SSLContext
import javax.net.ssl.SSLHandshakeException
import javax.net.ssl.X509TrustManager
import okhttp3.OkHttpClient
import okhttp3.Request
import okhttp3.mockwebserver.Dispatcher
import okhttp3.mockwebserver.MockResponse
import okhttp3.mockwebserver.MockWebServer
import okhttp3.mockwebserver.RecordedRequest
import okhttp3.tls.HandshakeCertificates
import okhttp3.tls.HeldCertificate
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/**
 * `PinsetTrustManager`'s verdict cache over real TLS handshakes (a fresh `SSLContext` each, so no
 * resumption skips the trust manager): it never accepts what the uncached path refuses, and it
 * remembers nothing but matched-pin accepts on a path that needed no rebuild.
 */
class VerdictCacheTest {
    private fun ca(name: String) = HeldCertificate.Builder().certificateAuthority(1).commonName(name).build()
    private fun intermediate(name: String, root: HeldCertificate) = HeldCertificate.Builder().certificateAuthority(0).commonName(name).signedBy(root).build()
    private fun leaf(issuer: HeldCertificate) = HeldCertificate.Builder().commonName("localhost")
        .addSubjectAlternativeName("localhost").addSubjectAlternativeName("other.test").signedBy(issuer).build()
    private fun pin(c: HeldCertificate) = pinOfCertificate(c.certificate.encoded)
    private val backup = pin(ca("backup"))

    private fun rule(host: String, vararg pins: String, extra: String = "") =
        "[[domain]]\nname = \"$host\"\npins = [${pins.joinToString { "\"$it\"" }}]\n$extra\n"

    private fun load(vararg rules: String) = Pinset.load("version = 1\n" + rules.joinToString(""))

    private fun platform(vararg roots: HeldCertificate): X509TrustManager {
        val ks = KeyStore.getInstance(KeyStore.getDefaultType()).apply { load(null, null) }
        roots.forEachIndexed { i, r -> ks.setCertificateEntry("r$i", r.certificate) }
        return defaultTrustManager(ks)
    }

    private fun server(leaf: HeldCertificate, vararg chain: HeldCertificate): MockWebServer {
        val certs = HandshakeCertificates.Builder().heldCertificate(leaf, *chain.map { it.certificate }.toTypedArray()).build()
        return MockWebServer().apply {
            useHttps(certs.sslSocketFactory(), false)
            dispatcher = object : Dispatcher() { override fun dispatch(request: RecordedRequest) = MockResponse().setBody("ok") }
            start()
        }
    }

    /** One request over a new connection with a new SSLContext: a full handshake through [tm]. */
    private fun get(tm: PinsetTrustManager, server: MockWebServer, host: String = "localhost"): String {
        val ctx = SSLContext.getInstance("TLS").apply { init(null, arrayOf(tm), null) }
        val client = OkHttpClient.Builder().sslSocketFactory(ctx.socketFactory, tm)
            .dns(object : okhttp3.Dns { override fun lookup(hostname: String) = listOf(InetAddress.getLoopbackAddress()) })
            .build()
        val url = server.url("/").newBuilder().host(host).build()
        return client.newCall(Request.Builder().url(url).build()).execute().use { it.body!!.string() }
    }

    private fun refused(tm: PinsetTrustManager, server: MockWebServer, host: String = "localhost") {
        val e = assertThrows(SSLHandshakeException::class.java) { get(tm, server, host) }
        val cause = generateSequence<Throwable>(e) { it.cause }.last()
        assertTrue(cause is PinningException, "$cause")
        assertEquals(DecisionKind.VIOLATION, (cause as PinningException).verdict.kind)
    }

    @Test
    fun anotherChainWithTheSameLeafIsDecidedAgain() {
        // The intermediate re-issued under another root (same name, same key): the leaf verifies
        // under both. Only the path through rootA carries the pin.
        val rootA = ca("root a"); val rootB = ca("root b")
        val intA = intermediate("int", rootA)
        val intB = HeldCertificate.Builder().certificateAuthority(0).commonName("int").keyPair(intA.keyPair).signedBy(rootB).build()
        val lf = leaf(intA)
        val tm = load(rule("localhost", pin(rootA), backup)).trustManager(platform(rootA, rootB))
        server(lf, intA).use { s ->
            assertEquals("ok", get(tm, s))
            assertEquals(1, tm.rememberedVerdicts)
            assertEquals("ok", get(tm, s))
        }
        server(lf, intB).use { refused(tm, it); refused(tm, it) }
        assertEquals(1, tm.rememberedVerdicts)
    }

    @Test
    fun anotherHostIsDecidedAgain() {
        val root = ca("root"); val int = intermediate("int", root)
        val tm = load(rule("localhost", pin(int), backup), rule("other.test", pin(ca("x")), backup)).trustManager(platform(root))
        server(leaf(int), int).use { s ->
            assertEquals("ok", get(tm, s))
            assertEquals(1, tm.rememberedVerdicts)
            refused(tm, s, "other.test")
            assertEquals("ok", get(tm, s))
        }
    }

    @Test
    fun anotherPinsetIsDecidedAgain() {
        val root = ca("root"); val int = intermediate("int", root)
        val accepts = load(rule("localhost", pin(int), backup))
        val refuses = load(rule("localhost", pin(ca("x")), backup))
        var current = accepts
        val tm = PinsetTrustManager({ current }, platform(root))
        server(leaf(int), int).use { s ->
            assertEquals("ok", get(tm, s))
            assertEquals(1, tm.rememberedVerdicts)
            current = refuses
            refused(tm, s)
            current = accepts
            assertEquals("ok", get(tm, s))
        }
    }

    @Test
    fun aVerdictCountsOnlyOnTheUtcDayItWasReached() {
        // Pins expiring 2031-06-15 (00:00 UTC); the pin decision's clock is the test's, the
        // platform validates at the real time.
        val day = 86_400L
        val expiry = java.time.LocalDate.of(2031, 6, 15).toEpochDay() * day
        val root = ca("root"); val int = intermediate("int", root)
        val p = load(rule("localhost", pin(int), backup, extra = "expires = \"2031-06-15\""))
        val reports = mutableListOf<String>()
        p.reporter = object : PinReporter { override fun report(json: String, reportUris: List<String>) { reports += json } }
        var now = expiry - day - 1
        val tm = PinsetTrustManager({ p }, platform(root), { now })
        server(leaf(int), int).use { s ->
            // Two days before the expiry date (its last second), and the day before: trusted, remembered.
            assertEquals("ok", get(tm, s))
            assertEquals(1, tm.rememberedVerdicts)
            now = expiry - 1
            assertEquals("ok", get(tm, s))
            assertEquals(1, tm.rememberedVerdicts)
            assertTrue(reports.isEmpty(), "$reports")
            // The expiry: yesterday's verdict does not answer; the expired pin-set is reported.
            now = expiry
            assertEquals("ok", get(tm, s))
            assertEquals(1, reports.size, "$reports")
            assertTrue(reports[0].contains("\"validation-result\": \"expired\""), reports[0])
        }
    }

    @Test
    fun thePlatformValidatesEveryHandshakeEvenWhenTheVerdictIsRemembered() {
        // A leaf valid for a few seconds: accepted and remembered, then expired. The platform's
        // validation refuses it although the pin verdict for this exact chain is cached.
        val root = ca("root"); val int = intermediate("int", root)
        // X.509 times are whole seconds; a margin for a slow first handshake on a loaded machine.
        val notAfter = (System.currentTimeMillis() / 1000 + 6) * 1000
        val shortLived = HeldCertificate.Builder().commonName("localhost").addSubjectAlternativeName("localhost")
            .validityInterval(notAfter - 120_000, notAfter).signedBy(int).build()
        val tm = load(rule("localhost", pin(int), backup)).trustManager(platform(root))
        server(shortLived, int).use { s ->
            assertEquals("ok", get(tm, s))
            assertEquals(1, tm.rememberedVerdicts)
            Thread.sleep(maxOf(0, notAfter + 1_500 - System.currentTimeMillis()))
            val e = assertThrows(SSLHandshakeException::class.java) { get(tm, s) }
            val causes = generateSequence<Throwable>(e) { it.cause }.toList()
            val expired = { t: Throwable ->
                t is java.security.cert.CertificateExpiredException ||
                    (t is java.security.cert.CertPathValidatorException && t.reason == java.security.cert.CertPathValidatorException.BasicReason.EXPIRED)
            }
            assertTrue(causes.any(expired), "$causes")
            assertTrue(causes.none { it is PinningException }, "$causes")
        }
    }

    @Test
    fun reportOnlyAndExpiredKeepReportingAndAreNotRemembered() {
        val root = ca("root"); val int = intermediate("int", root)
        for ((extra, kind, pins) in listOf(
            Triple("enforce = false", "report-only", listOf(pin(ca("x")), backup)),
            Triple("expires = \"2020-01-01\"", "expired", listOf(pin(int), backup)),
        )) {
            val p = load(rule("localhost", *pins.toTypedArray(), extra = extra))
            val reports = mutableListOf<String>()
            p.reporter = object : PinReporter { override fun report(json: String, reportUris: List<String>) { reports += json } }
            val tm = p.trustManager(platform(root))
            server(leaf(int), int).use { s -> repeat(3) { assertEquals("ok", get(tm, s)) } }
            assertEquals(0, tm.rememberedVerdicts, kind)
            // Reported once: each handshake reached the core, whose Throttle de-duplicates.
            assertEquals(1, reports.size, kind)
            assertTrue(reports[0].contains("\"validation-result\": \"$kind\""), reports[0])
        }
    }

    @Test
    fun aChainThatNeedsTheRebuildIsNeverRemembered() {
        val genuineRoot = ca("genuine root"); val genuineInt = intermediate("genuine int", genuineRoot)
        val rogueRoot = ca("rogue root"); val rogueInt = intermediate("rogue int", rogueRoot)
        val pinset = load(rule("localhost", pin(genuineInt), pin(genuineRoot)))
        val tm = pinset.trustManager(PathBuildingTrustManager(listOf(genuineRoot.certificate, rogueRoot.certificate)))
        val engine = SSLContext.getDefault().createSSLEngine("localhost", 443)
        // CVE-2016-2402: the pinned certificates appended to a rogue path; refused every time.
        val attack = arrayOf(leaf(rogueInt), rogueInt, genuineInt, genuineRoot).map { it.certificate }.toTypedArray()
        repeat(2) { assertThrows(PinningException::class.java) { tm.checkServerTrusted(attack, "ECDHE_ECDSA", engine) } }
        // A genuine chain out of order is accepted through the rebuild, and not remembered.
        val lf = leaf(genuineInt)
        val unordered = arrayOf(lf, rogueInt, genuineInt).map { it.certificate }.toTypedArray()
        repeat(2) { tm.checkServerTrusted(unordered, "ECDHE_ECDSA", engine) }
        assertEquals(0, tm.rememberedVerdicts)
        // In order it is a path: remembered.
        tm.checkServerTrusted(arrayOf(lf, genuineInt).map { it.certificate }.toTypedArray(), "ECDHE_ECDSA", engine)
        assertEquals(1, tm.rememberedVerdicts)
        repeat(2) { assertThrows(PinningException::class.java) { tm.checkServerTrusted(attack, "ECDHE_ECDSA", engine) } }
    }
}
