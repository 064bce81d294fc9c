package dev.pinset

import dev.pinset.ffi.HeaderField
import dev.pinset.ffi.HttpRequest
import dev.pinset.ffi.PinVerdict
import dev.pinset.ffi.PinReporter
import dev.pinset.ffi.RequestSigner
import dev.pinset.ffi.SignOptions
import dev.pinset.ffi.signRequestWithSigner
import java.security.KeyStore
import java.util.concurrent.ConcurrentHashMap
import java.security.cert.CertificateException
import java.security.cert.X509Certificate
import javax.net.ssl.SSLContext
import javax.net.ssl.TrustManagerFactory
import javax.net.ssl.X509TrustManager
import okhttp3.Interceptor
import okhttp3.OkHttpClient
import okhttp3.Response
import okio.Buffer

/** Entry point: `Pinset.load(manifestToml)`. Every security decision is made by the Rust core. */
class Pinset internal constructor(internal val core: dev.pinset.ffi.Pinset) {
    /** Refers to [core] for the JNA fast path without keeping it alive (see FastPath). */
    internal val fastHandle: Long = core.fastPathHandle().toLong()

    companion object {
        /**
         * Loads a pin manifest (the same `pins.toml` the CLI checks and generates from) with the bytes
         * (PEM or DER) of its trust-anchor files, keyed by the path exactly as the manifest writes it
         * (e.g. read from Android assets). A rule whose anchor file is not supplied fails the load.
         * Reports go to the manifest's `report_uris` ([UriReporter.shared]) until [reporter] is changed.
         */
        @JvmStatic
        @JvmOverloads
        fun load(manifestToml: String, anchors: Map<String, ByteArray> = emptyMap()): Pinset =
            Pinset(dev.pinset.ffi.Pinset.fromTomlWithAnchors(manifestToml, anchors)).apply { reporter = UriReporter.shared }
    }

    private val trustCache = ConcurrentHashMap<String, HostTrust>()

    /** The trust manager over each rule's own anchors, by rule name (see [PinsetTrustManager]). */
    internal val ruleValidators = ConcurrentHashMap<String, PathValidator>()

    /** Trusted pin verdicts of this Pinset's pins (see [VerdictCache]); a new Pinset starts empty. */
    internal val verdicts = VerdictCache()

    /** The anchors [host]'s rule validates against; null when it uses the platform's (cached per host). */
    internal fun ruleTrust(host: String): HostTrust? {
        trustCache[host]?.let { return it.takeIf { t -> t.own } }
        val t = core.ruleTrust(host)?.let { r -> HostTrust(true, r.rule, r.system, r.anchors.map { it.der }) } ?: HostTrust.DEFAULTS
        if (trustCache.size >= 1024) trustCache.clear()
        trustCache[host] = t
        return t.takeIf { it.own }
    }

    /** Which manifest anchor (file path, or `system`) the validated [path] of [host] ends at. */
    fun anchorOf(host: String, path: List<X509Certificate>): String? = core.anchorOf(host, path.map { it.encoded })

    /**
     * Where reports go: RFC 7469-style JSON (violations, report-only, expiry) with the rule's
     * `report_uris`, at most once per 24 h per host, port, rule, outcome and path pins (decided in
     * Rust), called on the handshake thread (queue, do not block). [UriReporter.shared] after
     * [load]; another [PinReporter] replaces it, null turns reporting off.
     */
    @Volatile
    var reporter: PinReporter? = null
        set(value) {
            core.setReporter(value)
            field = value
        }

    /** Applies the pins to a **validated** chain (leaf first, trust anchor last): the full verdict. */
    fun check(host: String, validatedChain: List<X509Certificate>, port: Int? = null): PinVerdict =
        core.evaluate(host, validatedChain.map { it.encoded }, System.currentTimeMillis() / 1000, port?.toUShort())

    /**
     * Like OkHttp's `CertificatePinner.check`: returns when the connection may proceed, throws
     * [PinningException] (with the verdict listing the chain's pins) when it may not. The hot path
     * builds no strings; report-only and expired outcomes are reported and proceed.
     */
    @Throws(PinningException::class)
    fun enforce(host: String, validatedChain: List<X509Certificate>, port: Int? = null) {
        enforceAt(host, validatedChain, System.currentTimeMillis() / 1000, port)
    }

    /**
     * [enforce] at [now] (Unix seconds). True only when the fast path answered "trusted": a pin
     * matched, nothing was reported, and the answer holds for the rest of the UTC day (the one
     * outcome `VerdictCache` may remember); false for every other outcome that proceeds.
     */
    @Throws(PinningException::class)
    internal fun enforceAt(host: String, validatedChain: List<X509Certificate>, now: Long, port: Int?): Boolean {
        when (FastPath.decide(fastHandle, host, validatedChain, now, port)) {
            FastPath.TRUSTED -> return true
            FastPath.PROCEED -> return false
        }
        FastPath.refusal(fastHandle, host, validatedChain, now, port)?.let { throw PinningException(it) }
        val verdict = core.enforce(host, validatedChain.map { it.encoded }, now, port?.toUShort())
        if (verdict != null && !verdict.allowed) throw PinningException(verdict)
        return false
    }

    /** Whether a manifest rule covers [host] (after normalisation: case, trailing dot, IDN). */
    fun isPinned(host: String): Boolean = core.isPinned(host)

    /** A trust manager that runs [platform] validation first, then the pins on the validated path. */
    fun trustManager(platform: X509TrustManager = defaultTrustManager()): PinsetTrustManager = PinsetTrustManager(this, platform)
}

/** The platform's default trust manager (system CAs). */
fun defaultTrustManager(keyStore: KeyStore? = null): X509TrustManager {
    val tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm())
    tmf.init(keyStore)
    return tmf.trustManagers.filterIsInstance<X509TrustManager>().first()
}

/** A host's rule's anchors: [own] false means the platform's defaults. */
internal class HostTrust(val own: Boolean, val rule: String, val system: Boolean, val anchors: List<ByteArray>) {
    companion object {
        val DEFAULTS = HostTrust(false, "", true, emptyList())
    }
}

/** Thrown when pinning rejects a server; [verdict] carries the peer's pins and the configured rule. */
class PinningException(val verdict: PinVerdict) : CertificateException(verdict.message)

/** Installs pinset's trust manager on an OkHttp client. */
fun OkHttpClient.Builder.pinset(pinset: Pinset, platform: X509TrustManager = defaultTrustManager()): OkHttpClient.Builder {
    val tm = pinset.trustManager(platform)
    val ctx = SSLContext.getInstance("TLS").apply { init(null, arrayOf(tm), null) }
    return sslSocketFactory(ctx.socketFactory, tm)
}

/**
 * Signs every request (RFC 9421 + RFC 9530 Content-Digest) with [signer], which may hold an Android
 * Keystore key. Safe profile by default: `@method @target-uri content-type content-digest`,
 * `created`, a random `nonce`, `keyid`, `alg`.
 */
class PinsetSigningInterceptor(
    private val signer: RequestSigner,
    private val keyId: String,
    private val label: String = "sig1",
    private val components: List<String> = emptyList(),
) : Interceptor {
    override fun intercept(chain: Interceptor.Chain): Response {
        val request = chain.request()
        val body = request.body?.let { b -> Buffer().also { b.writeTo(it) }.readByteArray() } ?: ByteArray(0)
        val headers = request.headers.map { HeaderField(it.first, it.second) }.toMutableList()
        request.body?.contentType()?.let { ct -> if (request.header("Content-Type") == null) headers += HeaderField("content-type", ct.toString()) }
        val signed = signRequestWithSigner(
            HttpRequest(request.method, request.url.toString(), headers, body),
            signer,
            SignOptions(label, keyId, components, null, System.currentTimeMillis() / 1000, null),
        )
        val builder = request.newBuilder()
        for (name in listOf("content-digest", "signature-input", "signature")) {
            builder.removeHeader(name)
            signed.headers.filter { it.name == name }.forEach { builder.addHeader(it.name, it.value) }
        }
        return chain.proceed(builder.build())
    }
}
