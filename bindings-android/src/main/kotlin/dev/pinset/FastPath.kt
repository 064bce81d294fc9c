package dev.pinset

import com.sun.jna.Native
import java.security.cert.X509Certificate

/**
 * The handshake hot path: one JNI call ([FastPathJni], arrays read in place) or, if the library
 * cannot be registered for JNI, one JNA *direct-mapped* call into `pinset_fast_decide`
 * (core/pinset-ffi/src/fast.rs), instead of UniFFI's JNA `Structure`-based calls, which measured
 * ~40 µs each under load here (scripts/jvm-bench.sh). It only ever answers "proceed quietly";
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
    external fun pinset_fast_decide(
        handle: Long, host: ByteArray, hostLen: Int, certs: ByteArray, certsLen: Int, lens: IntArray, n: Int, nowUnix: Long,
    ): Int

    /** Which entry point [proceeds] uses: "jni", "jna" or "none" (then only the UniFFI path runs). */
    val mode: String = when {
        FastPathJni.available -> "jni"
        available -> "jna"
        else -> "none"
    }

    /** True when the validated path may be used with nothing to report; false means "ask the full path". */
    fun proceeds(handle: Long, host: String, validatedChain: List<X509Certificate>, nowUnix: Long): Boolean {
        val n = validatedChain.size
        if (mode == "none" || handle == 0L || n == 0 || n > MAX_CERTS) return false
        // Each certificate's DER (cached by the platform; `publicKey.encoded` measured slower on
        // the JDK); Rust locates and hashes the SPKIs as on the full path.
        val keys = arrayOfNulls<ByteArray>(n)
        val lens = IntArray(n)
        var total = 0
        for (i in 0 until n) {
            val k = validatedChain[i].encoded ?: return false
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
        val answer = if (mode == "jni") {
            FastPathJni.decide(handle, h, all, lens, nowUnix)
        } else {
            pinset_fast_decide(handle, h, h.size, all, total, lens, n, nowUnix)
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
        decide(0L, ByteArray(1), ByteArray(1), IntArray(1), 0L) == -1
    } catch (e: Throwable) {
        false
    }

    @JvmStatic
    external fun decide(handle: Long, host: ByteArray, certs: ByteArray, lens: IntArray, nowUnix: Long): Int
}
