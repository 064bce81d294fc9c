import com.sun.jna.NativeLibrary
import dev.pinset.Pinset
import dev.pinset.PinningException
import dev.pinset.ffi.pinOfCertificate
import dev.pinset.pinset
import java.io.File
import javax.net.ssl.SSLHandshakeException
import okhttp3.OkHttp
import okhttp3.OkHttpClient
import okhttp3.Request
import okhttp3.mockwebserver.MockResponse
import okhttp3.mockwebserver.MockWebServer
import okhttp3.tls.HandshakeCertificates
import okhttp3.tls.HeldCertificate
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** The installed dev.pinset:pinset-jvm jar used the way a server-side API client uses it. */
class JarConsumerTest {
    private val root = HeldCertificate.Builder().certificateAuthority(1).commonName("consumer root").build()
    private val intermediate = HeldCertificate.Builder().certificateAuthority(0).commonName("consumer int").signedBy(root).build()

    private fun leaf(issuer: HeldCertificate) =
        HeldCertificate.Builder().commonName("localhost").addSubjectAlternativeName("localhost").signedBy(issuer).build()

    private fun get(pinset: Pinset, leaf: HeldCertificate, issuer: HeldCertificate): String {
        val served = HandshakeCertificates.Builder().heldCertificate(leaf, issuer.certificate).build()
        val trust = HandshakeCertificates.Builder().addTrustedCertificate(root.certificate).build()
        val client = OkHttpClient.Builder().pinset(pinset, trust.trustManager).build()
        return MockWebServer().use { server ->
            server.useHttps(served.sslSocketFactory(), false)
            server.enqueue(MockResponse().setBody("ok"))
            server.start()
            val url = server.url("/").newBuilder().host("localhost").build()
            client.newCall(Request.Builder().url(url).build()).execute().use { it.body!!.string() }
        }
    }

    @Test
    fun theLibraryComesFromTheInstalledJar() {
        assertNull(System.getProperty("jna.library.path"))
        val resource = javaClass.classLoader.getResource("linux-x86-64/libpinset_ffi.so")
        assertEquals("jar", resource?.protocol, "$resource")
        assertTrue(resource!!.path.contains("/dev/pinset/pinset-jvm/0.1.0/pinset-jvm-0.1.0.jar!"), resource.path)
        // Loading it (first use of the API) extracts it from the jar into jna.tmpdir.
        pinOfCertificate(root.certificate.encoded)
        val loaded = NativeLibrary.getInstance("pinset_ffi").file.canonicalFile
        assertEquals(File(System.getProperty("jna.tmpdir")).canonicalFile, loaded.parentFile, "$loaded")
    }

    @Test
    fun okhttpIsTheLanesVersion() {
        assertEquals(System.getProperty("pinset.okhttp.version"), OkHttp.VERSION)
        // Exactly one OkHttp on the class path (not 4.x beside okhttp-jvm 5.x).
        assertEquals(1, javaClass.classLoader.getResources("okhttp3/OkHttpClient.class").toList().size)
    }

    @Test
    fun pinnedClientAcceptsThePinnedServerAndRefusesAnotherKey() {
        val pinset = Pinset.load("version = 1\n[[domain]]\nname = \"localhost\"\npins = [\"${pinOfCertificate(intermediate.certificate.encoded)}\", \"${pinOfCertificate(root.certificate.encoded)}\"]\n")
        assertEquals("ok", get(pinset, leaf(intermediate), intermediate))

        val unpinned = Pinset.load("version = 1\n[[domain]]\nname = \"localhost\"\npins = [\"${pinOfCertificate(HeldCertificate.Builder().build().certificate.encoded)}\", \"${pinOfCertificate(HeldCertificate.Builder().build().certificate.encoded)}\"]\n")
        val e = assertThrows<SSLHandshakeException> { get(unpinned, leaf(intermediate), intermediate) }
        val cause = generateSequence<Throwable>(e) { it.cause }.last()
        assertTrue(cause is PinningException, "$cause")
    }
}
