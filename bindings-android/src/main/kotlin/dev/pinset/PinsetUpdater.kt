package dev.pinset

import dev.pinset.ffi.FetchResult
import dev.pinset.ffi.PinReporter
import dev.pinset.ffi.PinsetException
import dev.pinset.ffi.UpdateFetcher
import dev.pinset.ffi.UpdateOutcome
import dev.pinset.ffi.UpdateOutcomeKind
import dev.pinset.ffi.UpdateStore
import java.io.File
import java.io.IOException
import java.lang.ref.WeakReference
import java.net.InetAddress
import java.net.Socket
import java.util.concurrent.CompletableFuture
import java.util.concurrent.Executor
import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.ThreadPoolExecutor
import java.util.concurrent.TimeUnit
import javax.net.ssl.SSLContext
import javax.net.ssl.SSLSocketFactory
import javax.net.ssl.X509TrustManager
import okhttp3.CacheControl
import okhttp3.ConnectionPool
import okhttp3.OkHttpClient
import okhttp3.Request
import okio.Buffer

/**
 * Signed pin-set updates (TUF, docs/updates.md) for OkHttp apps. The app embeds `root.json` and a
 * baseline manifest; [pinset] is the last known good manifest, available at construction without
 * network. [refresh] runs one cycle on the updater's executor, fetching the repository with the
 * app's [OkHttpClient]; every verified new serial becomes a new [Pinset].
 *
 * ```
 * val updater = PinsetUpdater.Builder(rootJson, baselineToml, "https://updates.example.com/")
 *     .stateDirectory(File(context.noBackupFilesDir, "pinset"))
 *     .build()
 * val client = OkHttpClient.Builder().pinset(updater).build()
 * updater.refresh() // e.g. from WorkManager; the client follows every accepted update
 * ```
 *
 * A client built with [OkHttpClient.Builder.pinset] (the updater overload) always checks the
 * current pins; when an update is accepted its idle pooled connections are closed and it gets a
 * new `SSLContext`, so neither a pooled connection nor a resumed TLS session (TLS 1.3 resumption
 * skips the trust manager) keeps the old pins alive.
 *
 * **The update host must not depend on the pins being rotated**: give the builder a client with
 * system trust (the default, a plain `OkHttpClient()`) or one pinned to the update host by a
 * separate, long-lived pin-set, never a client built with this updater's pins, or an expired pin
 * could block its own fix. TUF authenticates what is fetched; the update host's TLS adds privacy.
 */
class PinsetUpdater private constructor(
    private val core: dev.pinset.ffi.PinsetUpdater,
    private val executor: Executor,
    initialReporter: PinReporter?,
) {
    /** Serialises cycles. */
    private val lock = Any()

    /** Guards [current]'s replacement against a concurrent [reporter] change (never held over I/O). */
    private val swap = Any()

    @Volatile
    private var current: Pinset = Pinset(core.pinset()).apply { reporter = initialReporter }

    /** The clients built with this updater ([OkHttpClient.Builder.pinset]); pruned as they go. */
    private val installs = mutableListOf<WeakReference<UpdatingSocketFactory>>()

    /** The active pins (last known good). Replaced, never changed, by an accepted update. */
    val pinset: Pinset get() = current

    /** The active manifest's `serial` (0 for a baseline without one). */
    val serial: Long get() = core.serial().toLong()

    /** The active manifest's TOML, byte for byte as verified. */
    val manifest: String get() = core.manifest()

    /** Why the stored state was set aside at construction (the baseline is active then), if it was. */
    val recovered: String? get() = core.recovered()

    /**
     * Runs one refresh cycle on the updater's executor. The future completes with the outcome
     * (updated, no change, stale, rejected); it does not complete exceptionally for a failed
     * cycle: a failure is [UpdateOutcomeKind.STALE] and the pins in force stay.
     */
    fun refresh(): CompletableFuture<UpdateOutcome> = CompletableFuture.supplyAsync({ refreshBlocking() }, executor)

    /**
     * Runs one refresh cycle on the calling thread (never the main thread: it does network I/O).
     * Cycles are serialised. On [UpdateOutcomeKind.UPDATED], [pinset] is the new manifest's and
     * every client built with this updater has dropped its idle connections and TLS sessions.
     * A rejected cycle is reported to the [reporter] (JSON, `update-rejected`, no `report_uris`).
     */
    fun refreshBlocking(): UpdateOutcome = synchronized(lock) {
        val outcome = core.refresh(System.currentTimeMillis() / 1000)
        if (outcome.kind == UpdateOutcomeKind.UPDATED) {
            val next = Pinset(core.pinset())
            // The new pins report where the old ones did, including a reporter set during the cycle.
            synchronized(swap) {
                next.reporter = current.reporter
                current = next
            }
            // Pins first: a handshake from here on is checked against the new ones; then the
            // state a handshake would skip the trust manager with.
            for (install in installs()) install.forgetConnections()
        }
        outcome
    }

    /**
     * Where the reports of the active pins go (violations, report-only, expiry: see
     * [Pinset.reporter]) and those of rejected updates (`update-rejected`, once a day per
     * repository and reason; no rule, so no `report_uris`: [UriReporter] uploads none of them).
     * [UriReporter.shared] unless [Builder.reporter] said otherwise; null turns reporting off. It
     * stays in place across accepted updates: every new [pinset] gets the reporter of the one it
     * replaces. Setting it here, rather than on [pinset], cannot race that replacement.
     */
    var reporter: PinReporter?
        get() = current.reporter
        set(value) = synchronized(swap) { current.reporter = value }

    internal fun register(install: UpdatingSocketFactory) = synchronized(installs) {
        installs.removeAll { it.get() == null }
        installs += WeakReference(install)
    }

    private fun installs(): List<UpdatingSocketFactory> = synchronized(installs) { installs.mapNotNull { it.get() } }

    /**
     * Builds a [PinsetUpdater]: [rootJson] is the embedded `root.json` (version 1 or later),
     * [baseline] the manifest shipped in the app (the pins before any update and the floor an
     * update can never go below), [repository] the base URL holding `metadata/` and `targets/`.
     */
    class Builder(private val rootJson: ByteArray, private val baseline: String, private val repository: String) {
        private var stateDirectory: File? = null
        private var store: UpdateStore? = null
        private var client: OkHttpClient? = null
        private var executor: Executor? = null
        private var target: String? = null
        private var anchors: Map<String, ByteArray> = emptyMap()
        private var reporter: PinReporter? = UriReporter.shared

        /** Keeps the state in [dir] (`state.json`, written atomically, and `manifest.toml`). */
        fun stateDirectory(dir: File) = apply { stateDirectory = dir; store = null }

        /** Keeps the state (one opaque document) in the app's own [store] instead of a directory. */
        fun store(store: UpdateStore) = apply { this.store = store; stateDirectory = null }

        /**
         * The client that fetches the repository: unpinned (system trust) or pinned to the update
         * host by a separate pin-set, never by this updater's pins. Default: `OkHttpClient()`.
         * A client without a call timeout gets one of 30 s per fetch.
         */
        fun client(client: OkHttpClient) = apply { this.client = client }

        /** Where [refresh] runs. Default: one daemon thread, ended after a minute idle. */
        fun executor(executor: Executor) = apply { this.executor = executor }

        /** The TUF target name of the manifest. Default: `pinset/manifest.toml`. */
        fun target(name: String) = apply { target = name }

        /** The trust-anchor files the manifests may name, keyed by path as written (see [Pinset.load]). */
        fun anchors(anchors: Map<String, ByteArray>) = apply { this.anchors = anchors }

        /** Where reports go (see [PinsetUpdater.reporter]). Default: [UriReporter.shared]; null: none. */
        fun reporter(reporter: PinReporter?) = apply { this.reporter = reporter }

        /**
         * Reads the stored state (no network). Throws [PinsetException] when [rootJson] or
         * [baseline] is invalid or no state was configured; a stored state that fails
         * verification is set aside and the baseline used ([recovered] says why).
         */
        @Throws(PinsetException::class)
        fun build(): PinsetUpdater {
            val fetcher = OkHttpFetcher(client ?: OkHttpClient())
            val dir = stateDirectory
            val s = store
            val core = when {
                s != null -> dev.pinset.ffi.PinsetUpdater.withStore(rootJson, baseline, repository, target, anchors, fetcher, s)
                dir != null -> dev.pinset.ffi.PinsetUpdater.withDirectory(rootJson, baseline, repository, target, anchors, fetcher, dir.path)
                else -> throw PinsetException.Update("no state: call stateDirectory(dir) or store(store)")
            }
            return PinsetUpdater(core, executor ?: defaultExecutor(), reporter)
        }

        private fun defaultExecutor(): Executor =
            ThreadPoolExecutor(1, 1, 60, TimeUnit.SECONDS, LinkedBlockingQueue()) { r ->
                Thread(r, "pinset-updater").apply { isDaemon = true }
            }.apply { allowCoreThreadTimeOut(true) }
    }
}

/**
 * Installs pins that follow [updater] on an OkHttp client: a trust manager that reads the
 * updater's current pins at every handshake (after [platform] validation), and, on every
 * accepted update, a new `SSLContext` (no TLS session of the old pins is resumed) and the
 * eviction of [connectionPool]'s idle connections. This sets the client's connection pool
 * (default: a new one; pass the app's to share it), so call it after any `connectionPool(…)`.
 * OkHttp's `evictAll` closes idle connections only: a connection carrying a call at the moment of
 * the update keeps the handshake it made under the old pins until it closes.
 */
fun OkHttpClient.Builder.pinset(
    updater: PinsetUpdater,
    platform: X509TrustManager = defaultTrustManager(),
    connectionPool: ConnectionPool = ConnectionPool(),
): OkHttpClient.Builder {
    val tm = PinsetTrustManager({ updater.pinset }, platform)
    val factory = UpdatingSocketFactory(tm, connectionPool)
    updater.register(factory)
    return connectionPool(connectionPool).sslSocketFactory(factory, tm)
}

/**
 * The socket factory of a client built with [pinset] (the updater overload): sockets come from
 * the current `SSLContext`, which [forgetConnections] replaces. A new context has an empty client
 * session cache, so the next handshake is a full one through the trust manager. (Invalidating
 * the old context's sessions one by one is not relied on: what `SSLSession.invalidate()` does to
 * a cached client session is the provider's, JDK or Conscrypt, to decide.)
 */
internal class UpdatingSocketFactory(private val tm: X509TrustManager, private val pool: ConnectionPool) : SSLSocketFactory() {
    @Volatile
    private var context: SSLContext = newContext()

    private fun newContext(): SSLContext = SSLContext.getInstance("TLS").apply { init(null, arrayOf(tm), null) }

    private val delegate: SSLSocketFactory get() = context.socketFactory

    /** Called after the pins changed: new TLS sessions only, idle pooled connections closed. */
    fun forgetConnections() {
        context = newContext()
        pool.evictAll()
    }

    override fun getDefaultCipherSuites(): Array<String> = delegate.defaultCipherSuites
    override fun getSupportedCipherSuites(): Array<String> = delegate.supportedCipherSuites
    override fun createSocket(): Socket = delegate.createSocket()
    override fun createSocket(s: Socket, host: String, port: Int, autoClose: Boolean): Socket = delegate.createSocket(s, host, port, autoClose)
    override fun createSocket(host: String, port: Int): Socket = delegate.createSocket(host, port)
    override fun createSocket(host: String, port: Int, localHost: InetAddress, localPort: Int): Socket = delegate.createSocket(host, port, localHost, localPort)
    override fun createSocket(host: InetAddress, port: Int): Socket = delegate.createSocket(host, port)
    override fun createSocket(address: InetAddress, port: Int, localAddress: InetAddress, localPort: Int): Socket =
        delegate.createSocket(address, port, localAddress, localPort)
}

/**
 * The updater's transport: one GET per URL with the app's client, bypassing the HTTP cache. At
 * most `maxLen + 1` bytes are read (a longer body is rejected by the core as too long); 404 and
 * 403 are "not found" (the end of the root chain), any other status and every [IOException]
 * "failed" (the cycle is then stale).
 */
internal class OkHttpFetcher(client: OkHttpClient) : UpdateFetcher {
    private val client = if (client.callTimeoutMillis == 0) client.newBuilder().callTimeout(30, TimeUnit.SECONDS).build() else client

    override fun fetch(url: String, maxLen: ULong): FetchResult {
        // Signed arithmetic only (no ULong comparison: Kotlin compiles it to Long.compareUnsigned,
        // API 26). A bound above Long.MAX_VALUE is as good as none.
        val limit = maxLen.toLong().let { if (it < 0 || it == Long.MAX_VALUE) Long.MAX_VALUE else it + 1 }
        val request = try {
            Request.Builder().url(url).cacheControl(CacheControl.FORCE_NETWORK).build()
        } catch (e: IllegalArgumentException) {
            return FetchResult.Failed("bad URL $url: ${e.message}")
        }
        return try {
            client.newCall(request).execute().use { response ->
                when {
                    response.code == 404 || response.code == 403 -> FetchResult.NotFound
                    !response.isSuccessful -> FetchResult.Failed("HTTP ${response.code} for $url")
                    else -> {
                        val source = response.body!!.source()
                        val buffer = Buffer()
                        while (buffer.size < limit) {
                            if (source.read(buffer, limit - buffer.size) == -1L) break
                        }
                        FetchResult.Bytes(buffer.readByteArray())
                    }
                }
            }
        } catch (e: IOException) {
            FetchResult.Failed("$url: $e")
        }
    }
}
