package dev.pinset

import dev.pinset.ffi.pinOfCertificate
import okhttp3.CertificatePinner
import okhttp3.tls.HeldCertificate

/**
 * Pin check on the same validated chain (leaf → intermediate → root, P-256) and host: pinset's
 * Kotlin API through UniFFI vs OkHttp's `CertificatePinner.check`, hit on the intermediate and a
 * miss; plus the bare FFI round trip (`isPinned`). Warm-up, then the median of 15 rounds.
 * Run with `bash scripts/jvm-bench.sh` (not part of the tests: no timing assertions).
 */
object PinCheckBench {
    private fun median(rounds: Int, iters: Int, body: () -> Any?): Double {
        var sink = 0
        repeat(3) { repeat(iters) { sink += body().hashCode() } } // warm-up (JIT)
        val times = (1..rounds).map {
            val t0 = System.nanoTime()
            repeat(iters) { sink += body().hashCode() }
            (System.nanoTime() - t0).toDouble() / iters
        }.sorted()
        if (sink == 42) println()
        return times[rounds / 2]
    }

    @JvmStatic
    fun main(args: Array<String>) {
        val root = HeldCertificate.Builder().certificateAuthority(1).commonName("root").build()
        val int = HeldCertificate.Builder().certificateAuthority(0).commonName("int").signedBy(root).build()
        val leaf = HeldCertificate.Builder().commonName("localhost").addSubjectAlternativeName("localhost").signedBy(int).build()
        val chain = listOf(leaf.certificate, int.certificate, root.certificate)
        val backup = pinOfCertificate(HeldCertificate.Builder().build().certificate.encoded)
        val other = pinOfCertificate(HeldCertificate.Builder().build().certificate.encoded)
        val intPin = pinOfCertificate(int.certificate.encoded)
        val manifest = { a: String, b: String -> "version = 1\n[[domain]]\nname = \"localhost\"\npins = [\"$a\", \"$b\"]\nenforce = true\n" }
        val hit = Pinset.load(manifest(backup, intPin))
        val okHit = CertificatePinner.Builder().add("localhost", backup, intPin).build()
        val okMiss = CertificatePinner.Builder().add("localhost", backup, other).build()
        val missPinset = Pinset.load(manifest(backup, other))
        val n = 20_000
        val rows = listOf(
            "okhttp CertificatePinner.check hit" to median(15, n) { okHit.check("localhost", chain) },
            "pinset Kotlin check hit (UniFFI)" to median(15, n) { hit.check("localhost", chain).allowed },
            "okhttp CertificatePinner.check miss" to median(15, n / 4) { runCatching { okMiss.check("localhost", chain) }.isFailure },
            "pinset Kotlin check miss (UniFFI)" to median(15, n / 4) { missPinset.check("localhost", chain).allowed },
            "FFI round trip (isPinned)" to median(15, n) { hit.core.isPinned("localhost") },
        )
        println("JVM ${System.getProperty("java.vm.name")} ${System.getProperty("java.version")}")
        for ((name, ns) in rows) println("%-40s %10.0f ns/op".format(name, ns))
        println("ratio hit  pinset/okhttp: %.2f".format(rows[1].second / rows[0].second))
        println("ratio miss pinset/okhttp: %.2f".format(rows[3].second / rows[2].second))
    }
}
