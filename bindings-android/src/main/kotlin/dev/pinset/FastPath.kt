package dev.pinset

import com.sun.jna.Native
import java.security.cert.X509Certificate

/**
 * The handshake hot path: one JNA *direct-mapped* call with primitive arrays into
 * `pinset_fast_decide` (core/pinset-ffi/src/fast.rs), instead of UniFFI's JNA `Structure`-based
 * calls, which measured ~40 µs each under load here (scripts/jvm-bench.sh). It only ever answers
 * "proceed quietly"; everything else (violations, report-only, expired pin-sets, any error) goes
 * through the UniFFI `enforce`, which decides again from the full certificates, reports and
 * builds the verdict.
 */
internal object FastPath {
    private const val PROCEED = 0
    private const val MAX_CERTS = 16

    internal val available: Boolean = try {
        Native.register(FastPath::class.java, libraryName())
        true
    } catch (e: Throwable) {
        false // the UniFFI path still works; it is only slower
    }

    // Same lookup as the UniFFI-generated code (`uniffi.component.pinset_ffi.libraryOverride`).
    private fun libraryName(): String =
        System.getProperty("uniffi.component.pinset_ffi.libraryOverride") ?: "pinset_ffi"

    @Suppress("FunctionName")
    external fun pinset_fast_decide(
        handle: Long, host: ByteArray, hostLen: Int, spkis: ByteArray, spkisLen: Int, lens: IntArray, n: Int, nowUnix: Long,
    ): Int

    /** True when the validated path may be used with nothing to report; false means "ask the full path". */
    fun proceeds(handle: Long, host: String, validatedChain: List<X509Certificate>, nowUnix: Long): Boolean {
        val n = validatedChain.size
        if (!available || handle == 0L || n == 0 || n > MAX_CERTS) return false
        // The SPKI DER of each certificate, as OkHttp hashes it (`publicKey.encoded`).
        val keys = arrayOfNulls<ByteArray>(n)
        val lens = IntArray(n)
        var total = 0
        for (i in 0 until n) {
            val k = validatedChain[i].publicKey.encoded ?: return false
            keys[i] = k
            lens[i] = k.size
            total += k.size
        }
        val all = ByteArray(total)
        var off = 0
        for (k in keys) {
            System.arraycopy(k!!, 0, all, off, k.size)
            off += k.size
        }
        val h = host.toByteArray(Charsets.UTF_8)
        return pinset_fast_decide(handle, h, h.size, all, total, lens, n, nowUnix) == PROCEED
    }
}
