package dev.pinset.oracle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.InvocationTargetException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import okhttp3.CertificatePinner;
import org.junit.jupiter.api.Test;

/**
 * Real OkHttp decides which pins apply to which host; pinset's import and generate must agree
 * (or have stated the difference). Cases and pinset's side come from target/cases (written by
 * the Rust `oracle-cases okhttp`).
 */
class OkHttpOracleTest {
  private static final Path CASES = Path.of(System.getProperty("pinset.cases", "target/cases"));
  private static final String PIN = "sha256/Hy5tACebRlm21vGtV+ElaOSlD4CQivUNHoYQAbK+Kjs=";

  private static List<String[]> rows() throws Exception {
    List<String[]> out = new ArrayList<>();
    for (String line : Files.readAllLines(CASES.resolve("expected.tsv"), StandardCharsets.UTF_8)) {
      if (!line.isEmpty()) out.add(line.split("\t", -1));
    }
    return out;
  }

  /** OkHttp's pins for a host, as sorted base64 joined by commas, or "-". */
  private static String okhttpPins(CertificatePinner pinner, String host) {
    TreeSet<String> set = new TreeSet<>();
    for (CertificatePinner.Pin p : pinner.findMatchingPins(host)) {
      assertEquals("sha256", p.getHashAlgorithm());
      set.add(p.getHash().base64());
    }
    return set.isEmpty() ? "-" : String.join(",", set);
  }

  private static Object call(String className, String method, Object... args) throws Exception {
    Class<?> c = Class.forName(className);
    for (var m : c.getMethods()) {
      if (m.getName().equals(method) && m.getParameterCount() == args.length) {
        try {
          return m.invoke(null, args);
        } catch (InvocationTargetException e) {
          throw (Exception) e.getCause();
        }
      }
    }
    throw new NoSuchMethodException(className + "." + method);
  }

  @Test
  void importedManifestsMeanWhatOkHttpEnforces() throws Exception {
    List<String> failures = new ArrayList<>();
    Map<String, CertificatePinner> pinners = new LinkedHashMap<>();
    Map<String, String> refused = new LinkedHashMap<>();
    int hosts = 0, stricter = 0, agreedRefusals = 0;
    for (String[] r : rows()) {
      if (r[0].equals("import")) {
        CertificatePinner pinner = null;
        try {
          pinner = (CertificatePinner) call("dev.pinset.oracle." + r[1], "pinner");
        } catch (IllegalArgumentException e) {
          // OkHttp refuses the source: pinset must refuse it too.
          if (r[2].equals("ok")) failures.add(r[1] + ": OkHttp throws " + e.getMessage() + " but pinset imported it");
          else agreedRefusals++;
          continue;
        }
        pinners.put(r[1], pinner);
        if (r[2].equals("refused")) {
          // A refusal is justified only if OkHttp gives one name's hosts different pins.
          String name = r[3];
          TreeSet<String> distinct = new TreeSet<>();
          for (String h : new String[] {name, "zz." + name, "zz.yy." + name}) {
            String p = okhttpPins(pinner, h);
            if (!p.equals("-")) distinct.add(p);
          }
          if (distinct.size() < 2) failures.add(r[1] + ": pinset refused (" + r[4] + ") but OkHttp gives " + name + " one pin-set");
          refused.put(r[1], r[4]);
        }
      } else if (r[0].equals("ihost")) {
        CertificatePinner pinner = pinners.get(r[1]);
        if (pinner == null) continue;
        hosts++;
        String ok = okhttpPins(pinner, r[2]);
        String ps = r[3];
        if (ok.equals(ps)) continue;
        if (ok.equals("-") && r[5].equals("1")) {
          stricter++;
          continue;
        }
        failures.add(r[1] + " " + r[2] + ": OkHttp " + ok + ", pinset (rule " + r[4] + ") " + ps);
      }
    }
    System.out.printf(
        "okhttp-oracle import: %d sources imported, %d refused by pinset, %d refused by both, %d host checks, %d stated stricter%n",
        pinners.size() - refused.size(), refused.size(), agreedRefusals, hosts, stricter);
    assertTrue(failures.isEmpty(), String.join("\n", failures));
    assertTrue(hosts > 1000, "too few host checks: " + hosts);
  }

  @Test
  void generatedPinnersEnforceWhatTheManifestMeans() throws Exception {
    List<String> failures = new ArrayList<>();
    long now = 0;
    Map<String, CertificatePinner> pinners = new LinkedHashMap<>();
    int hosts = 0, stated = 0, refused = 0;
    for (String[] r : rows()) {
      switch (r[0]) {
        case "now" -> now = Long.parseLong(r[1]);
        case "gen" -> {
          if (r[2].equals("ok")) {
            pinners.put(r[1], (CertificatePinner) call("dev.pinset.oracle." + r[1] + ".PinsetPins", "certificatePinner", now));
          } else refused++;
        }
        case "ghost" -> {
          CertificatePinner pinner = pinners.get(r[1]);
          hosts++;
          String ok = okhttpPins(pinner, r[2]);
          // r[3]: what the generator promises OkHttp enforces; r[4]: the manifest's meaning.
          if (!ok.equals(r[3])) failures.add(r[1] + " " + r[2] + ": OkHttp " + ok + ", generator promised " + r[3]);
          if (!r[3].equals(r[4])) {
            if (r[5].equals("1")) stated++;
            else failures.add(r[1] + " " + r[2] + ": weaker than the manifest (" + r[4] + ") without a stated weakness");
          }
        }
        default -> {}
      }
    }
    System.out.printf(
        "okhttp-oracle generate: %d pinners compiled, %d manifests refused by the generator, %d host checks, %d stated weaker%n",
        pinners.size(), refused, hosts, stated);
    assertTrue(failures.isEmpty(), String.join("\n", failures));
    assertTrue(pinners.size() > 40, "too few generated pinners");
  }

  @Test
  void hostNamesPinsetRefusesAreRefusedOrMappedDifferentlyByOkHttp() throws Exception {
    boolean okhttp4 = okhttp3.OkHttp.VERSION.startsWith("4.");
    for (String[] r : rows()) {
      if (!r[0].equals("hostrule")) continue;
      String host = r[1];
      boolean okhttpAccepts;
      List<String> matched = new ArrayList<>();
      try {
        CertificatePinner p = new CertificatePinner.Builder().add(host, PIN).build();
        okhttpAccepts = true;
        for (String h : new String[] {host, "fass.example", "xn--fa-hia.example", "xn--4xa.example", "\u03c3.example", "ab.example", "127.0.0.1"}) {
          if (!p.findMatchingPins(h).isEmpty()) matched.add(h);
        }
      } catch (IllegalArgumentException e) {
        okhttpAccepts = false;
      }
      System.out.printf("okhttp-oracle host %s: pinset %s, OkHttp %s %s%n", host, r[2], okhttpAccepts ? "accepts, matches" : "refuses", matched);
      if (r[2].equals("ok")) {
        assertTrue(okhttpAccepts, host + ": pinset accepts what OkHttp refuses");
        continue;
      }
      if (host.equals("faß.example")) {
        // OkHttp 4 (java.net.IDN, IDNA 2003) maps ß to ss; OkHttp 5 keeps it (IDNA 2008 A-label):
        // the same pattern pins a different host on each, which is why pinset refuses it.
        String expected = okhttp4 ? "fass.example" : "xn--fa-hia.example";
        assertEquals(List.of(expected), matched, "OkHttp " + okhttp3.OkHttp.VERSION);
      }
      if (host.matches(".*[@%\\[\\]\\\\ #/?:].*") && !host.equals("a:b.example")) {
        assertFalse(okhttpAccepts, host + ": OkHttp accepts it");
      }
    }
  }
}
