package dev.pinset

import okhttp3.OkHttp
import okhttp3.OkHttpClient
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/** The tests run against the OkHttp the Maven lane names (4.12.0 by default, 5.x with -Pokhttp5). */
class OkHttpLaneTest {
    @Test
    fun okhttpOnTheClassPathIsTheLanesVersion() {
        val expected = System.getProperty("pinset.okhttp.version")
        val artifact = System.getProperty("pinset.okhttp.artifact")
        assertEquals(expected, OkHttp.VERSION)
        val jar = OkHttpClient::class.java.protectionDomain.codeSource.location.path
        assertTrue(jar.endsWith("/$artifact-$expected.jar"), jar)
    }
}
