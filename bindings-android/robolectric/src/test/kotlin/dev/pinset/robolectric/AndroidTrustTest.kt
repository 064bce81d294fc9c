package dev.pinset.robolectric

import dev.pinset.Pinset
import dev.pinset.PinningException
import dev.pinset.defaultTrustManager
import dev.pinset.ffi.PinsetException
import dev.pinset.ffi.pinOfCertificate
import dev.pinset.pinset
import java.net.InetAddress
import java.security.KeyStore
import java.security.cert.X509Certificate
import javax.net.ssl.SSLHandshakeException
import javax.net.ssl.X509TrustManager
import okhttp3.OkHttpClient
import okhttp3.Request
import okhttp3.mockwebserver.MockResponse
import okhttp3.mockwebserver.MockWebServer
import okhttp3.tls.HeldCertificate
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.RobolectricTestRunner

/**
 * The Kotlin SDK inside Robolectric (SDK 34): `PinsetTrustManager` takes its Android branch, the
 * real `android.net.http.X509TrustManagerExtensions` over Conscrypt's trust manager, with OkHttp
 * over real TLS on 127.0.0.1. No Android type appears in a signature (surefire reflects on this
 * class outside the sandbox); the SDK and sdk=34 come from robolectric.properties.
 */
@RunWith(RobolectricTestRunner::class)
class AndroidTrustTest {
    private fun ca(name: String) = HeldCertificate.Builder().certificateAuthority(1).commonName(name).build()
    private fun intermediate(name: String, root: HeldCertificate) = HeldCertificate.Builder().certificateAuthority(0).commonName(name).signedBy(root).build()
    private fun leaf(issuer: HeldCertificate, host: String = "localhost") = HeldCertificate.Builder().commonName(host).addSubjectAlternativeName(host).signedBy(issuer).build()
    private fun pin(c: HeldCertificate) = pinOfCertificate(c.certificate.encoded)
    private fun pem(c: HeldCertificate) = c.certificatePem().toByteArray()

    private fun manifest(host: String, vararg pins: String, extra: String = "") =
        "version = 1\n[[domain]]\nname = \"$host\"\npins = [${pins.joinToString { "\"$it\"" }}]\n$extra\n"

    /** Serves exactly [leaf] + [chain] in that order (a key manager, so no key store reorders or checks it). */
    private fun server(leaf: HeldCertificate, vararg chain: HeldCertificate): MockWebServer {
        val km = FixedKeyManager(leaf.keyPair.private, arrayOf(leaf.certificate) + chain.map { it.certificate })
        val ctx = javax.net.ssl.SSLContext.getInstance("TLS").apply { init(arrayOf(km), null, null) }
        return MockWebServer().apply { useHttps(ctx.socketFactory, false); enqueue(MockResponse().setBody("ok")); start() }
    }

    private class FixedKeyManager(private val key: java.security.PrivateKey, private val chain: Array<X509Certificate>) : javax.net.ssl.X509ExtendedKeyManager() {
        override fun getClientAliases(keyType: String?, issuers: Array<out java.security.Principal>?): Array<String>? = null
        override fun chooseClientAlias(keyType: Array<out String>?, issuers: Array<out java.security.Principal>?, socket: java.net.Socket?): String? = null
        override fun getServerAliases(keyType: String?, issuers: Array<out java.security.Principal>?): Array<String> = arrayOf("server")
        override fun chooseServerAlias(keyType: String?, issuers: Array<out java.security.Principal>?, socket: java.net.Socket?): String = "server"
        override fun chooseEngineServerAlias(keyType: String?, issuers: Array<out java.security.Principal>?, engine: javax.net.ssl.SSLEngine?): String = "server"
        override fun getCertificateChain(alias: String?): Array<X509Certificate> = chain
        override fun getPrivateKey(alias: String?): java.security.PrivateKey = key
    }

    /** The platform's own trust manager (Conscrypt's, under Robolectric) over [roots]. */
    private fun platform(vararg roots: HeldCertificate): X509TrustManager {
        val ks = KeyStore.getInstance(KeyStore.getDefaultType()).apply { load(null, null) }
        roots.forEachIndexed { i, r -> ks.setCertificateEntry("r$i", r.certificate) }
        return defaultTrustManager(ks)
    }

    /** GET https://[host]:port/ with every name resolving to 127.0.0.1. */
    private fun get(pinset: Pinset, tm: X509TrustManager, server: MockWebServer, host: String = "localhost"): String {
        val client = OkHttpClient.Builder().pinset(pinset, tm).dns(object : okhttp3.Dns { override fun lookup(hostname: String) = listOf(InetAddress.getLoopbackAddress()) }).build()
        val url = server.url("/").newBuilder().host(host).build()
        return client.newCall(Request.Builder().url(url).build()).execute().use { it.body!!.string() }
    }

    private fun refused(block: () -> Unit): Throwable {
        try {
            block()
        } catch (e: SSLHandshakeException) {
            return e
        }
        fail("the connection was not refused")
        throw AssertionError()
    }

    private fun pinFailure(t: Throwable) = generateSequence(t) { it.cause }.any { it is PinningException }

    @Test
    fun theAndroidBranchRunsOnTheRealFrameworkClass() {
        val root = ca("root")
        val tm = platform(root)
        assertEquals("org.conscrypt.TrustManagerImpl", tm.javaClass.name)
        Class.forName("android.net.http.X509TrustManagerExtensions")
        val pinset = Pinset.load(manifest("localhost", pin(root), pin(ca("backup"))))
        assertEquals("android", pinset.trustManager(tm).validationBranch)
    }

    @Test
    fun pinnedOkHttpClientOverRealTls() {
        val root = ca("root"); val int = intermediate("int", root); val good = leaf(int)
        val tm = platform(root)
        val trusted = Pinset.load(manifest("localhost", pin(int), pin(ca("backup"))))
        server(good, int).use { assertEquals("ok", get(trusted, tm, it)) }
        val missed = Pinset.load(manifest("localhost", pin(ca("x")), pin(ca("y"))))
        server(good, int).use { s -> assertTrue(pinFailure(refused { get(missed, tm, s) })) }
    }

    @Test
    fun cve20162402AppendedPinnedCertificateIsRefused() {
        // The genuine intermediate is pinned; a rogue CA (trusted by the platform) issues the
        // server's leaf, and the server appends the genuine intermediate to its chain.
        val genuineRoot = ca("genuine root"); val genuine = intermediate("genuine int", genuineRoot)
        val rogueRoot = ca("rogue root"); val rogueInt = intermediate("rogue int", rogueRoot)
        val tm = platform(genuineRoot, rogueRoot)
        val pinset = Pinset.load(manifest("localhost", pin(genuine), pin(ca("backup"))))
        server(leaf(rogueInt), rogueInt, genuine, genuineRoot).use { s -> assertTrue(pinFailure(refused { get(pinset, tm, s) })) }
        // The same pins accept the genuine chain.
        server(leaf(genuine), genuine).use { assertEquals("ok", get(pinset, tm, it)) }
    }

    @Test
    fun privateCaRuleAndWrongAnchor() {
        val corp = ca("corp root"); val corpInt = intermediate("corp int", corp)
        val public = ca("public root"); val publicInt = intermediate("public int", public)
        val tm = platform(public) // the "system" store knows only the public CA
        val toml = manifest("build.corp.example", pin(corp), pin(public), extra = "trust_anchors = [\"certs/corp.pem\"]")
        val pinset = Pinset.load(toml, mapOf("certs/corp.pem" to pem(corp)))
        // The rule's own CA validates its host, through the Android branch as well.
        server(leaf(corpInt, "build.corp.example"), corpInt).use { s ->
            assertEquals("ok", get(pinset, tm, s, "build.corp.example"))
        }
        // Wrong anchor: a chain to the system CA for the private-only rule is refused.
        server(leaf(publicInt, "build.corp.example"), publicInt).use { s -> refused { get(pinset, tm, s, "build.corp.example") } }
        // The corp CA is not trusted for a host outside its rule.
        server(leaf(corpInt, "www.example.com"), corpInt).use { s -> refused { get(pinset, tm, s, "www.example.com") } }
        // The verdict names the anchor the validated path ended at.
        val path = pinset.trustManager(tm).validatedPath(arrayOf(leaf(corpInt, "build.corp.example").certificate, corpInt.certificate), "ECDHE_ECDSA", "build.corp.example")
        assertEquals("certs/corp.pem", pinset.anchorOf("build.corp.example", path))
    }

    @Test
    fun unsuppliedAnchorFileFailsTheLoad() {
        val toml = manifest("build.corp.example", pin(ca("a")), pin(ca("b")), extra = "trust_anchors = [\"certs/corp.pem\"]")
        try {
            Pinset.load(toml)
            fail("loaded without the anchor file")
        } catch (e: PinsetException.Anchor) {
            assertTrue(e.message!!, e.message!!.contains("certs/corp.pem"))
        }
    }

    /** An app's own trust manager: only the two-argument methods, no Conscrypt hostname-aware one. */
    private class Wrapper(private val inner: X509TrustManager) : X509TrustManager {
        override fun getAcceptedIssuers(): Array<X509Certificate> = inner.acceptedIssuers
        override fun checkClientTrusted(chain: Array<X509Certificate>, authType: String) = inner.checkClientTrusted(chain, authType)
        override fun checkServerTrusted(chain: Array<X509Certificate>, authType: String) = inner.checkServerTrusted(chain, authType)
    }

    @Test
    fun aTrustManagerWithoutTheHostnameAwareMethodFallsBackToAValidatedPath() {
        val genuineRoot = ca("genuine root"); val genuine = intermediate("genuine int", genuineRoot)
        val rogueRoot = ca("rogue root"); val rogueInt = intermediate("rogue int", rogueRoot)
        val tm = Wrapper(platform(genuineRoot, rogueRoot))
        // X509TrustManagerExtensions itself refuses such a trust manager...
        try {
            val cls = Class.forName("android.net.http.X509TrustManagerExtensions")
            cls.getConstructor(X509TrustManager::class.java).newInstance(tm)
            fail("X509TrustManagerExtensions accepted a trust manager without checkServerTrusted(chain, authType, host)")
        } catch (e: java.lang.reflect.InvocationTargetException) {
            assertTrue(e.targetException is IllegalArgumentException)
        }
        // ...so pinset takes the JVM branch over it: still the validated path, CVE shape refused.
        val pinset = Pinset.load(manifest("localhost", pin(genuine), pin(ca("backup"))))
        assertEquals("jvm", pinset.trustManager(tm).validationBranch)
        server(leaf(genuine), genuine).use { assertEquals("ok", get(pinset, tm, it)) }
        server(leaf(rogueInt), rogueInt, genuine).use { s -> assertTrue(pinFailure(refused { get(pinset, tm, s) })) }
        assertNotNull(tm.acceptedIssuers)
    }
}
