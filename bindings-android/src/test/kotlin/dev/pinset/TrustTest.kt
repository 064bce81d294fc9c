package dev.pinset

import dev.pinset.ffi.pinOfCertificate
import java.security.KeyStore
import java.security.cert.X509Certificate
import javax.net.ssl.SSLHandshakeException
import javax.net.ssl.X509TrustManager
import okhttp3.OkHttpClient
import okhttp3.Request
import okhttp3.mockwebserver.MockResponse
import okhttp3.mockwebserver.MockWebServer
import okhttp3.tls.HandshakeCertificates
import okhttp3.tls.HeldCertificate
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Test

/**
 * The JVM branch of `PinsetTrustManager`: per-rule anchors, and the cheap "already a path" check
 * with the PKIX rebuild only when the presented order is not a path (CVE-2016-2402 shapes).
 */
class TrustTest {
    private fun ca(name: String) = HeldCertificate.Builder().certificateAuthority(1).commonName(name).build()
    private fun intermediate(name: String, root: HeldCertificate) = HeldCertificate.Builder().certificateAuthority(0).commonName(name).signedBy(root).build()
    private fun leaf(issuer: HeldCertificate, host: String = "localhost") = HeldCertificate.Builder().commonName(host).addSubjectAlternativeName(host).signedBy(issuer).build()
    private fun pin(c: HeldCertificate) = pinOfCertificate(c.certificate.encoded)
    private fun anchors(vararg c: HeldCertificate) = Anchors(c.map { it.certificate })

    private fun platform(vararg roots: HeldCertificate): X509TrustManager {
        val ks = KeyStore.getInstance(KeyStore.getDefaultType()).apply { load(null, null) }
        roots.forEachIndexed { i, r -> ks.setCertificateEntry("r$i", r.certificate) }
        return defaultTrustManager(ks)
    }

    @Test
    fun thePresentedChainIsTakenWhenItAlreadyIsAPath() {
        val root = ca("root"); val int = intermediate("int", root); val l = leaf(int)
        val path = JvmPath.alreadyAPath(arrayOf(l.certificate, int.certificate), anchors(root))
        assertEquals(listOf(l.certificate, int.certificate, root.certificate), path)
        // Certificates after the anchor are not part of the path.
        val junk = ca("junk")
        val withRoot = JvmPath.alreadyAPath(arrayOf(l.certificate, int.certificate, root.certificate, junk.certificate), anchors(root))
        assertEquals(listOf(l.certificate, int.certificate, root.certificate), withRoot)
    }

    @Test
    fun cve20162402ShapesAreNotAPathAndTheRebuildDropsTheAppendedCertificate() {
        val genuineRoot = ca("genuine root"); val genuine = intermediate("genuine int", genuineRoot)
        val rogueRoot = ca("rogue root"); val rogueInt = intermediate("rogue int", rogueRoot)
        val rogueLeaf = leaf(rogueInt)
        val trusted = anchors(genuineRoot, rogueRoot)
        // Appended pinned intermediate after the rogue one, and in front of it.
        val appended = arrayOf(rogueLeaf.certificate, genuine.certificate, rogueInt.certificate)
        assertNull(JvmPath.alreadyAPath(appended, trusted))
        assertEquals(listOf(rogueLeaf.certificate, rogueInt.certificate, rogueRoot.certificate), JvmPath.of(appended, trusted))
        // An impostor with the genuine intermediate's name but another key does not link.
        val impostor = HeldCertificate.Builder().certificateAuthority(0).commonName("genuine int").signedBy(rogueRoot).build()
        val forged = arrayOf(leaf(impostor).certificate, genuine.certificate)
        assertNull(JvmPath.alreadyAPath(forged, trusted))
        // A leaf is never an issuer: [leaf, leaf2] where leaf2 is not a CA.
        val other = leaf(genuine, "other")
        assertNull(JvmPath.alreadyAPath(arrayOf(leaf(genuine).certificate, other.certificate), trusted))
    }

    private fun server(leaf: HeldCertificate, vararg chain: HeldCertificate): MockWebServer {
        val certs = HandshakeCertificates.Builder().heldCertificate(leaf, *chain.map { it.certificate }.toTypedArray()).build()
        return MockWebServer().apply { useHttps(certs.sslSocketFactory(), false); enqueue(MockResponse().setBody("ok")); start() }
    }

    private fun get(pinset: Pinset, tm: X509TrustManager, server: MockWebServer, host: String): String {
        val client = OkHttpClient.Builder().pinset(pinset, tm)
            .dns(object : okhttp3.Dns { override fun lookup(hostname: String) = listOf(java.net.InetAddress.getLoopbackAddress()) })
            .build()
        val url = server.url("/").newBuilder().host(host).build()
        return client.newCall(Request.Builder().url(url).build()).execute().use { it.body!!.string() }
    }

    @Test
    fun aRulesPrivateCaIsTrustedForItsHostsOnly() {
        val corp = ca("corp root"); val corpInt = intermediate("corp int", corp)
        val public = ca("public root"); val publicInt = intermediate("public int", public)
        val tm = platform(public)
        for ((anchors, publicOk) in listOf("[\"corp.pem\"]" to false, "[\"system\", \"corp.pem\"]" to true)) {
            val toml = "version = 1\n[[domain]]\nname = \"corp.example\"\ninclude_subdomains = true\n" +
                "pins = [\"${pin(corp)}\", \"${pin(public)}\"]\ntrust_anchors = $anchors\n"
            val pinset = Pinset.load(toml, mapOf("corp.pem" to corp.certificatePem().toByteArray()))
            assertEquals("jvm", pinset.trustManager(tm).validationBranch)
            server(leaf(corpInt, "build.corp.example"), corpInt).use { assertEquals("ok", get(pinset, tm, it, "build.corp.example")) }
            server(leaf(publicInt, "build.corp.example"), publicInt).use { s ->
                if (publicOk) assertEquals("ok", get(pinset, tm, s, "build.corp.example"))
                else assertThrows(SSLHandshakeException::class.java) { get(pinset, tm, s, "build.corp.example") }
            }
            server(leaf(corpInt, "www.example.com"), corpInt).use { s ->
                assertThrows(SSLHandshakeException::class.java) { get(pinset, tm, s, "www.example.com") }
            }
            val path: List<X509Certificate> = pinset.trustManager(tm).validatedPath(arrayOf(leaf(corpInt, "build.corp.example").certificate, corpInt.certificate), "ECDHE_ECDSA", "build.corp.example")
            assertEquals("corp.pem", pinset.anchorOf("build.corp.example", path))
        }
    }
}
