package dev.mmu.interp.run;

import dev.mmu.interp.report.ShardFile;
import dev.mmu.interp.report.ShardFile.Part;
import dev.mmu.runtime.explore.Verdict;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Combines the parts of a sharded check into one verdict per expectation. A part's finding is
 * real (a trace), so one part that finds a violation (or the witness of a {@code reachable} or
 * {@code violation} expectation) decides it, with the shortest trace among the parts; the absence
 * of one is proven only when every part 1..n is present and covered its whole part; anything else
 * is UNKNOWN, naming the missing parts.
 */
public final class ShardMerge {

    /** One expectation over all parts; {@code shard} is the part whose trace is shown, 0 if none. */
    public record Merged(String expectation, Verdict verdict, String note, String schedule, int shard, Long maximum) {}

    /** One scenario over all parts. */
    public record Scenario(String file, String name, Verdict verdict, List<Merged> outcomes, long statesStored) {}

    /** The whole merge: the parts' count, which are missing, and the scenarios in first-seen order. */
    public record Result(int count, List<Integer> missing, List<String> broken, List<Scenario> scenarios) {}

    private ShardMerge() {}

    /**
     * @param parts the parts' files, any order, each part at most once, all of one count
     * @throws IllegalArgumentException if counts differ or a part is given twice
     */
    public static Result merge(List<ShardFile.Result> parts) {
        TreeMap<Integer, ShardFile.Result> byIndex = new TreeMap<>();
        int count = parts.isEmpty() ? 0 : parts.get(0).shard().count();
        for (ShardFile.Result p : parts) {
            if (p.shard().count() != count) {
                throw new IllegalArgumentException("parts of different splits: " + count + " and " + p.shard().count());
            }
            if (byIndex.put(p.shard().index(), p) != null) {
                throw new IllegalArgumentException("shard " + p.shard() + " given twice");
            }
        }
        List<Integer> missing = new ArrayList<>();
        for (int i = 1; i <= count; i++) if (!byIndex.containsKey(i)) missing.add(i);
        Map<String, Map<Integer, ShardFile.Scenario>> scenarios = new LinkedHashMap<>();
        List<String> broken = new ArrayList<>();
        for (ShardFile.Result p : byIndex.values()) {
            for (ShardFile.Scenario s : p.scenarios()) {
                scenarios.computeIfAbsent(s.file() + "\0" + s.name(), k -> new TreeMap<>()).put(p.shard().index(), s);
            }
            for (String b : p.broken()) if (!broken.contains(b)) broken.add(b);
        }
        List<Scenario> merged = new ArrayList<>();
        for (Map<Integer, ShardFile.Scenario> perPart : scenarios.values()) merged.add(scenario(count, perPart));
        return new Result(count, missing, broken, merged);
    }

    private static Scenario scenario(int count, Map<Integer, ShardFile.Scenario> perPart) {
        ShardFile.Scenario first = perPart.values().iterator().next();
        List<String> texts = new ArrayList<>();
        for (ShardFile.Scenario s : perPart.values()) {
            for (Part o : s.outcomes()) if (!texts.contains(o.expectation())) texts.add(o.expectation());
        }
        List<Merged> outcomes = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) outcomes.add(expectation(count, perPart, i, texts.get(i)));
        Verdict v = outcomes.stream().anyMatch(o -> o.verdict() == Verdict.FAIL) ? Verdict.FAIL
                : outcomes.isEmpty() || outcomes.stream().anyMatch(o -> o.verdict() == Verdict.UNKNOWN) ? Verdict.UNKNOWN
                : Verdict.PASS;
        long states = perPart.values().stream().mapToLong(ShardFile.Scenario::statesStored).sum();
        return new Scenario(first.file(), first.name(), v, outcomes, states);
    }

    /** The rule for expectation {@code i}: a finding in any part, else a proof from every part. */
    private static Merged expectation(int count, Map<Integer, ShardFile.Scenario> perPart, int i, String text) {
        boolean existential = existential(text);
        Verdict found = existential ? Verdict.PASS : Verdict.FAIL;
        Verdict none = existential ? Verdict.FAIL : Verdict.PASS;
        int best = 0;
        Part bestPart = null;
        Long maximum = null;
        List<Integer> unknown = new ArrayList<>();
        List<Integer> missing = new ArrayList<>();
        for (int k = 1; k <= count; k++) {
            ShardFile.Scenario s = perPart.get(k);
            Part p = s == null || s.outcomes().size() <= i || !s.outcomes().get(i).expectation().equals(text) ? null
                    : s.outcomes().get(i);
            if (p == null) {
                (s == null ? missing : unknown).add(k);
                continue;
            }
            if (p.maximum() != null) maximum = maximum == null ? p.maximum() : Math.max(maximum, p.maximum());
            if (p.verdict() == found) {
                if (bestPart == null || steps(p.schedule()) < steps(bestPart.schedule())) {
                    best = k;
                    bestPart = p;
                }
            } else if (p.verdict() != none) {
                unknown.add(k);
            }
        }
        if (bestPart != null) {
            String shard = "shard " + best + "/" + count;
            // a part's note names its shard already ("shard 2/4 of the search (cut at depth 7)")
            String note = bestPart.note().contains(shard) ? bestPart.note() : shard + ": " + bestPart.note();
            return new Merged(text, found, note, bestPart.schedule(), best, maximum);
        }
        if (missing.isEmpty() && unknown.isEmpty()) {
            return new Merged(text, none, "every shard of " + count + " explored its part", null, 0, maximum);
        }
        String why = (missing.isEmpty() ? "" : "missing shards " + join(missing))
                + (missing.isEmpty() || unknown.isEmpty() ? "" : "; ")
                + (unknown.isEmpty() ? "" : "no verdict in shards " + join(unknown));
        return new Merged(text, Verdict.UNKNOWN, why, null, 0, maximum);
    }

    /**
     * Whether a finding satisfies the expectation of that text: reachable, violation and an
     * expected failure (but "fails reachable", which is a never); every other kind fails on one.
     */
    public static boolean existential(String text) {
        return text.startsWith("reachable ") || text.startsWith("violation ")
                || text.startsWith("fails ") && !text.startsWith("fails reachable ");
    }

    private static int steps(String schedule) {
        return schedule == null ? Integer.MAX_VALUE : schedule.isEmpty() ? 0 : schedule.split("\\.", -1).length;
    }

    private static String join(List<Integer> xs) {
        return xs.stream().map(String::valueOf).collect(Collectors.joining(", "));
    }
}
