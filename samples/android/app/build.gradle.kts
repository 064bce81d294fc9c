plugins {
    id("com.android.application") version "8.7.3"
    id("org.jetbrains.kotlin.android") version "2.1.21"
}
android {
    namespace = "dev.pinset.sample"
    compileSdk = 35
    defaultConfig { applicationId = "dev.pinset.sample"; minSdk = 24; targetSdk = 35 }
}
dependencies {
    implementation("dev.pinset:pinset-android") // the included bindings-android build
    implementation("com.squareup.okhttp3:okhttp:4.12.0")
}
