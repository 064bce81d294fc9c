package dev.pinset

import dev.pinset.ffi.PinReporter
import java.net.InetAddress
import java.net.Proxy
import java.net.UnknownHostException
import java.util.concurrent.ArrayBlockingQueue
import java.util.concurrent.ThreadPoolExecutor
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicLong
import javax.net.ssl.SSLContext
import javax.net.ssl.X509TrustManager
import okhttp3.Dns
import okhttp3.HttpUrl
import okhttp3.HttpUrl.Companion.toHttpUrlOrNull
import okhttp3.MediaType.Companion.toMediaType
import okhttp3.OkHttpClient
import okhttp3.Request
import okhttp3.RequestBody.Companion.toRequestBody

/**
 * The default [PinReporter] of the Kotlin SDK ([Pinset.load] installs [UriReporter.shared]): POSTs
 * each report's JSON (`Content-Type: application/json`) to the manifest's `report_uris` of the
 * rule that decided, as TrustKit does.
 *
 * - Rate-limited before it gets here: the Rust core hands over a report at most once per 24 h per
 *   host, port, rule, outcome and path pins.
 * - Off the handshake thread: [report] only queues; one background thread (daemon, ended when idle)
 *   uploads. At most [maxQueued] reports wait; more are dropped and counted in [dropped].
 * - System trust: the upload validates with [trustManager], the platform's default trust manager
 *   unless one is given, never with pinset's pins, so a pin failure of the reported host cannot
 *   block its own report. (On Android the platform trust manager applies the app's Network
 *   Security Config: pins the app also declares there for the collector's host do apply.)
 * - `https://` only, except plain `http://` to `localhost` (which must resolve to loopback) or a
 *   loopback IP literal, never through a proxy; the manifest's rule for `report_uris`. A URI with
 *   credentials (`user@`) is refused; redirects are not followed.
 */
class UriReporter @JvmOverloads constructor(
    /** Trust for the upload's TLS; null: the platform's default (system CAs), loaded at the first upload. */
    private val trustManager: X509TrustManager? = null,
    /** Reports that may wait for upload; more are dropped. */
    val maxQueued: Int = MAX_QUEUED,
) : PinReporter {
    companion object {
        /** Reports that may wait for upload by default. */
        const val MAX_QUEUED: Int = 64

        /** The process-wide default reporter, with the platform's default trust. */
        @JvmStatic
        val shared: UriReporter by lazy { UriReporter() }

        private val JSON = "application/json".toMediaType()
        private val DOTTED_QUAD = Regex("^[0-9]{1,3}(\\.[0-9]{1,3}){3}$")
    }

    private val droppedCount = AtomicLong()
    private val deliveredCount = AtomicLong()
    private val failedCount = AtomicLong()
    private val refusedCount = AtomicLong()

    /** Reports dropped because [maxQueued] were already waiting. */
    val dropped: Long get() = droppedCount.get()

    /** Uploads answered with a 2xx status. */
    val delivered: Long get() = deliveredCount.get()

    /** Uploads that failed (connection, TLS, timeout, a status other than 2xx). */
    val failed: Long get() = failedCount.get()

    /** Report URIs refused without a connection (not https, non-loopback http, credentials). */
    val refused: Long get() = refusedCount.get()

    private val executor = ThreadPoolExecutor(
        1, 1, 30, TimeUnit.SECONDS, ArrayBlockingQueue(maxQueued.coerceAtLeast(1)),
        { r -> Thread(r, "pinset-reports").apply { isDaemon = true } },
        { _, _ -> droppedCount.incrementAndGet() },
    ).apply { allowCoreThreadTimeOut(true) }

    /** Built on the upload thread at the first upload (loading the system trust store costs time). */
    private val https: OkHttpClient by lazy {
        val b = OkHttpClient.Builder()
            .connectTimeout(10, TimeUnit.SECONDS).readTimeout(10, TimeUnit.SECONDS)
            .writeTimeout(10, TimeUnit.SECONDS).callTimeout(30, TimeUnit.SECONDS)
            .followRedirects(false).followSslRedirects(false)
        trustManager?.let { tm ->
            val ctx = SSLContext.getInstance("TLS").apply { init(null, arrayOf(tm), null) }
            b.sslSocketFactory(ctx.socketFactory, tm)
        }
        b.build()
    }

    /** Plain http: loopback addresses only, no proxy. */
    private val loopback: OkHttpClient by lazy {
        https.newBuilder().proxy(Proxy.NO_PROXY).dns(object : Dns {
            override fun lookup(hostname: String): List<InetAddress> =
                Dns.SYSTEM.lookup(hostname).filter { it.isLoopbackAddress }
                    .ifEmpty { throw UnknownHostException("$hostname: http:// reports go to loopback only") }
        }).build()
    }

    /** Queues [json] for upload to each of [reportUris]; never blocks, never throws. */
    override fun report(json: String, reportUris: List<String>) {
        if (reportUris.isEmpty()) return
        executor.execute { for (uri in reportUris) upload(uri, json) }
    }

    private fun upload(uri: String, json: String) {
        val url = uri.toHttpUrlOrNull()
        val client = when {
            url == null || url.username.isNotEmpty() || url.password.isNotEmpty() -> null
            url.isHttps -> https
            isLoopback(url) -> loopback
            else -> null
        }
        if (url == null || client == null) {
            refusedCount.incrementAndGet()
            return
        }
        val request = Request.Builder().url(url).header("User-Agent", "pinset-report").post(json.toByteArray().toRequestBody(JSON)).build()
        try {
            client.newCall(request).execute().use { (if (it.isSuccessful) deliveredCount else failedCount).incrementAndGet() }
        } catch (e: Exception) {
            failedCount.incrementAndGet()
        }
    }

    private fun isLoopback(url: HttpUrl): Boolean {
        val host = url.host
        return when {
            host == "localhost" -> true
            // An IP literal: no DNS lookup.
            host.contains(':') || DOTTED_QUAD.matches(host) -> runCatching { InetAddress.getByName(host).isLoopbackAddress }.getOrDefault(false)
            else -> false
        }
    }
}
