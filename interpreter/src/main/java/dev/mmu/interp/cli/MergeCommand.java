package dev.mmu.interp.cli;

import dev.mmu.interp.report.ShardFile;
import dev.mmu.interp.run.ShardMerge;
import dev.mmu.runtime.explore.Verdict;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** `mmu merge RESULT...`: one verdict per expectation from the parts of `mmu check --shard I/N`. */
@Command(name = "merge", description = "Combine the results of `mmu check --shard I/N` (mmu-shard-I-of-N.json files).")
final class MergeCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "RESULT", description = "mmu-shard-I-of-N.json files")
    List<Path> files;

    @Override
    public Integer call() {
        List<ShardFile.Result> parts = new ArrayList<>();
        ShardMerge.Result merged;
        try {
            for (Path f : files) parts.add(ShardFile.read(f));
            merged = ShardMerge.merge(parts);
        } catch (IOException | IllegalArgumentException e) {
            System.err.println("mmu: " + e.getMessage());
            return ExitCode.BAD_INPUT;
        }
        int passed = 0;
        int failed = 0;
        int unknown = 0;
        for (ShardMerge.Scenario s : merged.scenarios()) {
            System.out.printf("%-7s %s: %s  (%,d states over the shards)%n", s.verdict(), s.file(), s.name(), s.statesStored());
            for (ShardMerge.Merged o : s.outcomes()) {
                System.out.printf("  %-7s %s  (%s)%n", o.verdict(), o.expectation(), o.note());
                if (o.schedule() != null) System.out.printf("          schedule %s%n", o.schedule().isEmpty() ? "(empty)" : o.schedule());
            }
            if (s.verdict() == Verdict.PASS) passed++;
            else if (s.verdict() == Verdict.FAIL) failed++;
            else unknown++;
        }
        for (String b : merged.broken()) System.out.printf("%-7s %s  (does not compile)%n", "FAIL", b);
        String missing = merged.missing().isEmpty() ? "" : ", missing shards " + merged.missing().stream()
                .map(String::valueOf).reduce((a, b) -> a + ", " + b).orElse("") + " of " + merged.count();
        System.out.println(passed + " passed, " + failed + " failed" + (unknown > 0 ? ", " + unknown + " unknown" : "")
                + missing);
        if (!merged.broken().isEmpty()) return ExitCode.BAD_INPUT;
        return failed > 0 ? ExitCode.FAIL : unknown > 0 || !merged.missing().isEmpty() ? ExitCode.UNKNOWN : ExitCode.PASS;
    }
}
