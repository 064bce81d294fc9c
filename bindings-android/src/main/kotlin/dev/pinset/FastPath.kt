package dev.pinset

import com.sun.jna.Native
import java.security.cert.X509Certificate

/**
 * The handshake hot path: one JNI call ([FastPathJni], one array read in place) or, if the library
 * cannot be registered for JNI, one JNA *direct-mapped* call into `pinset_fast_decide`
 * (core/pinset-ffi/src/fast.rs), instead of UniFFI's JNA `Structure`-based calls, which measured
 * ~30-40 µs each under load here (scripts/jvm-bench.sh). It only ever answers "proceed quietly";
 * everything else (violations, report-only, expired pin-sets, any error) goes through the UniFFI
 * `enforce`, which decides again from the full certificates, reports and builds the verdict.
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
    external fun pinset_fast_decide(handle: Long, input: ByteArray, len: Int, nowUnix: Long): Int

    /** Which entry point [proceeds] uses: "jni", "jna" or "none" (then only the UniFFI path runs). */
    val mode: String = when {
        FastPathJni.available -> "jni"
        available -> "jna"
        else -> "none"
    }

    /**
     * The one array the native side reads: `host length (u16, big-endian) ‖ host (UTF-8) ‖ DER ‖ DER …`,
     * each certificate's DER as the platform caches it (`publicKey.encoded` measured slower on the
     * JDK); Rust splits the certificates by their DER headers. Null when it cannot be encoded.
     */
    fun input(host: String, validatedChain: List<X509Certificate>): ByteArray? {
        val n = validatedChain.size
        if (n == 0 || n > MAX_CERTS) return null
        val h = host.toByteArray(Charsets.UTF_8)
        if (h.size > 0xffff) return null
        val ders = arrayOfNulls<ByteArray>(n)
        var total = 2 + h.size
        for (i in 0 until n) {
            val d = validatedChain[i].encoded ?: return null
            ders[i] = d
            total += d.size
        }
        val input = ByteArray(total)
        input[0] = (h.size ushr 8).toByte()
        input[1] = h.size.toByte()
        System.arraycopy(h, 0, input, 2, h.size)
        var off = 2 + h.size
        for (d in ders) {
            System.arraycopy(d!!, 0, input, off, d.size)
            off += d.size
        }
        return input
    }

    /** True when the validated path may be used with nothing to report; false means "ask the full path". */
    fun proceeds(handle: Long, host: String, validatedChain: List<X509Certificate>, nowUnix: Long): Boolean {
        if (mode == "none" || handle == 0L) return false
        val input = input(host, validatedChain) ?: return false
        val answer = if (mode == "jni") {
            FastPathJni.decide(handle, input, nowUnix)
        } else {
            pinset_fast_decide(handle, input, input.size, nowUnix)
        }
        return answer == PROCEED
    }
}

/**
 * The JNI entry point `Java_dev_pinset_FastPathJni_decide`. JNI resolves it only in libraries the
 * JVM itself loaded, so the library JNA found (same search, same override property) is loaded
 * again with `System.load` (the same file: the OS maps it once); on Android `System.loadLibrary`.
 */
internal object FastPathJni {
    internal val available: Boolean = try {
        val name = System.getProperty("uniffi.component.pinset_ffi.libraryOverride") ?: "pinset_ffi"
        val file = runCatching { com.sun.jna.NativeLibrary.getInstance(name).file }.getOrNull()
        if (file != null && file.exists()) System.load(file.absolutePath) else System.loadLibrary(name)
        // A probe the Rust side refuses at once (handle 0): proves the symbol resolves.
        decide(0L, ByteArray(1), 0L) == -1
    } catch (e: Throwable) {
        false
    }

    @JvmStatic
    external fun decide(handle: Long, input: ByteArray, nowUnix: Long): Int
}
