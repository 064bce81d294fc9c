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
 *
 * The validation runs on every handshake. The pin work after it (the JVM path check and the pin
 * decision) is skipped only for a verdict the handshake's [Pinset] remembers ([VerdictCache], one
 * per Pinset instance, so a verdict of the pins before an update never answers for the new ones):
 * the same host, validator and certificates, byte for byte, accepted by a matched pin today on a
 * path that needed no rebuild. Everything else is decided (and reported) again.
 */
class PinsetTrustManager internal constructor(
    private val pinsets: () -> Pinset,
    private val platform: X509TrustManager,
    /** Unix seconds for the pin decision and the verdict cache's day (tests set it; the platform's validation reads its own clock). */
    private val clock: () -> Long,
) : X509ExtendedTrustManager() {
    internal constructor(pinsets: () -> Pinset, platform: X509TrustManager) : this(pinsets, platform, { System.currentTimeMillis() / 1000 })

    /** A trust manager for the fixed [pinset]. */
    constructor(pinset: Pinset, platform: X509TrustManager) : this({ pinset }, platform)

    private val platformValidator = PathValidator(platform)

    /**
     * Which branch validates hosts that use the platform's anchors: `android` (the chain returned by
     * `X509TrustManagerExtensions`) or `jvm` (the presented chain when it already is a path, else a
     * PKIX rebuild).
     */
    val validationBranch: String get() = platformValidator.branch

    /** How many verdicts the current Pinset's cache holds now (tests). */
    internal val rememberedVerdicts: Int get() = pinsets().verdicts.size

    override fun getAcceptedIssuers(): Array<X509Certificate> = platform.acceptedIssuers

    override fun checkClientTrusted(chain: Array<X509Certificate>, authType: String) = platform.checkClientTrusted(chain, authType)
    override fun checkClientTrusted(chain: Array<X509Certificate>, authType: String, socket: Socket?) = platform.checkClientTrusted(chain, authType)
    override fun checkClientTrusted(chain: Array<X509Certificate>, authType: String, engine: SSLEngine?) = platform.checkClientTrusted(chain, authType)

    override fun checkServerTrusted(chain: Array<X509Certificate>, authType: String) =
        throw CertificateException("pinning needs the host name: use an SSLSocket/SSLEngine-aware caller")

    override fun checkServerTrusted(chain: Array<X509Certificate>, authType: String, socket: Socket?) {
        val host = (socket as? SSLSocket)?.handshakeSession?.peerHost ?: throw CertificateException("no peer host for pinning")
        check(chain, authType, host, socket, null)
    }

    override fun checkServerTrusted(chain: Array<X509Certificate>, authType: String, engine: SSLEngine?) {
        val host = engine?.handshakeSession?.peerHost ?: engine?.peerHost ?: throw CertificateException("no peer host for pinning")
        check(chain, authType, host, null, engine)
    }

    /**
     * Validation (every time), then the pins on the validated path. The pin work is skipped only
     * for a verdict the Pinset's [VerdictCache] holds: the same host, validator and certificates (byte
     * for byte) were accepted today by a matched pin, on a path that needed no rebuild.
     */
    private fun check(chain: Array<X509Certificate>, authType: String, host: String, socket: Socket?, engine: SSLEngine?) {
        val pinset = pinsets()
        val validated = validate(pinset, chain, authType, host, socket, engine)
        val now = clock()
        // The Pinset's own cache: a verdict of other pins (before an update) is never looked up.
        val cache = pinset.verdicts
        // On the JVM the path is a function of the presented chain and the validator's anchors; on
        // Android it is the list the platform returned.
        val key = VerdictCache.Key.of(validated.validator, host, VerdictCache.NO_PORT, validated.android ?: chain.asList())
        if (key != null && cache.accepts(key, now)) return
        val path = validated.android ?: JvmPath.alreadyAPath(chain, validated.validator.anchors)
        if (path == null) {
            // Not already a path: the PKIX rebuild decides, and its verdict is never remembered.
            pinset.enforceAt(host, JvmPath.rebuild(chain, validated.validator.anchors), now, null)
            return
        }
        if (pinset.enforceAt(host, path, now, null) && key != null) cache.remember(key, now)
    }

    /** The validator that accepted [chain] for [host] under [pinset]'s rule, and on Android the path it returned. */
    private fun validate(pinset: Pinset, chain: Array<X509Certificate>, authType: String, host: String, socket: Socket?, engine: SSLEngine?): Validated {
        if (chain.isEmpty()) throw CertificateException("empty chain")
        val trust = pinset.ruleTrust(host) ?: return platformValidator.check(chain, authType, host, socket, engine)
        // Per Pinset: a rule name may name other anchors in the next manifest.
        val own = pinset.ruleValidators.getOrPut(trust.rule) { PathValidator(privateTrustManager(trust.anchors)) }
        return try {
            own.check(chain, authType, host, null, null)
        } catch (e: CertificateException) {
            if (!trust.system) throw e
            platformValidator.check(chain, authType, host, socket, engine)
        }
    }

    /**
     * Validates [chain] for [host] against its rule's anchors and returns the validated path, leaf
     * first, anchor last. Throws [CertificateException] when no trusted anchor of the rule validates.
     */
    fun validatedPath(chain: Array<X509Certificate>, authType: String, host: String, socket: Socket? = null, engine: SSLEngine? = null): List<X509Certificate> {
        val validated = validate(pinsets(), chain, authType, host, socket, engine)
        return validated.android ?: JvmPath.of(chain, validated.validator.anchors)
    }
}

/** Which validator accepted a chain; [android] is the path `X509TrustManagerExtensions` returned (null on the JVM branch). */
internal class Validated(val validator: PathValidator, val android: List<X509Certificate>?)

/**
 * Verdicts of pinset's own work (the JVM path check and the pin decision) for one [Pinset]
 * instance: only "trusted" answers of the fast path (a pin of the host's rule matched, nothing
 * reported, the same answer for the rest of the UTC day), on a path that was already one (never a
 * PKIX rebuild) or that Android returned. Report-only, expired, exempt, not-pinned and refused
 * outcomes are never remembered, so they are decided (and reported, as the core's Throttle
 * decides) on every handshake. The platform's validation is not cached: it runs before every
 * lookup.
 *
 * A key is the validator (which anchors), the host as the handshake gave it, the port and every
 * certificate's DER (the presented chain on the JVM, the returned path on Android), compared in
 * full, byte for byte; the hash only picks the bucket. An entry counts only on the UTC day it was
 * decided. At most [MAX] entries: when full, it is emptied.
 */
internal class VerdictCache {
    class Key private constructor(private val validator: PathValidator, private val host: String, private val port: Int, private val certs: Array<ByteArray>) {
        // Each DER ends with its signature (random-looking); the full comparison is in equals.
        private val hash: Int = run {
            var h = System.identityHashCode(validator) * 31 + host.hashCode()
            h = h * 31 + port
            for (c in certs) {
                h = h * 31 + c.size
                for (i in maxOf(0, c.size - TAIL) until c.size) h = h * 31 + c[i]
            }
            h
        }

        override fun hashCode() = hash
        override fun equals(other: Any?): Boolean {
            if (other !is Key || other.hash != hash || other.validator !== validator || other.port != port || other.host != host) return false
            if (other.certs.size != certs.size) return false
            for (i in certs.indices) if (!certs[i].contentEquals(other.certs[i])) return false
            return true
        }

        companion object {
            private const val TAIL = 8

            /** The key, or null when a certificate has no encoding or there are more than 16. */
            fun of(validator: PathValidator, host: String, port: Int, certs: List<X509Certificate>): Key? {
                if (certs.isEmpty() || certs.size > MAX_CERTS) return null
                val der = arrayOfNulls<ByteArray>(certs.size)
                for (i in certs.indices) der[i] = certs[i].encoded ?: return null
                @Suppress("UNCHECKED_CAST")
                return Key(validator, host, port, der as Array<ByteArray>)
            }
        }
    }

    /** Key -> the UTC day (Unix days) its verdict was reached on. */
    private val days = ConcurrentHashMap<Key, Long>()

    val size: Int get() = days.size

    fun accepts(key: Key, now: Long): Boolean = days[key] == Math.floorDiv(now, DAY)

    fun remember(key: Key, now: Long) {
        if (days.size >= MAX) days.clear()
        days[key] = Math.floorDiv(now, DAY)
    }

    companion object {
        const val NO_PORT = 0
        const val MAX = 256
        private const val MAX_CERTS = 16
        private const val DAY = 86_400L
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
    val anchors: Anchors by lazy { Anchors(tm.acceptedIssuers.toList()) }

    /** Which branch this validator takes: `android` or `jvm`. */
    val branch: String get() = if (android != null) "android" else "jvm"

    /** Runs the trust manager on [chain]; throws when it refuses. On Android the result carries the path it validated. */
    fun check(chain: Array<X509Certificate>, authType: String, host: String, socket: Socket?, engine: SSLEngine?): Validated {
        android?.let { return Validated(this, it.checkServerTrusted(chain, authType, host)) }
        when {
            tm is X509ExtendedTrustManager && socket != null -> tm.checkServerTrusted(chain, authType, socket)
            tm is X509ExtendedTrustManager && engine != null -> tm.checkServerTrusted(chain, authType, engine)
            else -> tm.checkServerTrusted(chain, authType)
        }
        return Validated(this, null)
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
