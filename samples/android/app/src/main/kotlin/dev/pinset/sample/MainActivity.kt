package dev.pinset.sample

import android.app.Activity
import android.os.Bundle
import android.util.Log
import android.widget.TextView
import dev.pinset.Pinset
import dev.pinset.UriReporter
import dev.pinset.ffi.PinReporter
import dev.pinset.pinset
import okhttp3.OkHttpClient
import okhttp3.Request
import kotlin.concurrent.thread

/** Loads the shipped manifest, pins an OkHttp client with it, fetches one URL. */
class MainActivity : Activity() {
    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        val view = TextView(this).also { setContentView(it) }
        val pinset = Pinset.load(assets.open("pins.toml").bufferedReader().readText())
        // Reports go to the manifest's report_uris by default; this one also logs them.
        pinset.reporter = object : PinReporter {
            override fun report(json: String, reportUris: List<String>) {
                Log.w("pinset", json)
                UriReporter.shared.report(json, reportUris)
            }
        }
        val client = OkHttpClient.Builder().pinset(pinset).build()
        thread {
            val text = runCatching {
                client.newCall(Request.Builder().url("https://api.example.com/").build()).execute().use { "HTTP ${it.code}" }
            }.getOrElse { "refused: ${it.message}" }
            runOnUiThread { view.text = text }
        }
    }
}
