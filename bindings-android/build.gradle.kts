// Android AAR: cargo-ndk builds libpinset_ffi.so for four ABIs with the `mobile` profile; the
// link flags (packed relocations for minSdk 24, 16 KB page alignment for NDKs before r28) come
// from the repository's .cargo/config.toml,
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
    // OkHttp types are in the public API (OkHttpClient.Builder.pinset, the signing Interceptor).
    // Supported: 4.12.0 and 5.x; both majors are tested on the host JVM (4.12.0 and 5.5.1, see
    // docs/mobile.md). An app may ask for 5.x: Gradle picks OkHttp 5's Android variant itself.
    api("com.squareup.okhttp3:okhttp:4.12.0")
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
// The shipped libraries are stripped, and UniFFI reads its metadata from the symbol table: generate
// from an unstripped host build of the same sources (same metadata, same checksums; JNA checks them
// against the packaged library at load).
val hostLib by tasks.registering(Exec::class) {
    workingDir = root
    commandLine("cargo", "build", "--locked", "-p", "pinset-ffi", "--lib")
}
val uniffiKotlin by tasks.registering(Exec::class) {
    dependsOn(cargoNdk, hostLib)
    workingDir = root
    commandLine(
        "cargo", "run", "-p", "uniffi-bindgen", "--", "generate", "--config", "bindings-android/uniffi-android.toml",
        "--library", "${root}/target/debug/libpinset_ffi.so",
        "-l", "kotlin", "-o", "${projectDir}/build/generated/uniffi",
    )
    // uniffi-android.toml = the root uniffi.toml with android = true, android_cleaner = true
    // (the host-JVM build uses the root file, android = false).
}
tasks.named("preBuild") { dependsOn(uniffiKotlin) }
