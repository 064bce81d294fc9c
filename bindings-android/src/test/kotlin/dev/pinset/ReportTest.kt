package dev.pinset

import dev.pinset.ffi.PinReporter
import dev.pinset.ffi.pinOfCertificate
import java.net.Inet4Address
import java.net.InetAddress
import java.net.NetworkInterface
import java.util.concurrent.CopyOnWriteArrayList
import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit
import javax.net.ssl.SSLHandshakeException
import okhttp3.OkHttpClient
import okhttp3.Request
import okhttp3.mockwebserver.Dispatcher
import okhttp3.mockwebserver.MockResponse
import okhttp3.mockwebserver.MockWebServer
import okhttp3.mockwebserver.RecordedRequest
import okhttp3.tls.HandshakeCertificates
import okhttp3.tls.HeldCertificate
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/**
 * Delivery of reports to the manifest's `report_uris` (the default [UriReporter]) through real
 * OkHttp handshakes that fail their pins, to real HTTP(S) collectors (MockWebServer) on loopback.
 */
class ReportTest {
    private val root = HeldCertificate.Builder().certificateAuthority(0).commonName("root").build()
    private val leaf = HeldCertificate.Builder().commonName("localhost").addSubjectAlternativeName("localhost").signedBy(root).build()
    private val trust = HandshakeCertificates.Builder().addTrustedCertificate(root.certificate).build()
    private fun otherPin() = pinOfCertificate(HeldCertificate.Builder().build().certificate.encoded)

    /** `localhost` pinned to two keys the server does not have; reports to [reportUri]. */
    private fun failingManifest(reportUri: String) =
        "version = 1\n[[domain]]\nname = \"localhost\"\npins = [\"${otherPin()}\", \"${otherPin()}\"]\nreport_uris = [\"$reportUri\"]\n"

    private fun pinnedServer(): MockWebServer {
        val certs = HandshakeCertificates.Builder().heldCertificate(leaf, root.certificate).build()
        return MockWebServer().apply { useHttps(certs.sslSocketFactory(), false); start() }
    }

    private fun collector(address: InetAddress = InetAddress.getByName("127.0.0.1")) =
        MockWebServer().apply { repeat(8) { enqueue(MockResponse().setResponseCode(204)) }; start(address, 0) }

    /** One request through pinset's trust manager (the test CA as the platform's); it must fail its pins. */
    private fun failHandshake(pinset: Pinset, server: MockWebServer) {
        val client = OkHttpClient.Builder().pinset(pinset, trust.trustManager).build()
        val url = server.url("/").newBuilder().host("localhost").build()
        val e = assertThrows(SSLHandshakeException::class.java) { client.newCall(Request.Builder().url(url).build()).execute().close() }
        assertTrue(generateSequence<Throwable>(e) { it.cause }.any { it is PinningException }, "$e")
    }

    private class Collected : PinReporter {
        val reports = CopyOnWriteArrayList<Pair<String, List<String>>>()
        override fun report(json: String, reportUris: List<String>) { reports += json to reportUris }
    }

    private fun awaitTrue(what: String, condition: () -> Boolean) {
        val deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10)
        while (!condition()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting for $what")
            Thread.sleep(10)
        }
    }

    @Test
    fun aPinFailureIsPostedOnceToTheManifestsReportUriByDefault() {
        collector().use { c ->
            pinnedServer().use { s ->
                val pinset = Pinset.load(failingManifest("http://127.0.0.1:${c.port}/pins"))
                assertTrue(pinset.reporter === UriReporter.shared, "the default reporter")
                failHandshake(pinset, s)
                val post = c.takeRequest(10, TimeUnit.SECONDS)
                assertNotNull(post, "no report arrived")
                assertEquals("POST", post!!.method)
                assertEquals("/pins", post.path)
                assertEquals("application/json", post.getHeader("Content-Type"))
                val json = post.body.readUtf8()
                assertTrue(json.contains("\"validation-result\": \"violation\""), json)
                assertTrue(json.contains("\"hostname\": \"localhost\""), json)
                assertTrue(json.contains("\"served-certificate-chain\": [\n    \"-----BEGIN CERTIFICATE-----"), "the served chain, as PEM: $json")
                // The identical failure again: refused again, reported no more (core throttle, 24 h).
                failHandshake(pinset, s)
                failHandshake(pinset, s)
                assertNull(c.takeRequest(1, TimeUnit.SECONDS), "a repeated identical failure was reported again")
                assertEquals(1, c.requestCount)
            }
        }
    }

    @Test
    fun aDisabledReporterSendsNothingAndAReplacedOneGetsTheReport() {
        collector().use { c ->
            pinnedServer().use { s ->
                val uri = "http://127.0.0.1:${c.port}/pins"
                val off = Pinset.load(failingManifest(uri)).apply { reporter = null }
                failHandshake(off, s)
                val mine = Collected()
                val replaced = Pinset.load(failingManifest(uri)).apply { reporter = mine }
                failHandshake(replaced, s)
                assertEquals(1, mine.reports.size)
                assertEquals(listOf(uri), mine.reports[0].second)
                assertTrue(mine.reports[0].first.contains("\"validation-result\": \"violation\""), mine.reports[0].first)
                assertNull(c.takeRequest(2, TimeUnit.SECONDS), "a disabled or replaced default reporter posted")
            }
        }
    }

    @Test
    fun onlyHttpsOrLoopbackHttpWithoutCredentialsIsSent() {
        collector().use { c ->
            val r = UriReporter()
            val refusedUris = listOf(
                "http://192.0.2.1:${c.port}/x", // non-loopback IP literal
                "http://example.invalid:${c.port}/x", // a host name other than localhost
                "http://user:secret@127.0.0.1:${c.port}/x", // credentials, although loopback
                "ftp://127.0.0.1:${c.port}/x",
                "not a uri",
            )
            r.report("{}", refusedUris)
            r.report("{}", listOf("http://127.0.0.1:${c.port}/ok"))
            awaitTrue("the loopback upload") { r.delivered == 1L }
            assertEquals(refusedUris.size.toLong(), r.refused)
            assertEquals(0L, r.failed, "a refused URI must be refused before any connection")
            assertEquals("/ok", c.takeRequest(1, TimeUnit.SECONDS)!!.path)
            assertEquals(1, c.requestCount)
        }
        // A real collector on this machine's non-loopback address (when it has one) gets nothing over http.
        val lan = NetworkInterface.getNetworkInterfaces().toList().filter { it.isUp && !it.isLoopback }
            .flatMap { it.inetAddresses.toList() }.firstOrNull { it is Inet4Address }
        if (lan != null) {
            collector(lan).use { c ->
                val r = UriReporter()
                r.report("{}", listOf("http://${lan.hostAddress}:${c.port}/x"))
                awaitTrue("the refusal") { r.refused == 1L }
                assertNull(c.takeRequest(1, TimeUnit.SECONDS), "plain http to ${lan.hostAddress} was sent")
            }
        }
    }

    @Test
    fun aRedirectIsNotFollowed() {
        collector().use { target ->
            MockWebServer().use { c ->
                c.enqueue(MockResponse().setResponseCode(307).setHeader("Location", "http://127.0.0.1:${target.port}/elsewhere"))
                c.start(InetAddress.getByName("127.0.0.1"), 0)
                val r = UriReporter()
                r.report("{}", listOf("http://127.0.0.1:${c.port}/r"))
                awaitTrue("the redirected upload counted as failed") { r.failed == 1L }
                assertEquals(0L, r.delivered)
                assertNull(target.takeRequest(1, TimeUnit.SECONDS), "the redirect was followed")
            }
        }
    }

    /**
     * The collector IS the pinned host, and its pins fail: the report still arrives over TLS,
     * because the uploader validates with the trust manager it was given (here the test CA stands in
     * for the platform default, which [UriReporter.shared] uses) and never with pinset's pins. This
     * proves the uploader does not go through pinset; it does not exercise a device's system store.
     */
    @Test
    fun aReportAboutAPinnedHostReachesThatHostOverTlsWithPlatformTrust() {
        pinnedServer().use { s ->
            repeat(2) { s.enqueue(MockResponse().setResponseCode(204)) }
            val pinset = Pinset.load(failingManifest("https://localhost:${s.port}/report"))
            pinset.reporter = UriReporter(trust.trustManager)
            failHandshake(pinset, s)
            val post = s.takeRequest(10, TimeUnit.SECONDS)
            assertNotNull(post, "the report to the pinned host did not arrive")
            assertEquals("/report", post!!.path)
            assertNotNull(post.handshake, "sent over TLS")
            assertTrue(post.body.readUtf8().contains("\"noted-hostname\": \"localhost\""))
        }
    }

    @Test
    fun theQueueIsBoundedAndOverflowIsCounted() {
        val release = CountDownLatch(1)
        MockWebServer().use { c ->
            c.dispatcher = object : Dispatcher() {
                override fun dispatch(request: RecordedRequest): MockResponse {
                    release.await(20, TimeUnit.SECONDS)
                    return MockResponse().setResponseCode(204)
                }
            }
            c.start(InetAddress.getByName("127.0.0.1"), 0)
            val r = UriReporter(maxQueued = 4)
            val uri = listOf("http://127.0.0.1:${c.port}/q")
            // The first report goes straight to the upload thread, which then waits on the
            // collector; 4 wait in the queue; the other 95 are dropped at once, without blocking.
            repeat(100) { r.report("{\"n\": $it}", uri) }
            assertEquals(95L, r.dropped)
            release.countDown()
            awaitTrue("the 5 queued uploads") { r.delivered == 5L }
            assertEquals(5, c.requestCount)
        }
    }
}
