package dev.mmu.interp.report;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The report formats by --format name. */
public final class Formats {
    private static final Map<String, Reporter> ALL = new LinkedHashMap<>();

    static {
        for (Reporter r : List.of(new TextReport(), new JsonReport(), new JunitXmlReport(), new TapReport(),
                new KtapReport(), new HtmlReport())) {
            ALL.put(r.format(), r);
        }
    }

    private Formats() {}

    public static Reporter byName(String name) {
        Reporter r = ALL.get(name);
        if (r == null) throw new IllegalArgumentException("unknown format '" + name + "' (use one of " + names() + ")");
        return r;
    }

    public static String names() {
        return String.join(", ", ALL.keySet());
    }
}
