// Android AAR: cargo-ndk builds libpinset_ffi.so for four ABIs (16 KB page alignment: NDK r27+
// defaults to it; for older NDKs add `-C link-arg=-Wl,-z,max-page-size=16384` via RUSTFLAGS),
// UniFFI generates Kotlin with bindings-android/uniffi-android.toml (android = true), and the
// idiomatic layer in src/main/kotlin is compiled on top. NOT executed on the Linux CI host.
plugins {
    id("com.android.library") version "8.7.3"
    id("org.jetbrains.kotlin.android") version "2.1.21"
}

android {
    namespace = "dev.pinset"
    compileSdk = 35
    defaultConfig {
        minSdk = 24
        consumerProguardFiles("consumer-rules.pro")
    }
    sourceSets["main"].java.srcDirs("src/main/kotlin", "build/generated/uniffi")
    sourceSets["main"].jniLibs.srcDirs("build/generated/jniLibs")
}

dependencies {
    implementation("net.java.dev.jna:jna:5.17.0@aar") // >= 5.17: 16 KB page-size fix
    implementation("com.squareup.okhttp3:okhttp:4.12.0")
    implementation("org.jetbrains.kotlinx:kotlinx-coroutines-core:1.9.0")
}

val root = rootDir.parentFile
val cargoNdk by tasks.registering(Exec::class) {
    workingDir = root
    commandLine(
        "cargo", "ndk", "-t", "arm64-v8a", "-t", "armeabi-v7a", "-t", "x86_64", "-t", "x86",
        "-o", "${projectDir}/build/generated/jniLibs", "build", "--profile", "mobile", "-p", "pinset-ffi",
    )
}
val uniffiKotlin by tasks.registering(Exec::class) {
    dependsOn(cargoNdk)
    workingDir = root
    commandLine(
        "cargo", "run", "-p", "uniffi-bindgen", "--", "generate", "--config", "bindings-android/uniffi-android.toml",
        "--library", "${projectDir}/build/generated/jniLibs/arm64-v8a/libpinset_ffi.so",
        "-l", "kotlin", "-o", "${projectDir}/build/generated/uniffi",
    )
    // uniffi-android.toml = the root uniffi.toml with android = true, android_cleaner = true
    // (the host-JVM build uses the root file, android = false).
}
tasks.named("preBuild") { dependsOn(uniffiKotlin) }
