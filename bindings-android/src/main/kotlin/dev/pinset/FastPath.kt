package dev.pinset

import com.sun.jna.Native
import dev.pinset.ffi.FfiConverterTypePinVerdict
import dev.pinset.ffi.PinVerdict
import java.nio.ByteBuffer
import java.security.cert.X509Certificate

/**
 * The handshake hot path: one JNI call ([FastPathJni], one array read in place) or, if the library
 * cannot be registered for JNI, one JNA *direct-mapped* call into `pinset_fast_decide`
 * (core/pinset-ffi/src/fast/jni.rs), instead of UniFFI's JNA `Structure`-based calls, which cost
 * far more per call (scripts/jvm-bench.sh; numbers in docs/performance.md). It answers "trusted" (a
 * pin matched, and the answer holds for the rest of the UTC day: what `VerdictCache` may remember),
 * "proceed" (not pinned, exempt; report-only and expired pin-sets after reporting them) or neither. For an enforced
 * violation [refusal] gets the reported verdict from a second JNI call; on any error, or without
 * the JNI entry points, the UniFFI `enforce` decides again from the full certificates.
 */
internal object FastPath {
    /** [decide]: proceed (nothing to remember). */
    internal const val PROCEED = 0

    /** [decide]: proceed, a pin matched; the same answer for the rest of the UTC day (`FAST_TRUSTED`). */
    internal const val TRUSTED = 2

    /** [decide]: anything else (refuse, error, no fast path): ask the full path. */
    internal const val FULL_PATH = 1
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
     * A per-thread buffer for the native call's input, reused across handshakes: the check then
     * allocates only what the platform does (`encoded` copies), not another copy of the path.
     */
    private class Scratch {
        var buf = ByteArray(INITIAL)
        var len = 0

        fun ensure(extra: Int) {
            if (len + extra > buf.size) buf = buf.copyOf(maxOf(len + extra, 2 * buf.size))
        }

        fun put(bytes: ByteArray) {
            ensure(bytes.size)
            System.arraycopy(bytes, 0, buf, len, bytes.size)
            len += bytes.size
        }
    }

    private const val INITIAL = 4096
    private const val KEEP_AT_MOST = 64 * 1024
    // Not `ThreadLocal.withInitial` (API 26): minSdk is 24 (the Animal Sniffer gate in pom.xml).
    private val scratch = object : ThreadLocal<Scratch>() {
        override fun initialValue() = Scratch()
    }

    /**
     * Writes what the native side reads into [s]: `host length (u16, big-endian) ‖ port (u16,
     * big-endian; 0 = unknown) ‖ host (UTF-8) ‖ DER ‖ DER …`, each certificate's DER as the
     * platform caches it (`getEncoded`; `publicKey.encoded` costs more on the JDK,
     * docs/performance.md); Rust splits the certificates by their DER headers. False when the
     * input cannot be encoded (then the full path decides).
     */
    private fun encode(host: String, port: Int?, validatedChain: List<X509Certificate>, s: Scratch): Boolean {
        val n = validatedChain.size
        if (n == 0 || n > MAX_CERTS) return false
        val p = port ?: 0
        if (p !in 0..0xffff) return false
        s.len = 4
        s.buf[2] = (p ushr 8).toByte()
        s.buf[3] = p.toByte()
        s.ensure(host.length)
        var ascii = true
        for (i in host.indices) {
            val c = host[i].code
            if (c >= 0x80) { ascii = false; break }
            s.buf[4 + i] = c.toByte()
        }
        val hostLen = if (ascii) host.length.also { s.len += it } else host.toByteArray(Charsets.UTF_8).also { s.put(it) }.size
        if (hostLen > 0xffff) return false
        s.buf[0] = (hostLen ushr 8).toByte()
        s.buf[1] = hostLen.toByte()
        for (i in 0 until n) s.put(validatedChain[i].encoded ?: return false)
        return true
    }

    /**
     * The verdict to throw for a path the policy refuses, built and reported by the native side in
     * one JNI call (decoded with the UniFFI-generated converter); null when there is none or the
     * JNI entry point is not loaded (then the UniFFI `enforce` decides).
     */
    fun refusal(handle: Long, host: String, validatedChain: List<X509Certificate>, nowUnix: Long, port: Int? = null): PinVerdict? {
        if (mode != "jni" || handle == 0L) return null
        val s = scratch.get()
        try {
            if (!encode(host, port, validatedChain, s)) return null
            val bytes = FastPathJni.refusal(handle, s.buf, s.len, nowUnix) ?: return null
            val buf = ByteBuffer.wrap(bytes)
            val verdict = FfiConverterTypePinVerdict.read(buf)
            return if (buf.hasRemaining()) null else verdict
        } finally {
            if (s.buf.size > KEEP_AT_MOST) s.buf = ByteArray(INITIAL)
        }
    }

    /** The native input as a fresh array of its exact length (tests, benchmarks). */
    fun input(host: String, validatedChain: List<X509Certificate>, port: Int? = null): ByteArray? {
        val s = Scratch()
        return if (encode(host, port, validatedChain, s)) s.buf.copyOf(s.len) else null
    }

    /**
     * True when the validated path may be used (report-only and expired outcomes are reported by
     * the native side before it answers); false means "ask the full path".
     */
    fun proceeds(handle: Long, host: String, validatedChain: List<X509Certificate>, nowUnix: Long, port: Int? = null): Boolean =
        decide(handle, host, validatedChain, nowUnix, port) != FULL_PATH

    /**
     * [TRUSTED] or [PROCEED] when the validated path may be used (report-only and expired outcomes
     * are reported by the native side before it answers: [PROCEED]); [FULL_PATH] means "ask the
     * full path" (refused, an error, or no fast path).
     */
    fun decide(handle: Long, host: String, validatedChain: List<X509Certificate>, nowUnix: Long, port: Int? = null): Int {
        if (mode == "none" || handle == 0L) return FULL_PATH
        val s = scratch.get()
        try {
            if (!encode(host, port, validatedChain, s)) return FULL_PATH
            val answer = if (mode == "jni") {
                FastPathJni.decide(handle, s.buf, s.len, nowUnix)
            } else {
                pinset_fast_decide(handle, s.buf, s.len, nowUnix)
            }
            return if (answer == PROCEED || answer == TRUSTED) answer else FULL_PATH
        } finally {
            // An unusually long path does not pin a large buffer to the thread.
            if (s.buf.size > KEEP_AT_MOST) s.buf = ByteArray(INITIAL)
        }
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
        decide(0L, ByteArray(4), 4, 0L) == -1
    } catch (e: Throwable) {
        false
    }

    @JvmStatic
    /** Decides on the first [len] bytes of [input] (see [FastPath]); -1 if [len] exceeds the array. */
    external fun decide(handle: Long, input: ByteArray, len: Int, nowUnix: Long): Int

    /**
     * For an input whose path the policy refuses: the verdict (reported to the reporter if due) in
     * UniFFI's serialized [dev.pinset.ffi.PinVerdict] form; null for anything else.
     */
    @JvmStatic
    external fun refusal(handle: Long, input: ByteArray, len: Int, nowUnix: Long): ByteArray?
}
