package dev.pinset.bench;

import dev.pinset.Pinset;
import dev.pinset.PinningException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLPeerUnverifiedException;
import okhttp3.CertificatePinner;
import okhttp3.tls.HeldCertificate;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The pin check on the same validated chain (leaf → intermediate → root, P-256, made by
 * okhttp-tls) and host, pinset's Kotlin API through UniFFI/JNA vs OkHttp 4.12's
 * {@code CertificatePinner.check}: a hit on the intermediate (the second certificate, as in the
 * Rust {@code evaluate/chain3_hit}) and a miss. The FFI cost is reported separately: a call that
 * passes a host string and returns a boolean ({@code isPinned}), and the Java-side encoding of the
 * chain ({@code getEncoded} of three certificates), which pinset needs and OkHttp does not.
 * {@code *Hit}: the same path on every call, as every handshake with one server presents it
 * (pinset's pin cache then serves the pins: exact DER bytes compared); {@code *HitFirstSight}: a
 * path not seen recently on every call (nothing cached).
 * Run with {@code bash scripts/jvm-bench.sh}; no timing assertions anywhere.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {"-Xms256m", "-Xmx256m"})
public class PinCheckJmh {
    private static final String HOST = "api.example.com";

    private List<Certificate> chain;
    private List<X509Certificate> x509Chain;
    private CertificatePinner okHit;
    private CertificatePinner okMiss;
    private Pinset hit;
    private Pinset miss;

    private static String manifest(String a, String b) {
        return "version = 1\n[[domain]]\nname = \"" + HOST + "\"\npins = [\"" + a + "\", \"" + b + "\"]\n";
    }

    @Setup
    public void setup() {
        HeldCertificate root = new HeldCertificate.Builder().certificateAuthority(1).commonName("root").ecdsa256().build();
        HeldCertificate intermediate = new HeldCertificate.Builder().certificateAuthority(0).commonName("int").ecdsa256().signedBy(root).build();
        HeldCertificate leaf = new HeldCertificate.Builder().commonName(HOST).addSubjectAlternativeName(HOST).ecdsa256().signedBy(intermediate).build();
        x509Chain = List.of(leaf.certificate(), intermediate.certificate(), root.certificate());
        chain = new ArrayList<>(x509Chain);
        String backup = CertificatePinner.pin(new HeldCertificate.Builder().ecdsa256().build().certificate());
        String other = CertificatePinner.pin(new HeldCertificate.Builder().ecdsa256().build().certificate());
        String intPin = CertificatePinner.pin(intermediate.certificate());
        okHit = new CertificatePinner.Builder().add(HOST, backup, intPin).build();
        okMiss = new CertificatePinner.Builder().add(HOST, backup, other).build();
        hit = Pinset.Companion.load(manifest(backup, intPin));
        miss = Pinset.Companion.load(manifest(backup, other));
        if (!"jni".equals(dev.pinset.FastPath.INSTANCE.getMode())) {
            throw new IllegalStateException("the JNI fast path did not load");
        }
        // Both libraries must agree before anything is timed.
        if (!okhttpHit() || okhttpMiss() || !pinsetHit() || pinsetMiss()) {
            throw new IllegalStateException("pinset and OkHttp disagree on the benchmark chain");
        }
    }

    @Benchmark
    public boolean okhttpHit() {
        try {
            okHit.check(HOST, chain);
            return true;
        } catch (SSLPeerUnverifiedException e) {
            return false;
        }
    }

    @Benchmark
    public boolean okhttpMiss() {
        try {
            okMiss.check(HOST, chain);
            return true;
        } catch (SSLPeerUnverifiedException e) {
            return false;
        }
    }

    /** {@code Pinset.enforce}: the call the trust manager makes (throws like OkHttp on a miss). */
    @Benchmark
    public boolean pinsetHit() {
        try {
            hit.enforce(HOST, x509Chain, null);
            return true;
        } catch (PinningException e) {
            return false;
        }
    }

    @Benchmark
    public boolean pinsetMiss() {
        try {
            miss.enforce(HOST, x509Chain, null);
            return true;
        } catch (PinningException e) {
            return false;
        }
    }

    /** {@code Pinset.check}: the full verdict (every certificate's pin as a string). */
    @Benchmark
    public boolean pinsetCheckVerdictHit() {
        return hit.check(HOST, x509Chain, null).getAllowed();
    }

    /** One FFI round trip: a host string in, a boolean out (host normalised and looked up in Rust). */
    @Benchmark
    public boolean ffiRoundTripIsPinned() {
        return hit.isPinned(HOST);
    }

    private byte[] refusedInput;

    /** The fast path's JNI call alone (what {@code enforce} uses): handle 0 is refused at once. */
    @Benchmark
    public int ffiFastPathJniCallOnly() {
        return dev.pinset.FastPathJni.decide(0L, refusedInput, refusedInput.length, 0L);
    }

    /** The same through JNA direct mapping (the fallback when JNI registration fails). */
    @Benchmark
    public int ffiFastPathCallOnly() {
        return dev.pinset.FastPath.INSTANCE.pinset_fast_decide(0L, refusedInput, refusedInput.length, 0L);
    }

    @Benchmark
    public int encodePublicKeysFirstSight() {
        next = (next + 1) % ROTATION;
        int n = 0;
        for (X509Certificate c : x509Rotation.get(next)) {
            n += c.getPublicKey().getEncoded().length;
        }
        return n;
    }

    @Benchmark
    public int encodeChainFirstSight() throws Exception {
        next = (next + 1) % ROTATION;
        int n = 0;
        for (X509Certificate c : x509Rotation.get(next)) {
            n += c.getEncoded().length;
        }
        return n;
    }

    @Benchmark
    public int encodePublicKeys() {
        int n = 0;
        for (X509Certificate c : x509Chain) {
            n += c.getPublicKey().getEncoded().length;
        }
        return n;
    }

    /** The chain's DER as pinset passes it (OkHttp hashes the parsed public keys instead). */
    @Benchmark
    public int encodeChain() throws Exception {
        int n = 0;
        for (X509Certificate c : x509Chain) {
            n += c.getEncoded().length;
        }
        return n;
    }

    /**
     * First sight: every call gets a path neither library has seen in the last {@value #ROTATION}
     * calls (a fresh leaf and a re-issued intermediate with the same key, so the same pin), more than
     * pinset's pin cache holds: every certificate is located and hashed, as on a first handshake.
     */
    private static final int ROTATION = 64;

    private List<List<Certificate>> rotation;
    private List<List<X509Certificate>> x509Rotation;
    private int next;

    @Setup
    public void setupRotation() {
        HeldCertificate root = new HeldCertificate.Builder().certificateAuthority(1).commonName("root").ecdsa256().build();
        java.security.KeyPair intKeys = new HeldCertificate.Builder().ecdsa256().build().keyPair();
        rotation = new ArrayList<>();
        x509Rotation = new ArrayList<>();
        for (int i = 0; i < ROTATION; i++) {
            HeldCertificate intermediate = new HeldCertificate.Builder().certificateAuthority(0).commonName("int")
                .keyPair(intKeys).serialNumber(1000 + i).signedBy(root).build();
            HeldCertificate leaf = new HeldCertificate.Builder().commonName(HOST).addSubjectAlternativeName(HOST)
                .ecdsa256().serialNumber(5000 + i).signedBy(intermediate).build();
            List<X509Certificate> c = List.of(leaf.certificate(), intermediate.certificate(), root.certificate());
            x509Rotation.add(c);
            rotation.add(new ArrayList<>(c));
        }
        String backup = CertificatePinner.pin(new HeldCertificate.Builder().ecdsa256().build().certificate());
        String intPin = CertificatePinner.pin(x509Rotation.get(0).get(1));
        okRotating = new CertificatePinner.Builder().add(HOST, backup, intPin).build();
        rotating = Pinset.Companion.load(manifest(backup, intPin));
        for (int i = 0; i < ROTATION; i++) {
            if (!okhttpHitFirstSight() || !pinsetHitFirstSight()) {
                throw new IllegalStateException("a rotated path does not match its pin");
            }
        }
        refusedInput = dev.pinset.FastPath.INSTANCE.input(HOST, x509Chain, null);
    }

    private Pinset reportOnly;

    @Setup
    public void setupReportOnly() {
        String a = CertificatePinner.pin(new HeldCertificate.Builder().ecdsa256().build().certificate());
        String b = CertificatePinner.pin(new HeldCertificate.Builder().ecdsa256().build().certificate());
        reportOnly = Pinset.Companion.load(manifest(a, b) + "enforce = false\n");
        reportOnly.setReporter((json, reportUris) -> { });
    }

    /**
     * A report-only rule that the path violates, every call (a pinning rollout): the connection
     * proceeds; the report is built and sent once, then de-duplicated for 24 h.
     */
    @Benchmark
    public boolean pinsetReportOnlyRepeat() {
        try {
            reportOnly.enforce(HOST, x509Chain, null);
            return true;
        } catch (PinningException e) {
            return false;
        }
    }

    private CertificatePinner okRotating;
    private Pinset rotating;

    @Benchmark
    public boolean okhttpHitFirstSight() {
        next = (next + 1) % ROTATION;
        try {
            okRotating.check(HOST, rotation.get(next));
            return true;
        } catch (SSLPeerUnverifiedException e) {
            return false;
        }
    }

    @Benchmark
    public boolean pinsetHitFirstSight() {
        next = (next + 1) % ROTATION;
        try {
            rotating.enforce(HOST, x509Rotation.get(next), null);
            return true;
        } catch (PinningException e) {
            return false;
        }
    }
}
