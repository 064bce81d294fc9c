package dev.pinset

import java.net.Socket
import java.security.KeyStore
import java.security.cert.CertPathBuilder
import java.security.cert.CertStore
import java.security.cert.CertificateException
import java.security.cert.CertificateFactory
import java.security.cert.CollectionCertStoreParameters
import java.security.cert.PKIXBuilderParameters
import java.security.cert.PKIXCertPathBuilderResult
import java.security.cert.TrustAnchor
import java.security.cert.X509CertSelector
import java.security.cert.X509Certificate
import java.util.concurrent.ConcurrentHashMap
import javax.net.ssl.SSLEngine
import javax.net.ssl.SSLSocket
import javax.net.ssl.TrustManagerFactory
import javax.net.ssl.X509ExtendedTrustManager
import javax.net.ssl.X509TrustManager

/**
 * `X509TrustManager` for OkHttp / `SSLContext`. For each host it validates the chain against the
 * anchors of the host's manifest rule, then applies the Rust pin decision to the **validated** path:
 *
 * - a rule without `trust_anchors` (or no rule): [platform] validates;
 * - a rule with its own CA files: a trust manager over exactly those CAs validates, and when the
 *   rule also lists `system`, [platform] is tried if they do not. A rule's CAs are never trusted
 *   for another rule's hosts.
 *
 * The path pinned is the one a trust manager validated:
 * - **On Android** (detected at run time by `android.net.http.X509TrustManagerExtensions`), the
 *   list `X509TrustManagerExtensions(tm).checkServerTrusted(chain, authType, host)` returns: the
 *   chain Conscrypt validated, Network Security Config anchors included. A trust manager without
 *   Conscrypt's hostname-aware `checkServerTrusted(chain, authType, host)` (an app's own wrapper)
 *   is refused by `X509TrustManagerExtensions`; for such a trust manager the JVM branch below runs
 *   instead, against that trust manager's `acceptedIssuers` (still a validated path; NSC per-domain
 *   anchors are invisible to it, so such a domain fails closed).
 * - **On a JVM**, after the trust manager accepted the chain: when the presented chain already is a
 *   path (each certificate's signature verified with the next one's key, every issuer a CA, the
 *   last one a trusted anchor or signed by one) that path; otherwise a PKIX path rebuilt from the
 *   trust manager's anchors over the presented certificates. A certificate the server merely
 *   appended is never on either (OkHttp CVE-2016-2402).
 *
 * [pinsets] is read once per handshake: a [PinsetUpdater] passes its current pins, so a handshake
 * after an accepted update is checked against the new ones (per-rule anchors included).
 */
class PinsetTrustManager internal constructor(private val pinsets: () -> Pinset, private val platform: X509TrustManager) : X509ExtendedTrustManager() {
    /** A trust manager for the fixed [pinset]. */
    constructor(pinset: Pinset, platform: X509TrustManager) : this({ pinset }, platform)

    private val platformValidator = PathValidator(platform)

    /**
     * Which branch validates hosts that use the platform's anchors: `android` (the chain returned by
     * `X509TrustManagerExtensions`) or `jvm` (the presented chain when it already is a path, else a
     * PKIX rebuild).
     */
    val validationBranch: String get() = platformValidator.branch

    override fun getAcceptedIssuers(): Array<X509Certificate> = platform.acceptedIssuers

    override fun checkClientTrusted(chain: Array<X509Certificate>, authType: String) = platform.checkClientTrusted(chain, authType)
    override fun checkClientTrusted(chain: Array<X509Certificate>, authType: String, socket: Socket?) = platform.checkClientTrusted(chain, authType)
    override fun checkClientTrusted(chain: Array<X509Certificate>, authType: String, engine: SSLEngine?) = platform.checkClientTrusted(chain, authType)

    override fun checkServerTrusted(chain: Array<X509Certificate>, authType: String) =
        throw CertificateException("pinning needs the host name: use an SSLSocket/SSLEngine-aware caller")

    override fun checkServerTrusted(chain: Array<X509Certificate>, authType: String, socket: Socket?) {
        val host = (socket as? SSLSocket)?.handshakeSession?.peerHost ?: throw CertificateException("no peer host for pinning")
        val p = pinsets()
        p.enforce(host, validatedPath(p, chain, authType, host, socket, null))
    }

    override fun checkServerTrusted(chain: Array<X509Certificate>, authType: String, engine: SSLEngine?) {
        val host = engine?.handshakeSession?.peerHost ?: engine?.peerHost ?: throw CertificateException("no peer host for pinning")
        val p = pinsets()
        p.enforce(host, validatedPath(p, chain, authType, host, null, engine))
    }

    /**
     * Validates [chain] for [host] against its rule's anchors and returns the validated path, leaf
     * first, anchor last. Throws [CertificateException] when no trusted anchor of the rule validates.
     */
    fun validatedPath(chain: Array<X509Certificate>, authType: String, host: String, socket: Socket? = null, engine: SSLEngine? = null): List<X509Certificate> =
        validatedPath(pinsets(), chain, authType, host, socket, engine)

    private fun validatedPath(pinset: Pinset, chain: Array<X509Certificate>, authType: String, host: String, socket: Socket?, engine: SSLEngine?): List<X509Certificate> {
        if (chain.isEmpty()) throw CertificateException("empty chain")
        val trust = pinset.ruleTrust(host) ?: return platformValidator.validate(chain, authType, host, socket, engine)
        // Per Pinset: a rule name may name other anchors in the next manifest.
        val own = pinset.ruleValidators.getOrPut(trust.rule) { PathValidator(privateTrustManager(trust.anchors)) }
        return try {
            own.validate(chain, authType, host, null, null)
        } catch (e: CertificateException) {
            if (!trust.system) throw e
            platformValidator.validate(chain, authType, host, socket, engine)
        }
    }
}

/** A trust manager (the platform's default algorithm: Conscrypt on Android) over exactly [anchors]. */
internal fun privateTrustManager(anchors: List<ByteArray>): X509TrustManager {
    if (anchors.isEmpty()) return NoAnchorsTrustManager
    val cf = CertificateFactory.getInstance("X.509")
    val ks = KeyStore.getInstance(KeyStore.getDefaultType()).apply { load(null, null) }
    anchors.forEachIndexed { i, der -> ks.setCertificateEntry("anchor-$i", cf.generateCertificate(der.inputStream())) }
    return defaultTrustManager(ks)
}

/** A rule that lists only `system` with no files has no private trust manager: it never validates alone. */
private object NoAnchorsTrustManager : X509TrustManager {
    override fun getAcceptedIssuers(): Array<X509Certificate> = emptyArray()
    override fun checkClientTrusted(chain: Array<X509Certificate>, authType: String) = throw CertificateException("no anchors")
    override fun checkServerTrusted(chain: Array<X509Certificate>, authType: String) = throw CertificateException("no anchors")
}

/** Validates with one trust manager and returns the path it validated (see [PinsetTrustManager]). */
internal class PathValidator(private val tm: X509TrustManager) {
    /** `X509TrustManagerExtensions(tm)` on Android when [tm] supports it; null on a JVM or otherwise. */
    private val android: AndroidExtensions? = AndroidExtensions.of(tm)

    /** The trust manager's anchors, read once (on the JVM `acceptedIssuers` copies the store per call). */
    private val anchors: Anchors by lazy { Anchors(tm.acceptedIssuers.toList()) }

    /** Which branch this validator takes: `android` or `jvm`. */
    val branch: String get() = if (android != null) "android" else "jvm"

    fun validate(chain: Array<X509Certificate>, authType: String, host: String, socket: Socket?, engine: SSLEngine?): List<X509Certificate> {
        android?.let { return it.checkServerTrusted(chain, authType, host) }
        when {
            tm is X509ExtendedTrustManager && socket != null -> tm.checkServerTrusted(chain, authType, socket)
            tm is X509ExtendedTrustManager && engine != null -> tm.checkServerTrusted(chain, authType, engine)
            else -> tm.checkServerTrusted(chain, authType)
        }
        return JvmPath.of(chain, anchors)
    }
}

/** `android.net.http.X509TrustManagerExtensions`, reached by reflection so the jar runs on a JVM too. */
internal class AndroidExtensions private constructor(private val ext: Any) {
    fun checkServerTrusted(chain: Array<X509Certificate>, authType: String, host: String): List<X509Certificate> =
        try {
            @Suppress("UNCHECKED_CAST")
            (check!!.invoke(ext, chain, authType, host) as List<X509Certificate>)
        } catch (e: java.lang.reflect.InvocationTargetException) {
            throw (e.targetException as? CertificateException) ?: CertificateException(e.targetException)
        }

    companion object {
        private val cls: Class<*>? = try { Class.forName("android.net.http.X509TrustManagerExtensions") } catch (_: Throwable) { null }
        private val ctor = cls?.getConstructor(X509TrustManager::class.java)
        private val check = cls?.getMethod("checkServerTrusted", Array<X509Certificate>::class.java, String::class.java, String::class.java)

        /** True when the Android framework class is present (on a device, or under Robolectric). */
        val available: Boolean get() = cls != null

        /** The extensions for [tm], or null on a JVM, or when [tm] lacks the hostname-aware method. */
        fun of(tm: X509TrustManager): AndroidExtensions? {
            val c = ctor ?: return null
            return try {
                AndroidExtensions(c.newInstance(tm))
            } catch (_: java.lang.reflect.InvocationTargetException) {
                null // IllegalArgumentException: "Required method checkServerTrusted(...) missing"
            }
        }
    }
}

/** A trust manager's anchors, indexed for the path check. */
internal class Anchors(certs: List<X509Certificate>) {
    /** Every anchor certificate. */
    val all: List<X509Certificate> = certs
    private val bySubject: Map<javax.security.auth.x500.X500Principal, List<X509Certificate>> = certs.groupBy { it.subjectX500Principal }

    /** True when [cert] is one of the anchors (same DER). */
    fun contains(cert: X509Certificate): Boolean = bySubject[cert.subjectX500Principal]?.any { it == cert } == true

    /** Anchors whose subject is [cert]'s issuer. */
    fun issuersOf(cert: X509Certificate): List<X509Certificate> = bySubject[cert.issuerX500Principal].orEmpty()
}

/** The validated path on a JVM: the presented chain when it already is one, else a PKIX rebuild. */
internal object JvmPath {
    private const val LINK_CACHE_MAX = 1024

    /** Signature links (child, parent) already verified, keyed by both certificates' exact DER. */
    private val links = ConcurrentHashMap<Link, Boolean>()

    private class Link(val child: ByteArray, val parent: ByteArray) {
        private val hash = child.contentHashCode() * 31 + parent.contentHashCode()
        override fun hashCode() = hash
        override fun equals(other: Any?) = other is Link && child.contentEquals(other.child) && parent.contentEquals(other.parent)
    }

    fun of(chain: Array<X509Certificate>, anchors: Anchors): List<X509Certificate> =
        alreadyAPath(chain, anchors) ?: rebuild(chain, anchors)

    /**
     * The presented chain's prefix that is a path: leaf first, each certificate signed by the next,
     * every issuer a CA, ending at a trusted anchor (included) or at a certificate an anchor signed
     * (the anchor appended). Null when the presented order is not such a path.
     */
    fun alreadyAPath(chain: Array<X509Certificate>, anchors: Anchors): List<X509Certificate>? {
        for (i in chain.indices) {
            val cert = chain[i]
            if (i > 0 && (cert.basicConstraints < 0 || !signs(cert, chain[i - 1]))) return null
            if (anchors.contains(cert)) return chain.copyOfRange(0, i + 1).toList()
            val issuer = anchors.issuersOf(cert).firstOrNull { it.basicConstraints >= 0 && signs(it, cert) }
            if (issuer != null) return chain.copyOfRange(0, i + 1).toList() + issuer
        }
        return null
    }

    private fun signs(parent: X509Certificate, child: X509Certificate): Boolean {
        if (parent.subjectX500Principal != child.issuerX500Principal) return false
        val key = Link(child.encoded, parent.encoded)
        if (links[key] == true) return true
        val ok = try { child.verify(parent.publicKey); true } catch (_: Exception) { false }
        if (ok) {
            if (links.size >= LINK_CACHE_MAX) links.clear()
            links[key] = true
        }
        return ok
    }

    /** PKIX path building from [anchors] over the presented certificates. */
    fun rebuild(chain: Array<X509Certificate>, anchors: Anchors): List<X509Certificate> {
        val params = PKIXBuilderParameters(anchors.all.map { TrustAnchor(it, null) }.toSet(), X509CertSelector().apply { certificate = chain[0] }).apply {
            isRevocationEnabled = false
            addCertStore(CertStore.getInstance("Collection", CollectionCertStoreParameters(chain.toList())))
        }
        val result = try {
            CertPathBuilder.getInstance("PKIX").build(params) as PKIXCertPathBuilderResult
        } catch (e: java.security.GeneralSecurityException) {
            throw CertificateException("no validated path to the trust manager's anchors: ${e.message}", e)
        }
        return result.certPath.certificates.map { it as X509Certificate } + result.trustAnchor.trustedCert
    }
}
