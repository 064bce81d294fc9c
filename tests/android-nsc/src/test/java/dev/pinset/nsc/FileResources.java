package dev.pinset.nsc;

import android.content.Context;
import android.content.ContextWrapper;
import android.content.res.Resources;
import android.content.res.XmlResourceParser;
import android.util.AttributeSet;
import android.util.Xml;
import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.Map;
import org.xmlpull.v1.XmlPullParser;

/**
 * A {@link Resources} over a plain {@code res/} directory, standing in for aapt2's compiled
 * resources: {@code res/xml/*.xml} through the platform's own pull parser, {@code res/raw/*} as
 * streams. Attribute typing mimics aapt2: {@code @raw/x} is a reference, true/false a boolean.
 */
final class FileResources extends Resources {
  static final int XML_ID = 0x7f0b0001;
  private final File xml;
  private final Map<String, Integer> rawIds = new LinkedHashMap<>();
  private final Map<Integer, File> rawFiles = new LinkedHashMap<>();

  FileResources(Resources base, File res) {
    super(base.getAssets(), base.getDisplayMetrics(), base.getConfiguration());
    this.xml = new File(res, "xml/network_security_config.xml");
    File[] raws = new File(res, "raw").listFiles();
    int id = 0x7f0a0001;
    if (raws != null) {
      java.util.Arrays.sort(raws);
      for (File f : raws) {
        String name = f.getName().replaceFirst("\\.[^.]*$", "");
        rawIds.put(name, id);
        rawFiles.put(id, f);
        id++;
      }
    }
  }

  /** The resource entry name Android prints in its errors, or "raw:NAME" for anchors. */
  String rawName(int id) {
    for (Map.Entry<String, Integer> e : rawIds.entrySet()) {
      if (e.getValue() == id) return e.getKey();
    }
    return "unknown-" + id;
  }

  static Context wrap(Context base, FileResources res) {
    return new ContextWrapper(base) {
      @Override
      public Resources getResources() {
        return res;
      }
    };
  }

  @Override
  public String getResourceEntryName(int id) {
    return id == XML_ID ? "network_security_config" : rawName(id);
  }

  @Override
  public String getResourcePackageName(int id) {
    return "dev.pinset.nsc";
  }

  @Override
  public String getResourceTypeName(int id) {
    return id == XML_ID ? "xml" : "raw";
  }

  /** Only the one XML file exists: a debuggable build's `<name>_debug` resource is not found. */
  @Override
  public int getIdentifier(String name, String defType, String defPackage) {
    return 0;
  }

  @Override
  public String getResourceName(int id) {
    return "dev.pinset.nsc:" + (id == XML_ID ? "xml/" : "raw/") + getResourceEntryName(id);
  }

  @Override
  public InputStream openRawResource(int id) {
    File f = rawFiles.get(id);
    if (f == null) throw new NotFoundException("raw " + id);
    try {
      return new FileInputStream(f);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public XmlResourceParser getXml(int id) {
    if (id != XML_ID) throw new NotFoundException("xml " + id);
    try {
      XmlPullParser kx = Xml.newPullParser();
      byte[] bytes = Files.readAllBytes(xml.toPath());
      kx.setInput(new InputStreamReader(new ByteArrayInputStream(bytes), StandardCharsets.UTF_8));
      return (XmlResourceParser)
          Proxy.newProxyInstance(
              FileResources.class.getClassLoader(),
              new Class<?>[] {XmlResourceParser.class},
              (proxy, m, args) -> invoke(kx, m, args));
    } catch (Exception e) {
      throw new RuntimeException(e);
    }
  }

  private Object invoke(XmlPullParser kx, Method m, Object[] args) throws Throwable {
    String name = m.getName();
    switch (name) {
      case "close":
        return null;
      case "getAttributeBooleanValue": {
        String v = args.length == 3 ? attribute(kx, (String) args[0], (String) args[1]) : kx.getAttributeValue((Integer) args[0]);
        boolean def = (Boolean) args[args.length - 1];
        if (v == null) return def;
        if (v.equalsIgnoreCase("true")) return true;
        if (v.equalsIgnoreCase("false")) return false;
        return def;
      }
      case "getAttributeResourceValue": {
        String v = args.length == 3 ? attribute(kx, (String) args[0], (String) args[1]) : kx.getAttributeValue((Integer) args[0]);
        int def = (Integer) args[args.length - 1];
        if (v != null && v.startsWith("@raw/")) {
          Integer id = rawIds.get(v.substring(5));
          return id == null ? def : id;
        }
        return def;
      }
      case "getAttributeValue":
        if (args.length == 2) return attribute(kx, (String) args[0], (String) args[1]);
        return kx.getAttributeValue((Integer) args[0]);
      case "hashCode":
        return System.identityHashCode(proxy(kx));
      case "equals":
        return args[0] == kx;
      case "toString":
        return "FileResources parser over " + xml;
      default:
        break;
    }
    if (m.getDeclaringClass() == XmlPullParser.class || m.getDeclaringClass() == AttributeSet.class && hasPullMethod(m)) {
      try {
        return XmlPullParser.class.getMethod(name, m.getParameterTypes()).invoke(kx, args);
      } catch (InvocationTargetException e) {
        throw e.getCause();
      }
    }
    throw new UnsupportedOperationException("FileResources parser: " + m);
  }

  /**
   * Compiled resources (aapt2, ResXMLParser::indexOfAttribute) match a null namespace to
   * un-namespaced attributes only; kxml2 with namespace processing matches any namespace, and
   * without it keeps the prefix in the name. Mimic the compiled form.
   */
  private static String attribute(XmlPullParser kx, String ns, String name) {
    for (int i = 0; i < kx.getAttributeCount(); i++) {
      String n = kx.getAttributeName(i);
      String attrNs = kx.getAttributeNamespace(i);
      boolean unprefixed = attrNs == null || attrNs.isEmpty();
      if (ns == null && unprefixed && n.equals(name)) return kx.getAttributeValue(i);
      if (ns != null && ns.equals(attrNs) && n.equals(name)) return kx.getAttributeValue(i);
    }
    return null;
  }

  private static Object proxy(Object o) {
    return o;
  }

  private static boolean hasPullMethod(Method m) {
    try {
      XmlPullParser.class.getMethod(m.getName(), m.getParameterTypes());
      return true;
    } catch (NoSuchMethodException e) {
      return false;
    }
  }
}
