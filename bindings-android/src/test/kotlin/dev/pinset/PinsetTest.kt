package dev.pinset

import dev.pinset.ffi.DecisionKind
import dev.pinset.ffi.HttpRequest
import dev.pinset.ffi.HeaderField
import dev.pinset.ffi.PinReporter
import dev.pinset.ffi.PinsetException
import dev.pinset.ffi.RequestSigner
import dev.pinset.ffi.SignOptions
import dev.pinset.ffi.pinOfCertificate
import dev.pinset.ffi.signRequestWithSigner
import dev.pinset.ffi.verifyRequest
import java.security.KeyPairGenerator
import java.security.Signature
import java.security.spec.ECGenParameterSpec
import java.util.Base64
import javax.net.ssl.SSLHandshakeException
import okhttp3.CertificatePinner
import okhttp3.OkHttpClient
import okhttp3.Request
import okhttp3.RequestBody.Companion.toRequestBody
import okhttp3.MediaType.Companion.toMediaType
import okhttp3.mockwebserver.MockResponse
import okhttp3.mockwebserver.MockWebServer
import okhttp3.tls.HandshakeCertificates
import okhttp3.tls.HeldCertificate
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

class PinsetTest {
    private fun ca(name: String) = HeldCertificate.Builder().certificateAuthority(1).commonName(name).build()
    private fun intermediate(name: String, root: HeldCertificate) = HeldCertificate.Builder().certificateAuthority(0).commonName(name).signedBy(root).build()
    private fun leaf(issuer: HeldCertificate) = HeldCertificate.Builder().commonName("localhost").addSubjectAlternativeName("localhost").signedBy(issuer).build()
    private fun pin(c: HeldCertificate) = pinOfCertificate(c.certificate.encoded)

    private fun manifest(vararg pins: String, extra: String = "") =
        "version = 1\n[[domain]]\nname = \"localhost\"\npins = [${pins.joinToString { "\"$it\"" }}]\n$extra\n"

    private fun server(leaf: HeldCertificate, vararg chain: HeldCertificate): MockWebServer {
        val certs = HandshakeCertificates.Builder().heldCertificate(leaf, *chain.map { it.certificate }.toTypedArray()).build()
        return MockWebServer().apply { useHttps(certs.sslSocketFactory(), false); enqueue(MockResponse().setBody("ok")); start() }
    }

    private fun client(pinset: Pinset, vararg roots: HeldCertificate): OkHttpClient {
        val trust = HandshakeCertificates.Builder().apply { roots.forEach { addTrustedCertificate(it.certificate) } }.build()
        return OkHttpClient.Builder().pinset(pinset, trust.trustManager).build()
    }

    private fun get(client: OkHttpClient, server: MockWebServer) =
        client.newCall(Request.Builder().url(server.url("/").newBuilder().host("localhost").build()).build()).execute().use { it.body!!.string() }

    private fun rootCause(t: Throwable): Throwable = generateSequence(t) { it.cause }.last()

    @Test
    fun pinnedClientAcceptsTheRightServerAndRejectsAnotherKey() {
        val root = ca("root"); val int = intermediate("int", root); val good = leaf(int)
        val pinset = Pinset.load(manifest(pin(int), pin(ca("backup"))))
        server(good, int).use { assertEquals("ok", get(client(pinset, root), it)) }
        val otherInt = intermediate("other int", root); val otherLeaf = leaf(otherInt)
        server(otherLeaf, otherInt).use { s ->
            val e = assertThrows(SSLHandshakeException::class.java) { get(client(pinset, root), s) }
            val cause = rootCause(e)
            assertTrue(cause is PinningException, "$cause")
            val msg = cause.message!!
            assertTrue(msg.startsWith("Certificate pinning failure!"), msg)
            assertTrue(msg.contains("${pin(otherLeaf)}: CN=localhost"), msg)
            assertTrue(msg.contains(pin(int)), msg)
        }
    }

    @Test
    fun appendedUnrelatedPinnedCertificateIsRejected() {
        val genuineRoot = ca("genuine root"); val genuineInt = intermediate("genuine int", genuineRoot)
        val rogueRoot = ca("rogue root"); val rogueInt = intermediate("rogue int", rogueRoot)
        val pinset = Pinset.load(manifest(pin(genuineInt), pin(genuineRoot)))
        // Like Android's TrustManagerImpl, the "platform" builds a path from the presented certificates
        // (ignoring extras); the JDK's own trust manager would refuse the out-of-order chain outright,
        // which would not exercise the pin layer.
        val tm = pinset.trustManager(PathBuildingTrustManager(listOf(genuineRoot.certificate, rogueRoot.certificate)))
        val engine = javax.net.ssl.SSLContext.getDefault().createSSLEngine("localhost", 443)
        // The attacker's leaf chains to the (trusted) rogue root; the genuine pinned certificates
        // ride along in the presented chain (OkHttp CVE-2016-2402).
        val attack = arrayOf(leaf(rogueInt), rogueInt, genuineInt, genuineRoot).map { it.certificate }.toTypedArray()
        val e = assertThrows(PinningException::class.java) { tm.checkServerTrusted(attack, "ECDHE_ECDSA", engine) }
        assertEquals(DecisionKind.VIOLATION, e.verdict.kind)
        assertFalse(e.verdict.chainPins.contains(pin(genuineInt)), "the appended certificate is not on the validated path")
        // Control: the genuine chain passes the same trust manager.
        tm.checkServerTrusted(arrayOf(leaf(genuineInt), genuineInt).map { it.certificate }.toTypedArray(), "ECDHE_ECDSA", engine)
    }

    @Test
    fun reportOnlyReportsToTheListenerAndConnects() {
        val root = ca("root"); val int = intermediate("int", root)
        val pinset = Pinset.load(manifest(pin(ca("x")), pin(ca("y")), extra = "enforce = false"))
        val reports = mutableListOf<String>()
        pinset.reporter = object : PinReporter { override fun report(json: String, reportUris: List<String>) { reports += json } }
        server(leaf(int), int).use { assertEquals("ok", get(client(pinset, root), it)) }
        assertEquals(1, reports.size)
        assertTrue(reports[0].contains("\"validation-result\": \"report-only\""), reports[0])
        assertTrue(reports[0].contains("\"hostname\": \"localhost\""), reports[0])
    }

    @Test
    fun enforceDecidesLikeOkHttpCertificatePinner() {
        val root = ca("root"); val int = intermediate("int", root); val lf = leaf(int)
        val chain = listOf(lf.certificate, int.certificate, root.certificate)
        val backup = pin(ca("backup"))
        for ((what, pinned) in listOf("leaf" to pin(lf), "intermediate" to pin(int), "root" to pin(root), "none" to pin(ca("other")))) {
            val ok = CertificatePinner.Builder().add("localhost", backup, pinned).build()
            val okAllows = runCatching { ok.check("localhost", chain) }.isSuccess
            val p = Pinset.load(manifest(backup, pinned))
            val ours = runCatching { p.enforce("localhost", chain) }
            assertEquals(okAllows, ours.isSuccess, what)
            assertEquals(what != "none", ours.isSuccess, what)
            ours.exceptionOrNull()?.let { e ->
                assertTrue(e is PinningException, "$what: $e")
                val v = (e as PinningException).verdict
                assertEquals(DecisionKind.VIOLATION, v.kind)
                // Like OkHttp's message: every certificate's pin is listed.
                for (c in chain) assertTrue(v.message.contains(pinOfCertificate(c.encoded)), v.message)
            }
            // The full verdict agrees.
            assertEquals(ours.isSuccess, p.check("localhost", chain).allowed, what)
            // Both fast entry points load and answer "proceed" exactly for the hits.
            assertTrue(FastPath.available)
            assertEquals("jni", FastPath.mode)
            val now = System.currentTimeMillis() / 1000
            assertEquals(what != "none", FastPath.proceeds(p.fastHandle, "localhost", chain, now), what)
            val input = FastPath.input("localhost", chain)!!
            val viaJna = FastPath.pinset_fast_decide(p.fastHandle, input, input.size, now)
            assertEquals(viaJna, FastPathJni.decide(p.fastHandle, input, input.size, now), what)
            // 2: "trusted" (a pin matched, holds for the day), 1: refuse.
            assertEquals(if (what != "none") 2 else 1, viaJna, what)
            // Again, now that the certificates are in the pin cache: same answer.
            assertEquals(viaJna, FastPathJni.decide(p.fastHandle, input, input.size, now), what)
            // The refusal verdict from the JNI call equals the UniFFI one (decoded with UniFFI's converter).
            val refusal = FastPath.refusal(p.fastHandle, "localhost", chain, now)
            if (what == "none") {
                assertEquals(p.core.enforce("localhost", chain.map { it.encoded }, now, null), refusal)
                assertEquals(DecisionKind.VIOLATION, refusal!!.kind)
            } else {
                assertNull(refusal, what)
            }
        }
    }

    @Test
    fun fastPathRefusesBadInputInsteadOfDeciding() {
        val root = ca("root")
        val p = Pinset.load(manifest(pin(root), pin(ca("b"))))
        val now = System.currentTimeMillis() / 1000
        val good = FastPath.input("localhost", listOf(root.certificate))!!
        assertEquals(2, FastPathJni.decide(p.fastHandle, good, good.size, now))
        // Trailing bytes beyond `len` are not read: the buffer is reused across calls.
        assertEquals(2, FastPathJni.decide(p.fastHandle, good + ByteArray(100) { 0x30 }, good.size, now))
        for (cut in listOf(0, 1, 2, 11, 20, good.size - 1)) {
            assertEquals(-1, FastPathJni.decide(p.fastHandle, good.copyOf(cut), cut, now), "cut at $cut")
            assertEquals(-1, FastPathJni.decide(p.fastHandle, good, cut, now), "length $cut")
            assertEquals(-1, FastPath.pinset_fast_decide(p.fastHandle, good, cut - 1, now), "JNA length ${cut - 1}")
        }
        // A length past the end of the array is refused, never read.
        assertEquals(-1, FastPathJni.decide(p.fastHandle, good, good.size + 1, now))
        assertEquals(-1, FastPathJni.decide(p.fastHandle, good, -1, now))
        assertEquals(-1, FastPathJni.decide(p.fastHandle, good + byteArrayOf(0x30), good.size + 1, now), "trailing byte")
        assertEquals(-1, FastPathJni.decide(p.fastHandle, good.copyOf().also { it[0] = 0x7f }, good.size, now), "host length past the end")
        assertEquals(-1, FastPathJni.decide(Long.MAX_VALUE, good, good.size, now))
        // A non-ASCII host is sent as UTF-8 (IDN: normalised by Rust like everywhere else).
        val idn = Pinset.load(manifest(pin(root), pin(ca("c"))).replace("\"localhost\"", "\"xn--bcher-kva.example\""))
        assertTrue(FastPath.proceeds(idn.fastHandle, "Bücher.example", listOf(root.certificate), now))
        assertFalse(FastPath.proceeds(idn.fastHandle, "Bücher.example", listOf(ca("d").certificate), now))
        assertNull(FastPath.input("localhost", emptyList()))
        assertNull(FastPath.input("localhost", List(17) { root.certificate }))
        FastPath.input("bad host", listOf(root.certificate))!!.let { assertEquals(-1, FastPathJni.decide(p.fastHandle, it, it.size, now)) }
    }

    @Test
    fun fastPathReportsReportOnlyItselfThenProceeds() {
        val root = ca("root")
        val p = Pinset.load(manifest(pin(ca("x")), pin(ca("y")), extra = "enforce = false"))
        val reports = mutableListOf<String>()
        p.reporter = object : PinReporter { override fun report(json: String, reportUris: List<String>) { reports += json } }
        val input = FastPath.input("localhost", listOf(root.certificate), 8443)!!
        val now = System.currentTimeMillis() / 1000
        // The reporter is called from the JNI call (after the array is released), not via UniFFI enforce.
        assertEquals(0, FastPathJni.decide(p.fastHandle, input, input.size, now))
        assertEquals(1, reports.size)
        assertTrue(reports[0].contains("\"port\": 8443"), reports[0])
        assertTrue(reports[0].contains("\"validation-result\": \"report-only\""), reports[0])
        // The same handshake again: proceeds, no duplicate report within 24 h.
        assertEquals(0, FastPathJni.decide(p.fastHandle, input, input.size, now))
        assertEquals(1, reports.size)
    }

    @Test
    fun exceptionsCarryTheRustErrorKind() {
        val e = assertThrows(PinsetException.Manifest::class.java) { Pinset.load("version = 1\n[[domain]]\nname = \"*.x.com\"\npins = []\n") }
        assertTrue(e.message!!.contains("wildcard"), e.message)
        val p = Pinset.load(manifest(pin(ca("a")), pin(ca("b"))))
        assertThrows(PinsetException.Certificate::class.java) { p.core.evaluate("localhost", listOf(byteArrayOf(0x30, 0x03, 1, 2)), 0, null) }
        assertThrows(PinsetException.Host::class.java) { p.core.evaluate("bad host", listOf(ca("c").certificate.encoded), 0, null) }
        assertThrows(PinsetException.Certificate::class.java) { pinOfCertificate(ByteArray(0)) }
        assertThrows(PinsetException.Manifest::class.java) { dev.pinset.ffi.Pinset.fromBytes(byteArrayOf(0xff.toByte(), 0xfe.toByte())) }
    }

    /** A java.security key through the foreign RequestSigner trait (as an Android Keystore key would). */
    class JcaSigner : RequestSigner {
        val keys = KeyPairGenerator.getInstance("EC").apply { initialize(ECGenParameterSpec("secp256r1")) }.generateKeyPair()
        override fun algorithm() = "ecdsa-p256-sha256"
        // IEEE P1363 = raw r||s, as RFC 9421 requires (not DER).
        override fun sign(base: ByteArray): ByteArray =
            Signature.getInstance("SHA256withECDSAinP1363Format").run { initSign(keys.private); update(base); sign() }
        fun publicPem() = "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder().encodeToString(keys.public.encoded) + "\n-----END PUBLIC KEY-----\n"
    }

    @Test
    fun kotlinSignerWorksThroughTheForeignTraitAndRustVerifies() {
        val signer = JcaSigner()
        val now = System.currentTimeMillis() / 1000
        val request = HttpRequest("POST", "https://api.example.com/orders?id=7", listOf(HeaderField("content-type", "application/json")), "{\"qty\":1}".toByteArray())
        val signed = signRequestWithSigner(request, signer, SignOptions("sig1", "k1", emptyList(), null, now, null))
        assertTrue(signed.headers.any { it.name == "signature-input" && it.value.contains("\"@target-uri\"") })
        assertEquals(listOf("sig1"), verifyRequest(signed, signer.publicPem(), listOf("@method", "content-digest"), 300u, now))
        val tampered = signed.copy(body = "{\"qty\":9}".toByteArray())
        val e = assertThrows(PinsetException.Signing::class.java) { verifyRequest(tampered, signer.publicPem(), emptyList(), 300u, now) }
        assertEquals("bad-digest", e.kind)
        val wrongKey = JcaSigner().publicPem()
        assertEquals("bad-signature", assertThrows(PinsetException.Signing::class.java) { verifyRequest(signed, wrongKey, emptyList(), 300u, now) }.kind)
    }

    @Test
    fun signingInterceptorProducesRequestsRustVerifies() {
        val signer = JcaSigner()
        MockWebServer().use { s ->
            s.enqueue(MockResponse().setBody("ok"))
            s.start()
            val client = OkHttpClient.Builder().addNetworkInterceptor(PinsetSigningInterceptor(signer, "k1")).build()
            val url = s.url("/pay?amount=10")
            client.newCall(Request.Builder().url(url).post("{\"a\":1}".toRequestBody("application/json".toMediaType())).build()).execute().close()
            val recorded = s.takeRequest()
            val headers = recorded.headers.map { HeaderField(it.first, it.second) }
            val received = HttpRequest("POST", url.toString(), headers, recorded.body.readByteArray())
            assertEquals(listOf("sig1"), verifyRequest(received, signer.publicPem(), listOf("@method", "@target-uri", "content-digest"), 300u, System.currentTimeMillis() / 1000))
            // The independent Python implementation (http-message-signatures) accepts it too.
            val dir = kotlin.io.path.createTempDirectory("pinset-interop").toFile()
            val raw = buildString {
                append("POST ${url.encodedPath}?${url.encodedQuery} HTTP/1.1\r\n")
                recorded.headers.forEach { (n, v) -> append("$n: $v\r\n") }
                append("\r\n")
            }.toByteArray(Charsets.ISO_8859_1) + "{\"a\":1}".toByteArray()
            java.io.File(dir, "req.http").writeBytes(raw)
            java.io.File(dir, "key.pem").writeText(signer.publicPem())
            java.io.File(dir, "index.json").writeText(
                "[{\"file\": \"${dir}/req.http\", \"alg\": \"ecdsa-p256-sha256\", \"key\": \"${dir}/key.pem\", \"label\": \"sig1\", \"scheme\": \"http\"}]")
            val proc = ProcessBuilder("python3", "../tests/interop/interop.py", "verify", "${dir}/index.json").redirectErrorStream(true).start()
            val out = proc.inputStream.bufferedReader().readText()
            assertEquals(0, proc.waitFor(), out)
            assertTrue(out.contains("1 passed, 0 failed"), out)
        }
    }

    @Test
    fun hostileArgumentsGiveErrorsNotCrashes() {
        val p = Pinset.load(manifest(pin(ca("a")), pin(ca("b"))))
        val huge = "a".repeat(1_000_000)
        assertThrows(PinsetException.Host::class.java) { p.core.evaluate(huge, listOf(ca("c").certificate.encoded), 0, null) }
        assertFalse(p.core.isPinned("\u0000\n"))
        assertEquals(DecisionKind.NOT_PINNED, p.core.evaluate("other.example", listOf(ca("c").certificate.encoded), 0, null).kind)
        assertThrows(PinsetException::class.java) { p.core.evaluate("localhost", emptyList(), 0, null) }
        assertThrows(PinsetException.Signing::class.java) { verifyRequest(HttpRequest("GET\r\n", "not a uri", emptyList(), ByteArray(0)), "x", emptyList(), 0u, 0) }
        val badSigner = object : RequestSigner { override fun algorithm() = "ed25519"; override fun sign(base: ByteArray): ByteArray = throw IllegalStateException("keystore locked") }
        assertThrows(Exception::class.java) { signRequestWithSigner(HttpRequest("GET", "https://a.example/", emptyList(), ByteArray(0)), badSigner, SignOptions("s", "k", emptyList(), null, 0, null)) }
    }
}

/** A platform stand-in that validates by PKIX path building over the presented certificates. */
class PathBuildingTrustManager(private val roots: List<java.security.cert.X509Certificate>) : javax.net.ssl.X509ExtendedTrustManager() {
    override fun getAcceptedIssuers() = roots.toTypedArray()
    private fun check(chain: Array<java.security.cert.X509Certificate>) {
        val anchors = roots.map { java.security.cert.TrustAnchor(it, null) }.toSet()
        val params = java.security.cert.PKIXBuilderParameters(anchors, java.security.cert.X509CertSelector().apply { certificate = chain[0] }).apply {
            isRevocationEnabled = false
            addCertStore(java.security.cert.CertStore.getInstance("Collection", java.security.cert.CollectionCertStoreParameters(chain.toList())))
        }
        java.security.cert.CertPathBuilder.getInstance("PKIX").build(params)
    }
    override fun checkServerTrusted(chain: Array<java.security.cert.X509Certificate>, authType: String) = check(chain)
    override fun checkServerTrusted(chain: Array<java.security.cert.X509Certificate>, authType: String, socket: java.net.Socket?) = check(chain)
    override fun checkServerTrusted(chain: Array<java.security.cert.X509Certificate>, authType: String, engine: javax.net.ssl.SSLEngine?) = check(chain)
    override fun checkClientTrusted(chain: Array<java.security.cert.X509Certificate>, authType: String) = throw java.security.cert.CertificateException("server only")
    override fun checkClientTrusted(chain: Array<java.security.cert.X509Certificate>, authType: String, socket: java.net.Socket?) = throw java.security.cert.CertificateException("server only")
    override fun checkClientTrusted(chain: Array<java.security.cert.X509Certificate>, authType: String, engine: javax.net.ssl.SSLEngine?) = throw java.security.cert.CertificateException("server only")
}
