package dev.mmu.interp.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One thing a trace step did, for tools reading the JSON report: its kind, the kernel function,
 * and the gfn, level, pfn, vCPU or lock it names. Read from the step's text, which the model
 * writes in fixed phrases joined by "; " ({@code Exec.note}), so the text stays the one source.
 *
 * @param kind lock, spte, access, host, rcu, flush, condition, invariant, kernel or statement
 * @param function the kernel function the clause names, or null
 * @param fields numbers and names the clause carries, only those present: gfn, level, pfn,
 *     pfnLast (a range), gpa, vcpu, access, lock, invariant, from and to (an SPTE's change)
 * @param text the clause as the trace prints it
 */
public record StepEvent(String kind, String function, Map<String, Object> fields, String text) {
    /** The order fields are written in, whatever order the clause names them. */
    private static final List<String> ORDER = List.of("gfn", "level", "pfn", "pfnLast", "gpa", "vcpu", "access", "lock",
            "invariant", "from", "to");

    public StepEvent {
        Map<String, Object> ordered = new LinkedHashMap<>();
        for (String k : ORDER) if (fields.containsKey(k)) ordered.put(k, fields.get(k));
        fields = java.util.Collections.unmodifiableMap(ordered);
    }

    private static final Pattern LOCK = Pattern.compile(
            "((?:write|read|spin|mutex|srcu_read|rcu_read)_(?:un)?lock)\\(([^)]*)\\).*");
    private static final Pattern SPTE = Pattern.compile("SPTE L\\d\\[\\d+] gfn 0x[0-9a-f]+ (.*) -> (.*)");
    private static final Pattern ACCESS = Pattern.compile("vCPU (\\d+) (read|write|exec) 0x([0-9a-f]+)(?::.*)?");
    private static final Pattern RCU = Pattern.compile("RCU grace period: (\\w+) .*");
    private static final Pattern INVARIANT = Pattern.compile("!! (\\w+):.*");
    /** A kernel function leading the clause: "name(", "name:", "name " or the whole clause. */
    private static final Pattern FUNCTION = Pattern.compile("([a-z][a-z0-9]*_[a-z0-9_]*)(?:[(: ].*)?");
    private static final Pattern CALL = Pattern.compile(".*?\\b([a-z][a-z0-9]*_[a-z0-9_]*)\\(.*");
    private static final Pattern GFN = Pattern.compile("\\bgfn 0x([0-9a-f]+)");
    private static final Pattern LEVEL = Pattern.compile("\\bL([1-5])\\b");
    private static final Pattern PFN = Pattern.compile("\\bpfns? 0x([0-9a-f]+)(?:\\.\\.0x([0-9a-f]+))?");

    /** The events of a step's text, one per clause. */
    public static List<StepEvent> of(String stepText) {
        List<StepEvent> events = new ArrayList<>();
        for (String clause : stepText.split("; ")) {
            if (!clause.isBlank()) events.add(parse(clause.strip()));
        }
        return events;
    }

    static StepEvent parse(String c) {
        Map<String, Object> f = new LinkedHashMap<>();
        number(GFN, c, f, "gfn");
        Matcher m = LEVEL.matcher(c);
        if (m.find()) f.put("level", Integer.parseInt(m.group(1)));
        m = PFN.matcher(c);
        if (m.find()) {
            f.put("pfn", Long.parseUnsignedLong(m.group(1), 16));
            if (m.group(2) != null) f.put("pfnLast", Long.parseUnsignedLong(m.group(2), 16));
        }
        if ((m = INVARIANT.matcher(c)).matches()) {
            f.put("invariant", m.group(1));
            return new StepEvent("invariant", null, f, c);
        }
        if ((m = LOCK.matcher(c)).matches()) {
            f.put("lock", m.group(2).isEmpty() ? "rcu" : m.group(2));
            return new StepEvent("lock", m.group(1), f, c);
        }
        if ((m = SPTE.matcher(c)).matches()) {
            f.put("from", m.group(1));
            f.put("to", m.group(2));
            return new StepEvent("spte", null, f, c);
        }
        if ((m = ACCESS.matcher(c)).matches()) {
            long gpa = Long.parseUnsignedLong(m.group(3), 16);
            f.put("gfn", gpa >>> 12);
            f.put("gpa", gpa);
            f.put("vcpu", Integer.parseInt(m.group(1)));
            f.put("access", m.group(2));
            return new StepEvent("access", null, f, c);
        }
        if (c.startsWith("host ")) return new StepEvent("host", null, f, c);
        if ((m = RCU.matcher(c)).matches()) return new StepEvent("rcu", m.group(1), f, c);
        if (c.equals("flush pending")) return new StepEvent("flush", null, f, c);
        if (c.startsWith("if ") || c.startsWith("need_resched()")) return new StepEvent("condition", null, f, c);
        if (!c.contains(" = ") && (m = FUNCTION.matcher(c)).matches()) {
            return new StepEvent(m.group(1).contains("flush") ? "flush" : "kernel", m.group(1), f, c);
        }
        m = CALL.matcher(c);
        return new StepEvent("statement", m.matches() ? m.group(1) : null, f, c);
    }

    private static void number(Pattern p, String c, Map<String, Object> f, String key) {
        Matcher m = p.matcher(c);
        if (m.find()) f.put(key, Long.parseUnsignedLong(m.group(1), 16));
    }
}
