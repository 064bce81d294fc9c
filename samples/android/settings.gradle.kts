// Sample app (recipe; not built on the Linux CI host: no Android SDK/Gradle there).
rootProject.name = "pinset-sample"
include(":app")
includeBuild("../../bindings-android")
