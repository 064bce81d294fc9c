package dev.pinset.nsc;

import static org.junit.Assert.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.robolectric.RobolectricTestRunner;

/**
 * Every NSC that `pinset generate android-nsc` writes, and every NSC file the importer reads,
 * through Android's own parser (SDK 34 under Robolectric): per host the pins, expiry, trust
 * anchors and overridePins Android applies must equal what pinset's manifest means, or be a
 * stated weakness; files Android refuses pinset refuses. Cases: target/cases/expected.tsv.
 */
@RunWith(RobolectricTestRunner.class)
public class NscOracleTest {
  private static final File CASES = new File(System.getProperty("pinset.cases", "target/cases"));

  /** Refusals where Android accepts but the manifest cannot say the same thing (stated). */
  private static final String[] STRICTER_REFUSALS = {
    "restricts trust to its own anchors", "base-config trust anchors", "public suffix", "nothing to import",
    "is not ASCII", "not in canonical form", "includeSubdomains must be", "overridePins must be",
    "trust-anchors without certificates", "src=\"user\"",
    // Android 16's rule; SDK 34 predates the element and skips it.
    "certificateTransparency not allowed in debug-overrides",
    // A CT-only domain-config (no pins) cannot be a manifest rule; non-boolean spellings.
    "sets certificateTransparency differently", "certificateTransparency enabled must be",
  };

  static final class Case {
    String kind;
    String status;
    String message = "";
    final List<String> domains = new ArrayList<>();
    final Map<String, String[]> hosts = new LinkedHashMap<>();
  }

  @Test
  public void aospParserAgreesWithPinset() throws Exception {
    Map<String, Case> cases = new LinkedHashMap<>();
    for (String line : Files.readAllLines(new File(CASES, "expected.tsv").toPath(), StandardCharsets.UTF_8)) {
      String[] r = line.split("\t", -1);
      switch (r[0]) {
        case "case" -> {
          Case c = new Case();
          c.kind = r[2];
          c.status = r[3];
          if (r.length > 4) c.message = r[4];
          cases.put(r[1], c);
        }
        case "domain" -> cases.get(r[1]).domains.add(r[2] + " " + r[3]);
        case "host" -> cases.get(r[1]).hosts.put(r[2], r);
        default -> {}
      }
    }
    List<String> failures = new ArrayList<>();
    int hostChecks = 0, bothRefused = 0, stricterRefusals = 0, overrideNotes = 0, statedWeaker = 0;
    int ctChecks = 0, ctStated = 0;
    for (Map.Entry<String, Case> e : cases.entrySet()) {
      String name = e.getKey();
      Case c = e.getValue();
      List<String> hosts = new ArrayList<>(c.hosts.keySet());
      if (hosts.isEmpty()) hosts.add("a.example");
      Map<String, String> release, debug;
      try {
        release = AospNsc.read(new File(CASES, name), false, hosts);
        debug = AospNsc.read(new File(CASES, name), true, hosts);
      } catch (RuntimeException ex) {
        List<String> why = AospNsc.causes(ex);
        System.out.println("nsc-oracle " + name + ": Android refuses: " + why.get(why.size() - 1) + " | pinset: " + c.status + " " + c.message);
        if (c.status.equals("ok")) {  failures.add(name + ": Android refuses (" + why + ") but pinset " + c.kind + " accepted it"); }
        else bothRefused++;
        continue;
      }
      if (c.status.equals("refused")) {
        boolean stated = false;
        for (String s : STRICTER_REFUSALS) stated |= c.message.contains(s);
        if (c.kind.equals("import") && stated) stricterRefusals++;
        else failures.add(name + ": Android accepts but pinset " + c.kind + " refused: " + c.message);
        continue;
      }
      TreeSet<String> android = new TreeSet<>(List.of(release.get("domains").split(";")));
      for (String d : c.domains) {
        if (!android.contains(d)) failures.add(name + ": manifest rule " + d + " is not an Android domain " + android);
      }
      if (c.kind.equals("generate") && !android.equals(new TreeSet<>(c.domains))) {
        failures.add(name + ": Android domains " + android + " != manifest rules " + c.domains);
      }
      for (String h : c.hosts.keySet()) {
        hostChecks++;
        String[] exp = c.hosts.get(h); // host case H pins expiry anchors debug-anchors stated
        String[] rel = release.get(h).split("\t", -1);
        String[] dbg = debug.get(h).split("\t", -1);
        String expected = exp[3] + "\t" + exp[4];
        if (!(rel[0] + "\t" + rel[1]).equals(expected) || !(dbg[0] + "\t" + dbg[1]).equals(expected)) {
          failures.add(name + " " + h + ": Android pins/expiry " + rel[0] + " " + rel[1] + " (debug " + dbg[0] + "), manifest " + expected);
        }
        if (exp[7].equals("1")) statedWeaker++;
        String relAnchors = rel[2], dbgAnchors = dbg[2];
        if (c.kind.equals("import") && (relAnchors.contains(":override") || dbgAnchors.contains(":override"))) {
          // overridePins is never imported: the manifest is stricter, and the importer says so.
          overrideNotes++;
          relAnchors = relAnchors.replace(":override", "");
          dbgAnchors = dbgAnchors.replace(":override", "");
        }
        // Certificate Transparency (API 36+): the manifest's value, `-` = the platform default.
        // Release builds only: in a debuggable build Android adds the debug CAs to every config
        // with its own trust-anchors, and a private CA turns CT off where it is not set.
        if (!rel[3].equals("n/a")) {
          String want = exp[8].equals("-") ? release.get("default-ct") : exp[8];
          if (exp[9].equals("1") && !rel[3].equals(want)) ctStated++;
          else {
            ctChecks++;
            if (!rel[3].equals(want)) failures.add(name + " " + h + ": Android certificateTransparency " + rel[3] + ", manifest " + exp[8]);
          }
        }
        if (!relAnchors.equals(exp[5])) failures.add(name + " " + h + ": Android anchors " + relAnchors + ", manifest " + exp[5]);
        if (!dbgAnchors.equals(exp[6])) failures.add(name + " " + h + ": Android debug-build anchors " + dbgAnchors + ", manifest " + exp[6]);
      }
    }
    System.out.printf("nsc-oracle: SDK %d; certificateTransparency: %d host checks, %d stated differences%n",
        android.os.Build.VERSION.SDK_INT, ctChecks, ctStated);
    if (android.os.Build.VERSION.SDK_INT >= 36) assertTrue("too few certificateTransparency checks", ctChecks > 200);
    System.out.printf(
        "nsc-oracle: %d cases, %d host checks, %d refused by both, %d import refusals where the manifest cannot say it, %d overridePins stated stricter, %d stated weaker%n",
        cases.size(), hostChecks, bothRefused, stricterRefusals, overrideNotes, statedWeaker);
    assertTrue(String.join("\n", failures), failures.isEmpty());
    assertTrue("too few host checks", hostChecks > 1000);
  }
}
