package dev.mmu.interp.run;

import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.platform.commons.PreconditionViolationException;
import org.junit.platform.engine.TestTag;
import org.junit.platform.engine.UniqueId;
import org.junit.platform.engine.support.descriptor.AbstractTestDescriptor;
import org.junit.platform.launcher.PostDiscoveryFilter;

/**
 * `--tags 'memslot & !slow'`: JUnit Platform tag expressions, parsed by the launcher's own
 * {@link org.junit.platform.launcher.TagFilter} (what Surefire's {@code -Dgroups} uses), so the
 * CLI and {@code mvn test} select the same scenarios. Several expressions (repeated or
 * comma-separated) select a scenario that matches any of them, as {@code -Dgroups=a,b} does.
 */
public final class TagFilter {
    private final PostDiscoveryFilter filter;

    private TagFilter(PostDiscoveryFilter filter) {
        this.filter = filter;
    }

    public static TagFilter all() {
        return new TagFilter(null);
    }

    /** @throws IllegalArgumentException naming the expression JUnit cannot parse */
    public static TagFilter parse(List<String> expressions) {
        List<String> exprs = expressions.stream()
                .flatMap(e -> java.util.Arrays.stream(e.split(",")))
                .map(String::strip).filter(e -> !e.isEmpty()).toList();
        if (exprs.isEmpty()) return all();
        try {
            return new TagFilter(org.junit.platform.launcher.TagFilter.includeTags(exprs));
        } catch (PreconditionViolationException e) {
            throw new IllegalArgumentException("--tags: " + e.getMessage());
        }
    }

    public boolean accepts(List<String> tags) {
        return filter == null || filter.apply(new Tagged(tags)).included();
    }

    /** The filter judges test descriptors: a scenario's tags dressed as one. */
    private static final class Tagged extends AbstractTestDescriptor {
        private final Set<TestTag> tags;

        Tagged(List<String> tags) {
            super(UniqueId.forEngine("mmu"), "scenario");
            this.tags = tags.stream().filter(TestTag::isValid).map(TestTag::create).collect(Collectors.toSet());
        }

        @Override
        public Type getType() {
            return Type.TEST;
        }

        @Override
        public Set<TestTag> getTags() {
            return tags;
        }
    }
}
