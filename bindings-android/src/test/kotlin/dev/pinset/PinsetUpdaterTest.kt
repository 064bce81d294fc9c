package dev.pinset

import dev.pinset.ffi.FetchResult
import dev.pinset.ffi.PinReporter
import dev.pinset.ffi.PinsetException
import dev.pinset.ffi.UpdateOutcomeKind
import dev.pinset.ffi.pinOfCertificate
import java.io.File
import java.nio.file.Files
import java.util.concurrent.CopyOnWriteArrayList
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
import okio.Buffer
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotSame
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertSame
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/**
 * `PinsetUpdater` end to end: a real TUF repository made at test time by the `pinset` CLI
 * (`update init` / `update publish`, keys from `openssl genpkey`), served over HTTP on 127.0.0.1
 * by MockWebServer, and pinned TLS MockWebServers (okhttp-tls certificates) that the client built
 * with the updater connects to before and after an update.
 */
class PinsetUpdaterTest {
    private val tmp: File = Files.createTempDirectory("pinset-updater").toFile()
    private val keys = File(tmp, "keys").apply { mkdirs() }
    private val repo = File(tmp, "repo")
    private val state = File(tmp, "state")
    private val servers = mutableListOf<MockWebServer>()

    @AfterEach
    fun cleanUp() {
        servers.forEach { runCatching { it.shutdown() } }
        tmp.deleteRecursively()
    }

    private fun run(vararg cmd: String): String {
        val p = ProcessBuilder(*cmd).redirectErrorStream(true).start()
        val out = p.inputStream.bufferedReader().readText()
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "timed out: ${cmd.toList()}")
        assertEquals(0, p.exitValue(), "${cmd.toList()}: $out")
        return out
    }

    private val cli: String = System.getProperty("pinset.cli").also {
        assertTrue(File(it).canExecute(), "pinset.cli=$it must be the pinset CLI (test.sh builds it)")
    }

    private fun genkey(name: String): String {
        val f = File(keys, "$name.pem")
        run("openssl", "genpkey", "-algorithm", "ed25519", "-out", f.path)
        return f.path
    }

    private fun initRepository() {
        run(cli, "update", "init", "--repository", repo.path, "--root-key", genkey("root"), "--targets-key", genkey("targets"),
            "--snapshot-key", genkey("snapshot"), "--timestamp-key", genkey("timestamp"))
    }

    private fun publish(manifest: String) {
        val f = File(tmp, "publish.toml").apply { writeText(manifest) }
        run(cli, "update", "publish", "--keys", keys.path, "--repository", repo.path, f.path)
    }

    private fun manifest(serial: Int, vararg pins: String) =
        "version = 1\nserial = $serial\n\n[[domain]]\nname = \"localhost\"\npins = [${pins.joinToString { "\"$it\"" }}]\n"

    /** The repository directory over HTTP on 127.0.0.1 (404 for a missing file); paths requested are logged. */
    private fun repositoryServer(log: MutableList<String>): MockWebServer = MockWebServer().apply {
        dispatcher = object : Dispatcher() {
            override fun dispatch(request: RecordedRequest): MockResponse {
                val path = request.requestUrl!!.encodedPath.removePrefix("/")
                log += path
                val f = File(repo, path)
                if (path.contains("..") || !f.isFile) return MockResponse().setResponseCode(404)
                return MockResponse().setBody(Buffer().write(f.readBytes()))
            }
        }
        start()
        servers += this
    }

    private fun ca(name: String) = HeldCertificate.Builder().certificateAuthority(0).commonName(name).build()
    private fun leaf(issuer: HeldCertificate) = HeldCertificate.Builder().commonName("localhost").addSubjectAlternativeName("localhost").signedBy(issuer).build()
    private fun pin(c: HeldCertificate) = pinOfCertificate(c.certificate.encoded)

    /** A TLS server for `localhost` presenting [leaf]; every request gets "ok". */
    private fun tlsServer(leaf: HeldCertificate, issuer: HeldCertificate): MockWebServer = MockWebServer().apply {
        useHttps(HandshakeCertificates.Builder().heldCertificate(leaf, issuer.certificate).build().sslSocketFactory(), false)
        dispatcher = object : Dispatcher() {
            override fun dispatch(request: RecordedRequest) = MockResponse().setBody("ok")
        }
        start()
        servers += this
    }

    private fun get(client: OkHttpClient, server: MockWebServer): String =
        client.newCall(Request.Builder().url(server.url("/").newBuilder().host("localhost").build()).build()).execute().use { it.body!!.string() }

    private fun assertRefused(client: OkHttpClient, server: MockWebServer, what: String) {
        val e = assertThrows(SSLHandshakeException::class.java, { get(client, server) }, what)
        val cause = generateSequence<Throwable>(e) { it.cause }.last()
        assertTrue(cause is PinningException, "$what: $cause")
    }

    private fun updater(repository: String, root: ByteArray, baseline: String) =
        PinsetUpdater.Builder(root, baseline, repository).stateDirectory(state).build()

    @Test
    fun updatesApplyToPooledAndResumedConnectionsAndEveryOtherOutcomeKeepsThePins() {
        initRepository()
        val root = File(repo, "metadata/1.root.json").readBytes()
        val ca = ca("ca"); val keyA = leaf(ca); val keyB = leaf(ca); val backup = pin(ca("backup"))
        val log = CopyOnWriteArrayList<String>()
        val repository = repositoryServer(log)
        val repositoryUrl = repository.url("/").toString()
        val serverA = tlsServer(keyA, ca); val serverB = tlsServer(keyB, ca)
        val platform = HandshakeCertificates.Builder().addTrustedCertificate(ca.certificate).build().trustManager

        val updater = updater(repositoryUrl, root, manifest(1, pin(keyA), backup))
        assertEquals(1L, updater.serial)
        assertTrue(log.isEmpty(), "no network at construction: $log")
        // The default reporter is installed on the first pins; the app's replaces it.
        assertSame(UriReporter.shared, updater.reporter)
        assertSame(UriReporter.shared, updater.pinset.reporter)
        val reports = CopyOnWriteArrayList<String>()
        val reporter = object : PinReporter {
            override fun report(json: String, reportUris: List<String>) {
                reports += json
            }
        }
        updater.reporter = reporter
        assertSame(reporter, updater.pinset.reporter)
        val client = OkHttpClient.Builder().pinset(updater, platform).build()
        assertEquals("ok", get(client, serverA))
        // A's verdict is remembered by the serial-1 Pinset (the trust manager's verdict cache).
        val tm = client.x509TrustManager as PinsetTrustManager
        assertEquals(1, tm.rememberedVerdicts, "A's trusted verdict is cached")
        assertRefused(client, serverB, "key B before the update")
        assertEquals(1, client.connectionPool.idleConnectionCount(), "the connection to A is pooled")

        // Nothing published yet: stale (404 on timestamp.json), the pins stay.
        val first = updater.pinset
        assertEquals(UpdateOutcomeKind.STALE, updater.refresh().get(30, TimeUnit.SECONDS).kind)
        assertSame(first, updater.pinset)

        // Updated: serial 2 pins key B. The pooled connection to A, and a new connection that would
        // resume A's TLS session, are both refused; B is accepted.
        publish(manifest(2, pin(keyB), backup))
        val updated = updater.refresh().get(30, TimeUnit.SECONDS)
        assertEquals(UpdateOutcomeKind.UPDATED, updated.kind, updated.message)
        assertEquals(2L, updated.serial.toLong())
        assertEquals(2L, updater.serial)
        assertNotSame(first, updater.pinset)
        assertEquals(manifest(2, pin(keyB), backup), updater.manifest)
        assertEquals(manifest(2, pin(keyB), backup), File(state, "manifest.toml").readText())
        // The new pins carry the app's reporter, and report to it.
        assertSame(reporter, updater.pinset.reporter)
        assertSame(reporter, updater.reporter)
        val reportsBefore = reports.size
        // The new Pinset starts without verdicts: A's, cached under serial 1, does not answer.
        assertEquals(0, tm.rememberedVerdicts, "the updated Pinset has no verdict of the old pins")
        assertRefused(client, serverA, "key A after the update")
        assertEquals(reportsBefore + 1, reports.size, "the refusal under serial 2 is reported: $reports")
        assertEquals("ok", get(client, serverB))
        // A client derived from it shares the pool and the socket factory: it follows too.
        assertRefused(client.newBuilder().build(), serverA, "key A from a derived client")

        // No change: same object, same pins.
        val second = updater.pinset
        assertEquals(UpdateOutcomeKind.NO_CHANGE, updater.refreshBlocking().kind)
        assertSame(second, updater.pinset)
        // The refused handshakes were reported (pin violations), nothing else yet.
        assertTrue(reports.isNotEmpty() && reports.all { it.contains("\"validation-result\": \"violation\"") }, "$reports")
        val rejections = { reports.filter { Regex("\"validation-result\":\\s*\"update-rejected\"").containsMatchIn(it) } }

        // Rejected: serial 3 published, then its target file tampered with (same length). The
        // stored state stays byte-identical, one update-rejected report, serial 2 stays.
        publish(manifest(3, pin(keyA), backup))
        val target = File(repo, "targets/pinset").listFiles()!!.single { it.readText().contains("serial = 3") }
        target.writeText(target.readText().replace("serial = 3", "serial = 4"))
        val stateBefore = File(state, "state.json").readBytes()
        val rejected = updater.refreshBlocking()
        assertEquals(UpdateOutcomeKind.REJECTED, rejected.kind, rejected.message)
        assertEquals("hash", rejected.reason)
        assertArrayEquals(stateBefore, File(state, "state.json").readBytes())
        assertSame(second, updater.pinset)
        assertEquals(1, rejections().size, "$reports")
        assertTrue(Regex("\"reason\":\\s*\"hash\"").containsMatchIn(rejections()[0]), rejections()[0])
        assertEquals(UpdateOutcomeKind.REJECTED, updater.refreshBlocking().kind)
        assertEquals(1, rejections().size, "the same rejection is reported once a day: $reports")
        assertRefused(client, serverA, "key A after the rejected update")

        // Stale: the repository is down; the pins stay.
        repository.shutdown()
        val stale = updater.refresh().get(30, TimeUnit.SECONDS)
        assertEquals(UpdateOutcomeKind.STALE, stale.kind, stale.message)
        assertEquals("offline", stale.reason)
        assertEquals(2L, stale.serial.toLong())
        assertSame(second, updater.pinset)
        assertArrayEquals(stateBefore, File(state, "state.json").readBytes())

        // A new updater (the next launch) over the same state: serial 2 without network.
        val fetchesBefore = log.size
        val next = updater(repositoryUrl, root, manifest(1, pin(keyA), backup))
        assertEquals(2L, next.serial)
        assertSame(UriReporter.shared, next.reporter)
        val silent = PinsetUpdater.Builder(root, manifest(1, pin(keyA), backup), repositoryUrl).stateDirectory(state).reporter(null).build()
        assertNull(silent.reporter)
        assertNull(silent.pinset.reporter)
        assertEquals(fetchesBefore, log.size)
        val chainA = listOf(keyA.certificate, ca.certificate); val chainB = listOf(keyB.certificate, ca.certificate)
        assertTrue(next.pinset.check("localhost", chainB).allowed)
        assertTrue(!next.pinset.check("localhost", chainA).allowed)
    }

    @Test
    fun theFetcherReadsAtMostMaxLenPlusOneAndMapsStatuses() {
        val server = MockWebServer().apply {
            dispatcher = object : Dispatcher() {
                override fun dispatch(request: RecordedRequest): MockResponse = when (request.requestUrl!!.encodedPath) {
                    "/big" -> MockResponse().setBody("x".repeat(100_000))
                    "/small" -> MockResponse().setBody("abc")
                    "/403" -> MockResponse().setResponseCode(403)
                    "/500" -> MockResponse().setResponseCode(500)
                    else -> MockResponse().setResponseCode(404)
                }
            }
            start()
            servers += this
        }
        val fetcher = OkHttpFetcher(OkHttpClient())
        val big = fetcher.fetch(server.url("/big").toString(), 10u)
        assertEquals(11, (big as FetchResult.Bytes).body.size, "maxLen + 1 bytes, so the core sees it is too long")
        assertArrayEquals("abc".toByteArray(), (fetcher.fetch(server.url("/small").toString(), 10u) as FetchResult.Bytes).body)
        assertArrayEquals("abc".toByteArray(), (fetcher.fetch(server.url("/small").toString(), ULong.MAX_VALUE) as FetchResult.Bytes).body)
        assertEquals(FetchResult.NotFound, fetcher.fetch(server.url("/missing").toString(), 10u))
        assertEquals(FetchResult.NotFound, fetcher.fetch(server.url("/403").toString(), 10u))
        assertTrue(fetcher.fetch(server.url("/500").toString(), 10u) is FetchResult.Failed)
        val down = server.url("/small").toString()
        server.shutdown()
        assertTrue(fetcher.fetch(down, 10u) is FetchResult.Failed)
        assertTrue(fetcher.fetch("not a url", 10u) is FetchResult.Failed)
    }

    @Test
    fun anInvalidRootOrNoStateIsAPinsetException() {
        initRepository()
        val root = File(repo, "metadata/1.root.json").readText()
        val baseline = manifest(1, pin(ca("a")), pin(ca("b")))
        val tampered = root.replace("\"version\": 1", "\"version\": 2").toByteArray()
        for ((what, bytes) in listOf("tampered" to tampered, "not JSON" to "root".toByteArray())) {
            val e = assertThrows(PinsetException::class.java, { PinsetUpdater.Builder(bytes, baseline, "http://127.0.0.1:1/").stateDirectory(state).build() }, what)
            assertTrue(e is PinsetException.Update, "$what: $e")
        }
        val e = assertThrows(PinsetException::class.java) { PinsetUpdater.Builder(root.toByteArray(), baseline, "http://127.0.0.1:1/").build() }
        assertTrue(e is PinsetException.Update, "$e")
    }
}
