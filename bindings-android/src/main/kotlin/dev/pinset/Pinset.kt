package dev.pinset

import dev.pinset.ffi.HeaderField
import dev.pinset.ffi.HttpRequest
import dev.pinset.ffi.PinVerdict
import dev.pinset.ffi.ReportSink
import dev.pinset.ffi.RequestSigner
import dev.pinset.ffi.SignOptions
import dev.pinset.ffi.signRequestWithSigner
import java.net.Socket
import java.security.KeyStore
import java.security.cert.CertPathBuilder
import java.security.cert.CertStore
import java.security.cert.CertificateException
import java.security.cert.CollectionCertStoreParameters
import java.security.cert.PKIXBuilderParameters
import java.security.cert.PKIXCertPathBuilderResult
import java.security.cert.TrustAnchor
import java.security.cert.X509CertSelector
import java.security.cert.X509Certificate
import javax.net.ssl.SSLContext
import javax.net.ssl.SSLEngine
import javax.net.ssl.SSLSocket
import javax.net.ssl.TrustManagerFactory
import javax.net.ssl.X509ExtendedTrustManager
import javax.net.ssl.X509TrustManager
import okhttp3.Interceptor
import okhttp3.OkHttpClient
import okhttp3.Response
import okio.Buffer

/** Entry point: `Pinset.load(manifestToml)`. Every security decision is made by the Rust core. */
class Pinset private constructor(internal val core: dev.pinset.ffi.Pinset) {
    /** Refers to [core] for the JNA fast path without keeping it alive (see FastPath). */
    internal val fastHandle: Long = core.fastPathHandle().toLong()

    companion object {
        /** Loads a pin manifest (the same `pins.toml` the CLI checks and generates from). */
        @JvmStatic
        fun load(manifestToml: String): Pinset = Pinset(dev.pinset.ffi.Pinset.fromToml(manifestToml))
    }

    /** Receives RFC 7469-style JSON reports (violations, report-only, expiry); rate-limited in Rust. */
    fun onReport(listener: (String) -> Unit) {
        core.setReportSink(object : ReportSink {
            override fun report(json: String) = listener(json)
        })
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
        val now = System.currentTimeMillis() / 1000
        if (FastPath.proceeds(fastHandle, host, validatedChain, now, port)) return
        FastPath.refusal(fastHandle, host, validatedChain, now, port)?.let { throw PinningException(it) }
        val verdict = core.enforce(host, validatedChain.map { it.encoded }, now, port?.toUShort())
        if (verdict != null && !verdict.allowed) throw PinningException(verdict)
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

/** Thrown when pinning rejects a server; [verdict] carries the peer's pins and the configured rule. */
class PinningException(val verdict: PinVerdict) : CertificateException(verdict.message)

/**
 * `X509TrustManager` for OkHttp / `SSLContext`: hostname-aware platform validation, then the Rust pin
 * decision on the **validated** path. On Android, `X509TrustManagerExtensions.checkServerTrusted`
 * returns that path; on a JVM it is rebuilt with PKIX from the platform's anchors, so a certificate the
 * server merely appended never counts (OkHttp CVE-2016-2402).
 */
class PinsetTrustManager(private val pinset: Pinset, private val platform: X509TrustManager) : X509ExtendedTrustManager() {
    override fun getAcceptedIssuers(): Array<X509Certificate> = platform.acceptedIssuers

    override fun checkClientTrusted(chain: Array<X509Certificate>, authType: String) = platform.checkClientTrusted(chain, authType)
    override fun checkClientTrusted(chain: Array<X509Certificate>, authType: String, socket: Socket?) = platform.checkClientTrusted(chain, authType)
    override fun checkClientTrusted(chain: Array<X509Certificate>, authType: String, engine: SSLEngine?) = platform.checkClientTrusted(chain, authType)

    override fun checkServerTrusted(chain: Array<X509Certificate>, authType: String) =
        throw CertificateException("pinning needs the host name: use an SSLSocket/SSLEngine-aware caller")

    override fun checkServerTrusted(chain: Array<X509Certificate>, authType: String, socket: Socket?) {
        val host = (socket as? SSLSocket)?.handshakeSession?.peerHost ?: throw CertificateException("no peer host for pinning")
        if (platform is X509ExtendedTrustManager) platform.checkServerTrusted(chain, authType, socket) else platform.checkServerTrusted(chain, authType)
        enforce(host, chain)
    }

    override fun checkServerTrusted(chain: Array<X509Certificate>, authType: String, engine: SSLEngine?) {
        val host = engine?.handshakeSession?.peerHost ?: engine?.peerHost ?: throw CertificateException("no peer host for pinning")
        if (platform is X509ExtendedTrustManager) platform.checkServerTrusted(chain, authType, engine) else platform.checkServerTrusted(chain, authType)
        enforce(host, chain)
    }

    private fun enforce(host: String, chain: Array<X509Certificate>) = pinset.enforce(host, validatedPath(chain))

    /** The path the platform's anchors validate, leaf first, anchor last (PKIX path building). */
    fun validatedPath(chain: Array<X509Certificate>): List<X509Certificate> {
        val anchors = platform.acceptedIssuers.map { TrustAnchor(it, null) }.toSet()
        val selector = X509CertSelector().apply { certificate = chain[0] }
        val params = PKIXBuilderParameters(anchors, selector).apply {
            isRevocationEnabled = false
            addCertStore(CertStore.getInstance("Collection", CollectionCertStoreParameters(chain.toList())))
        }
        val result = CertPathBuilder.getInstance("PKIX").build(params) as PKIXCertPathBuilderResult
        return result.certPath.certificates.map { it as X509Certificate } + result.trustAnchor.trustedCert
    }
}

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
