package dev.mmu.interp.run;

import java.util.ArrayList;
import java.util.List;

/**
 * `--tags slow,nested,!flaky`: a scenario runs if it has any of the plain tags (or none are given)
 * and none of the negated ones. Tags are written without '@'; a leading '@' is accepted.
 */
public final class TagFilter {
    private final List<String> include = new ArrayList<>();
    private final List<String> exclude = new ArrayList<>();

    private TagFilter() {}

    public static TagFilter all() {
        return new TagFilter();
    }

    public static TagFilter parse(List<String> specs) {
        TagFilter f = new TagFilter();
        for (String spec : specs) {
            for (String raw : spec.split(",")) {
                String t = raw.strip();
                if (t.isEmpty()) continue;
                boolean not = t.startsWith("!");
                if (not) t = t.substring(1);
                if (t.startsWith("@")) t = t.substring(1);
                if (t.isEmpty()) throw new IllegalArgumentException("empty tag in --tags " + spec);
                (not ? f.exclude : f.include).add(t);
            }
        }
        return f;
    }

    public boolean accepts(List<String> tags) {
        if (tags.stream().anyMatch(exclude::contains)) return false;
        return include.isEmpty() || tags.stream().anyMatch(include::contains);
    }
}
