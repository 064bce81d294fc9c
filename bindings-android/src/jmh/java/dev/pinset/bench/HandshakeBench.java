package dev.pinset.bench;

import dev.pinset.Pinset;
import dev.pinset.PinsetTrustManager;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;
import okhttp3.CertificatePinner;
import okhttp3.tls.HandshakeCertificates;
import okhttp3.tls.HeldCertificate;

/**
 * Whole TLS 1.3 handshakes on 127.0.0.1, one process, interleaved and paired: each round runs one
 * handshake whose trust manager is the platform's with OkHttp's {@code CertificatePinner.check}
 * on the peer chain afterwards (what an OkHttp client with a pinner does), and one with
 * {@code PinsetTrustManager} over the same platform trust manager, in alternating order, each
 * with a fresh {@code SSLContext} (no resumption). The paired difference (pinset - OkHttp) per
 * round is reported as its median and mean with a 95% interval; also both arms' medians.
 *
 * <p>The whole-handshake difference is a few microseconds inside a handshake of milliseconds whose
 * spread on a shared machine is far larger, so the rounds also time, inside the same handshakes,
 * the work each arm adds to the platform's validation: in the OkHttp arm {@code
 * getPeerCertificates()} plus {@code CertificatePinner.check}; in the pinset arm the time inside
 * {@code PinsetTrustManager.checkServerTrusted} minus the time inside the platform trust manager
 * it calls (both trust managers are wrapped in the same {@link Timed} shim, which only reads the
 * clock). Run by {@code bash scripts/jvm-bench.sh handshake}. No timing assertions anywhere.
 *
 * <p>Third argument, what the pinset arm has seen before (both arms always handshake with the
 * same server chain in a round): {@code repeat} (the default: one trust manager and one
 * {@code Pinset}, the same chain every round, so from the second round on the Pinset's verdict
 * cache answers); {@code newpins} (the same chain, but the trust manager's provider hands it a new
 * {@code Pinset} of the same manifest every round, loaded before the round's clock starts, as after
 * an accepted update: no verdict and no pin hash of that Pinset is cached, the trust manager's
 * signature-link cache is); {@code newchain} (one trust manager and Pinset, but the server presents
 * a new leaf every round: the chain is seen for the first time, verdict, leaf hash and leaf link
 * uncached).
 */
public final class HandshakeBench {
    private static final String HOST = "localhost";

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
        int warmup = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
        String mode = args.length > 2 ? args[2] : "repeat";
        if (!List.of("repeat", "newpins", "newchain").contains(mode)) throw new IllegalArgumentException("mode: repeat, newpins or newchain, not " + mode);
        HeldCertificate root = new HeldCertificate.Builder().certificateAuthority(1).commonName("root").ecdsa256().build();
        HeldCertificate intermediate = new HeldCertificate.Builder().certificateAuthority(0).commonName("int").ecdsa256().signedBy(root).build();
        HeldCertificate leaf = new HeldCertificate.Builder().commonName(HOST).addSubjectAlternativeName(HOST).ecdsa256().signedBy(intermediate).build();
        // newchain: one leaf (same name, same intermediate) per round, picked by the server's key manager.
        int leaves = mode.equals("newchain") ? warmup + rounds : 1;
        X509ExtendedKeyManager[] keyManagers = new X509ExtendedKeyManager[leaves];
        for (int i = 0; i < leaves; i++) {
            HeldCertificate l = i == 0 ? leaf : new HeldCertificate.Builder().commonName(HOST).addSubjectAlternativeName(HOST).ecdsa256().signedBy(intermediate).build();
            keyManagers[i] = (X509ExtendedKeyManager) new HandshakeCertificates.Builder().heldCertificate(l, intermediate.certificate()).build().keyManager();
        }
        Rotating serverKeys = new Rotating(keyManagers);
        SSLContext serverContext = SSLContext.getInstance("TLS");
        serverContext.init(new KeyManager[] {serverKeys}, null, null);

        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        ks.setCertificateEntry("root", root.certificate());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        X509ExtendedTrustManager jdk = (X509ExtendedTrustManager) tmf.getTrustManagers()[0];
        Timed platform = new Timed(jdk);

        String backup = CertificatePinner.pin(new HeldCertificate.Builder().ecdsa256().build().certificate());
        String intPin = CertificatePinner.pin(intermediate.certificate());
        CertificatePinner pinner = new CertificatePinner.Builder().add(HOST, backup, intPin).build();
        String manifest = "version = 1\n[[domain]]\nname = \"" + HOST + "\"\npins = [\"" + backup + "\", \"" + intPin + "\"]\n";
        Timed platformUnderPinset = new Timed(jdk);
        Pinset[] current = {Pinset.Companion.load(manifest)};
        // The provider constructor (what PinsetUpdater uses): read once per handshake.
        PinsetTrustManager pinsetTm = new PinsetTrustManager(() -> current[0], platformUnderPinset);
        Timed ours = new Timed(pinsetTm);

        SSLServerSocket server = (SSLServerSocket) serverContext.getServerSocketFactory().createServerSocket(0, 50, InetAddress.getLoopbackAddress());
        server.setEnabledProtocols(new String[] {"TLSv1.3"});
        Thread acceptor = new Thread(() -> serve(server), "handshake-server");
        acceptor.setDaemon(true);
        acceptor.start();
        int port = server.getLocalPort();

        long[] okhttp = new long[rounds];
        long[] pin = new long[rounds];
        long[] okhttpWork = new long[rounds];
        long[] pinsetWork = new long[rounds];
        for (int i = -warmup; i < rounds; i++) {
            boolean pinsetFirst = (i & 1) == 0;
            if (mode.equals("newpins")) current[0] = Pinset.Companion.load(manifest);
            if (mode.equals("newchain")) serverKeys.index = i + warmup;
            long a, b;
            if (pinsetFirst) {
                b = handshake(port, ours, null);
                a = handshake(port, platform, pinner);
            } else {
                a = handshake(port, platform, pinner);
                b = handshake(port, ours, null);
            }
            if (i >= 0) {
                okhttp[i] = a;
                pin[i] = b;
                okhttpWork[i] = pinnerNanos;
                pinsetWork[i] = ours.last - platformUnderPinset.last;
            }
        }
        server.close();
        long[] diff = new long[rounds];
        double sum = 0;
        for (int i = 0; i < rounds; i++) {
            diff[i] = pin[i] - okhttp[i];
            sum += diff[i];
        }
        double mean = sum / rounds;
        double var = 0;
        for (long d : diff) var += (d - mean) * (d - mean);
        double sd = Math.sqrt(var / (rounds - 1));
        double ci = 1.96 * sd / Math.sqrt(rounds);
        System.out.printf("JVM: %s %s; %d paired rounds after %d warm-up rounds; validation branch: %s; chain: %s%n",
                System.getProperty("java.vm.name"), System.getProperty("java.version"), rounds, warmup, pinsetTm.getValidationBranch(), mode);
        System.out.printf("handshake okhttp+CertificatePinner median %.1f us%n", median(okhttp) / 1e3);
        System.out.printf("handshake pinset trust manager     median %.1f us%n", median(pin) / 1e3);
        System.out.printf("paired difference pinset - okhttp: median %.1f us, mean %.1f us +- %.1f us (95%%)%n",
                median(diff) / 1e3, mean / 1e3, ci / 1e3);
        long[] workDiff = new long[rounds];
        for (int i = 0; i < rounds; i++) workDiff[i] = pinsetWork[i] - okhttpWork[i];
        System.out.printf("in-handshake work beyond the platform's validation: okhttp getPeerCertificates+CertificatePinner.check median %.2f us, p90 %.2f us%n",
                median(okhttpWork) / 1e3, quantile(okhttpWork, 0.9) / 1e3);
        System.out.printf("in-handshake work beyond the platform's validation: PinsetTrustManager median %.2f us, p90 %.2f us%n",
                median(pinsetWork) / 1e3, quantile(pinsetWork, 0.9) / 1e3);
        System.out.printf("paired difference of that work pinset - okhttp: median %.2f us, p90 %.2f us%n",
                median(workDiff) / 1e3, quantile(workDiff, 0.9) / 1e3);
    }

    private static double quantile(long[] v, double q) {
        long[] s = v.clone();
        Arrays.sort(s);
        return s[Math.min(s.length - 1, (int) Math.floor(q * s.length))];
    }

    /** Nanoseconds of the last {@code CertificatePinner.check} (with {@code getPeerCertificates()}). */
    private static long pinnerNanos;

    /**
     * Delegates to a trust manager and records how long its last {@code checkServerTrusted} took;
     * the same shim wraps the platform trust manager in both arms and the pinset trust manager.
     */
    static final class Timed extends X509ExtendedTrustManager {
        private final X509ExtendedTrustManager tm;
        volatile long last;

        Timed(X509ExtendedTrustManager tm) {
            this.tm = tm;
        }

        /** One of the trust manager's {@code checkServerTrusted} overloads. */
        @FunctionalInterface
        private interface Check {
            void run() throws CertificateException;
        }

        /** Runs {@code check} (built before the clock is read) and records how long it took. */
        private void timed(Check check) throws CertificateException {
            long t0 = System.nanoTime();
            try {
                check.run();
            } finally {
                last = System.nanoTime() - t0;
            }
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            timed(() -> tm.checkServerTrusted(chain, authType, socket));
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            timed(() -> tm.checkServerTrusted(chain, authType, engine));
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            timed(() -> tm.checkServerTrusted(chain, authType));
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            tm.checkClientTrusted(chain, authType, socket);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            tm.checkClientTrusted(chain, authType, engine);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            tm.checkClientTrusted(chain, authType);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return tm.getAcceptedIssuers();
        }
    }

    /** The server's key manager: every call goes to {@code managers[index]} (set between rounds). */
    static final class Rotating extends X509ExtendedKeyManager {
        private final X509ExtendedKeyManager[] managers;
        volatile int index;

        Rotating(X509ExtendedKeyManager[] managers) {
            this.managers = managers;
        }

        private X509ExtendedKeyManager km() {
            return managers[index];
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return km().getClientAliases(keyType, issuers);
        }

        @Override
        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            return km().chooseClientAlias(keyType, issuers, socket);
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return km().getServerAliases(keyType, issuers);
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return km().chooseServerAlias(keyType, issuers, socket);
        }

        @Override
        public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
            return km().chooseEngineServerAlias(keyType, issuers, engine);
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return km().getCertificateChain(alias);
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return km().getPrivateKey(alias);
        }
    }

    private static double median(long[] v) {
        long[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2.0;
    }

    /** One full handshake with a fresh context; [pinner] checked on the peer chain when given. */
    private static long handshake(int port, X509TrustManager tm, CertificatePinner pinner) throws Exception {
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, new X509TrustManager[] {tm}, null);
        long t0 = System.nanoTime();
        try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(HOST, port)) {
            SSLParameters p = s.getSSLParameters();
            p.setEndpointIdentificationAlgorithm("HTTPS");
            p.setServerNames(List.of(new javax.net.ssl.SNIHostName(HOST)));
            s.setSSLParameters(p);
            s.startHandshake();
            if (pinner != null) {
                long p0 = System.nanoTime();
                List<Certificate> peer = new ArrayList<>(Arrays.asList(s.getSession().getPeerCertificates()));
                pinner.check(HOST, peer);
                pinnerNanos = System.nanoTime() - p0;
            }
            long t = System.nanoTime() - t0;
            OutputStream out = s.getOutputStream();
            out.write(1);
            out.flush();
            return t;
        }
    }

    private static void serve(ServerSocket server) {
        while (!server.isClosed()) {
            try (Socket s = server.accept()) {
                ((SSLSocket) s).startHandshake();
                InputStream in = s.getInputStream();
                in.read();
            } catch (Exception e) {
                if (server.isClosed()) return;
            }
        }
    }
}
