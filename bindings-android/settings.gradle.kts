// Android library build of the Kotlin SDK. NOT executed on the Linux CI host (no Android SDK/NDK,
// no Gradle distribution there); the host-JVM tests run through pom.xml / test.sh instead.
rootProject.name = "pinset-android"
dependencyResolutionManagement {
    repositories { google(); mavenCentral() }
}
pluginManagement {
    repositories { google(); mavenCentral(); gradlePluginPortal() }
}
