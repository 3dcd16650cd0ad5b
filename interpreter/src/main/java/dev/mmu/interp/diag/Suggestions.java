package dev.mmu.interp.diag;

import java.util.Collection;
import java.util.Optional;

/** "did you mean 'x'?" by edit distance, so a typo in a kernel name costs one glance. */
public final class Suggestions {

    private Suggestions() {
    }

    /** The closest candidate within a third of the name's length (2 edits, 1 for short names). */
    public static Optional<String> closest(String name, Collection<String> candidates) {
        String best = null;
        int bestDistance = (name.length() <= 3 ? 1 : Math.max(2, name.length() / 3)) + 1;
        for (String candidate : candidates) {
            int d = distance(name, candidate);
            if (d < bestDistance) {
                best = candidate;
                bestDistance = d;
            }
        }
        return Optional.ofNullable(best);
    }

    /** The message suffix: "; did you mean 'x'?" or nothing. */
    public static String hint(String name, Collection<String> candidates) {
        return closest(name, candidates).map(c -> "; did you mean '" + c + "'?").orElse("");
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
