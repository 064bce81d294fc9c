package dev.pinset

import dev.pinset.ffi.PinsetException
import okhttp3.tls.HeldCertificate
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Test

/**
 * The Kotlin layer validates chains with the platform's trust manager and cannot verify a SPIFFE
 * X.509-SVID: a manifest with a `spiffe` rule fails `Pinset.load`, never loads with the identity
 * check dropped (issue #18).
 */
class SpiffeRefusalTest {
    private fun pin(c: HeldCertificate) = dev.pinset.ffi.pinOfCertificate(c.certificate.encoded)

    private fun manifest(rule: String) =
        "version = 1\n[[trust_domain]]\nname = \"mcp.example.org\"\nbundle = \"mcp.pem\"\n" +
            "[[domain]]\nname = \"tools.example.org\"\n$rule\n"

    @Test
    fun aSpiffeManifestThrowsAtLoad() {
        val ca = HeldCertificate.Builder().certificateAuthority(0).commonName("spiffe ca").build()
        val bundle = mapOf("mcp.pem" to ca.certificatePem().toByteArray())
        val rules = listOf(
            "spiffe = { id = \"spiffe://mcp.example.org/ns/prod/sa/tools\" }",
            // With pins: loading would enforce the pins and silently skip the ID check.
            "spiffe = { member_of = \"mcp.example.org\" }\npins = [\"${pin(ca)}\", \"${pin(HeldCertificate.Builder().build())}\"]",
        )
        for (rule in rules) {
            for (anchors in listOf(emptyMap(), bundle)) {
                val e = assertThrows(PinsetException.Manifest::class.java) { Pinset.load(manifest(rule), anchors) }
                val msg = e.message!!
                assertTrue(msg.contains("cannot verify SPIFFE X.509-SVIDs"), msg)
                assertTrue(msg.contains("refused rather than enforced partly"), msg)
            }
        }
    }
}
