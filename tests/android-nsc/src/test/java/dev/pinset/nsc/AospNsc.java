package dev.pinset.nsc;

import android.content.Context;
import android.content.pm.ApplicationInfo;
import android.os.Build;
import android.security.net.config.ApplicationConfig;
import android.security.net.config.CertificatesEntryRef;
import android.security.net.config.Domain;
import android.security.net.config.NetworkSecurityConfig;
import android.security.net.config.Pin;
import android.security.net.config.PinSet;
import android.security.net.config.XmlConfigSource;
import android.util.Pair;
import java.io.File;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.robolectric.RuntimeEnvironment;

/**
 * The real AOSP Network Security Config parser ({@code XmlConfigSource}, {@code ApplicationConfig}
 * from android-all) on one case directory, reported in plain strings (so test classes need no
 * android types in their signatures).
 */
final class AospNsc {
  private AospNsc() {}

  /**
   * What Android decided: "domains" (NAME INCLUDE;…), "default-ct" (the platform's CT default for
   * this app, or n/a before API 36) and per host "PINS\tEXPIRY\tANCHORS\tCT".
   */
  static Map<String, String> read(File caseDir, boolean debuggable, List<String> hosts) throws Exception {
    Context app = RuntimeEnvironment.getApplication();
    FileResources res = new FileResources(app.getResources(), new File(caseDir, "res"));
    ApplicationInfo info = new ApplicationInfo();
    info.targetSdkVersion = Build.VERSION.SDK_INT;
    info.flags = debuggable ? ApplicationInfo.FLAG_DEBUGGABLE : 0;
    XmlConfigSource source = new XmlConfigSource(FileResources.wrap(app, res), FileResources.XML_ID, info);
    Map<String, String> out = new LinkedHashMap<>();
    Set<Pair<Domain, NetworkSecurityConfig>> perDomain = source.getPerDomainConfigs();
    TreeSet<String> domains = new TreeSet<>();
    for (Pair<Domain, NetworkSecurityConfig> p : perDomain) {
      domains.add(p.first.hostname + " " + p.first.subdomainsIncluded);
    }
    out.put("domains", String.join(";", domains));
    ApplicationConfig config = new ApplicationConfig(source);
    // Certificate Transparency (API 36+; absent before, reported as n/a).
    Method ct = null;
    try {
      ct = NetworkSecurityConfig.class.getMethod("isCertificateTransparencyVerificationRequired");
    } catch (NoSuchMethodException e) {
      // SDK 34/35: no CT setting; the element is skipped as unknown.
    }
    String defaultCt = "n/a";
    if (ct != null) {
      Object builder = NetworkSecurityConfig.class.getMethod("getDefaultBuilder", ApplicationInfo.class).invoke(null, info);
      defaultCt = String.valueOf(ct.invoke(builder.getClass().getMethod("build").invoke(builder)));
    }
    out.put("default-ct", defaultCt);
    for (String h : hosts) {
      NetworkSecurityConfig c = config.getConfigForHostname(h);
      PinSet ps = c.getPins();
      TreeSet<String> pins = new TreeSet<>();
      for (Pin pin : ps.pins) {
        if (!pin.digestAlgorithm.equalsIgnoreCase("SHA-256")) throw new AssertionError(pin.digestAlgorithm);
        pins.add(Base64.getEncoder().encodeToString(pin.digest));
      }
      String expiry = pins.isEmpty() || ps.expirationTime == Long.MAX_VALUE ? "-" : Long.toString(ps.expirationTime);
      TreeSet<String> anchors = new TreeSet<>();
      // The configured sources (getTrustAnchors() would load certificates; the host has no
      // /system/etc/security/cacerts).
      Field refs = NetworkSecurityConfig.class.getDeclaredField("mCertificatesEntryRefs");
      refs.setAccessible(true);
      for (Object ref : (List<?>) refs.get(c)) {
        Method ov = CertificatesEntryRef.class.getDeclaredMethod("overridesPins");
        ov.setAccessible(true);
        anchors.add(describe(ref, res) + ((Boolean) ov.invoke(ref) ? ":override" : ""));
      }
      String hostCt = ct == null ? "n/a" : String.valueOf(ct.invoke(c));
      out.put(h, (pins.isEmpty() ? "-" : String.join(",", pins)) + "\t" + expiry + "\t" + String.join(",", anchors) + "\t" + hostCt);
    }
    return out;
  }

  private static String describe(Object ref, FileResources res) throws Exception {
    Field f = CertificatesEntryRef.class.getDeclaredField("mSource");
    f.setAccessible(true);
    Object source = f.get(ref);
    String cls = source.getClass().getSimpleName();
    switch (cls) {
      case "SystemCertificateSource":
        return "system";
      case "UserCertificateSource":
        return "user";
      case "ResourceCertificateSource": {
        Field id = source.getClass().getDeclaredField("mResourceId");
        id.setAccessible(true);
        return "raw:" + res.rawName((Integer) id.get(source));
      }
      default:
        return cls;
    }
  }

  static List<String> causes(Throwable t) {
    List<String> out = new ArrayList<>();
    for (Throwable c = t; c != null; c = c.getCause()) out.add(c.getClass().getSimpleName() + ": " + c.getMessage());
    return out;
  }
}
