package dev.mmu.examples;

import dev.mmu.runtime.explore.ExploreResult;
import dev.mmu.runtime.explore.Outcome;
import dev.mmu.runtime.explore.Transition;
import dev.mmu.runtime.explore.TransitionSystem;
import dev.mmu.runtime.model.VmState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** The scenario files the differential tests run on, and how results are compared. */
final class Scenarios {

    private Scenarios() {
    }

    /** Every example, and the bench's scaled scenarios that finish in about a second. */
    static List<Path> all() throws IOException {
        // Not into target/: surefire writes and renames its reports there while the tests run,
        // and a walk that lists a file that is gone a moment later fails.
        List<Path> roots = new java.util.ArrayList<>();
        try (Stream<Path> top = Files.list(Path.of("."))) {
            top.filter(p -> !p.getFileName().toString().equals("target")).forEach(roots::add);
        }
        roots.add(Path.of("../bench/scenarios"));
        List<Path> files = new java.util.ArrayList<>();
        for (Path root : roots) {
            try (Stream<Path> s = Files.walk(root)) {
                s.filter(p -> p.toString().endsWith(".mmu") && !p.toString().contains("target"))
                        .filter(p -> !p.toString().contains("zap-range") && !p.toString().contains("4vcpus"))
                        .forEach(files::add);
            }
        }
        return files.stream().sorted().toList();
    }

    /** Verdict, trace, note, lasso start and maximum of every outcome. */
    static List<String> summary(ExploreResult<VmState> r) {
        return r.outcomes().stream().map(Scenarios::summary).toList();
    }

    static String summary(Outcome<VmState> o) {
        return o.text() + " " + o.verdict() + " [" + (o.trace() == null ? "-" : o.trace().token()) + "] "
                + o.note() + " cycle@" + o.cycleStart() + " max " + o.maximum();
    }

    /** The deterministic figures: states, transitions, depth. */
    static List<Long> counts(ExploreResult<VmState> r) {
        return List.of(r.stats().statesStored(), r.stats().transitions(), (long) r.stats().maxDepth());
    }
}

/** The same system with the visited sets keyed on the state objects: the baseline. */
final class ObjectKeys<S> implements TransitionSystem<S> {
    private final TransitionSystem<S> inner;

    ObjectKeys(TransitionSystem<S> inner) {
        this.inner = inner;
    }

    @Override
    public S initial() {
        return inner.initial();
    }

    @Override
    public void successors(S s, List<Transition<S>> out) {
        inner.successors(s, out);
    }

    @Override
    public boolean finished(S s) {
        return inner.finished(s);
    }

    @Override
    public int threadCount() {
        return inner.threadCount();
    }

    @Override
    public String threadName(int thread) {
        return inner.threadName(thread);
    }
}
