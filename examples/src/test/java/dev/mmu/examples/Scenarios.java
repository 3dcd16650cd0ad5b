package dev.mmu.examples;

import dev.mmu.runtime.explore.Dependencies;
import dev.mmu.runtime.explore.ExploreResult;
import dev.mmu.runtime.explore.Outcome;
import dev.mmu.runtime.explore.ForwardingSystem;
import dev.mmu.runtime.explore.TransitionSystem;
import dev.mmu.runtime.model.VmState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The scenario files the differential tests run on, and how results are compared. */
final class Scenarios {

    private Scenarios() {
    }

    /**
     * Every example, and the bench's scaled scenarios that finish in about a second. Left out:
     * zap-range-8, seed-fixed-4vcpus, and seed-fixed-3vcpus since the TDP fault runs step by step
     * (its plain search, every op a step and every stat kept, has 3.9 million states: 1.3 million
     * before; the soundness suite keeps the objects of every state and does not fit a 3 GB heap).
     */
    static List<Path> all() throws IOException {
        List<Path> files = new java.util.ArrayList<>(examples());
        files.addAll(mmuFiles(Path.of("../bench/scenarios")).stream()
                .filter(p -> !p.toString().contains("zap-range") && !p.toString().contains("4vcpus")
                        && !p.toString().contains("fixed-3vcpus")).toList());
        return only(files.stream().sorted().toList());
    }

    /** Every .mmu file of the examples module. */
    static List<Path> examples() throws IOException {
        return only(mmuFiles(Path.of(".")));
    }

    /**
     * The files whose path (as ./shadow/x.mmu, ../bench/scenarios/y.mmu) the regular expression of
     * -Dscenarios.only finds a match in; every file without it. For differential tests on the
     * examples a change reaches (docs/testing.md), not for the full runs.
     */
    static List<Path> only(List<Path> files) {
        String only = System.getProperty("scenarios.only", "");
        if (only.isEmpty()) return files;
        java.util.regex.Pattern p = java.util.regex.Pattern.compile(only);
        return files.stream().filter(f -> p.matcher(f.toString()).find()).toList();
    }

    /**
     * The .mmu files under root, never looking into target/: surefire writes and renames its
     * reports there while the tests run, and a walk that lists a file gone a moment later fails.
     */
    private static List<Path> mmuFiles(Path root) throws IOException {
        List<Path> files = new java.util.ArrayList<>();
        Files.walkFileTree(root, new java.nio.file.SimpleFileVisitor<>() {
            @Override
            public java.nio.file.FileVisitResult preVisitDirectory(Path dir,
                    java.nio.file.attribute.BasicFileAttributes attrs) {
                return dir.getFileName() != null && dir.getFileName().toString().equals("target")
                        ? java.nio.file.FileVisitResult.SKIP_SUBTREE : java.nio.file.FileVisitResult.CONTINUE;
            }

            @Override
            public java.nio.file.FileVisitResult visitFile(Path file, java.nio.file.attribute.BasicFileAttributes attrs) {
                if (file.toString().endsWith(".mmu")) files.add(file);
                return java.nio.file.FileVisitResult.CONTINUE;
            }
        });
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
final class ObjectKeys<S> extends ForwardingSystem<S> {
    ObjectKeys(TransitionSystem<S> inner) {
        super(inner);
    }

    @Override
    public Object key(S s) {
        return s;
    }

    /** The reference explores every step of every state. */
    @Override
    public Dependencies<S> dependencies() {
        return null;
    }

    @Override
    public S canonical(S s) {
        return s;
    }
}
