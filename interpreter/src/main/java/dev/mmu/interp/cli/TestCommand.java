package dev.mmu.interp.cli;

import dev.mmu.interp.diag.Wrap;
import dev.mmu.interp.report.TextReport;
import dev.mmu.interp.run.FileResult;
import dev.mmu.interp.run.RunResult;
import dev.mmu.interp.run.ScenarioFiles;
import dev.mmu.interp.run.ScenarioResult;
import dev.mmu.interp.run.ScenarioRunner;
import dev.mmu.interp.run.TagFilter;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * `mmu test PATH...`: every scenario of every .mmu file under the paths as a test; one line each,
 * then "N passed, N failed". Files run in parallel with --jobs; output keeps the file order.
 */
@Command(name = "test", description = "Run every scenario of every .mmu file under the paths as a test.")
final class TestCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "PATH", description = ".mmu files or directories to search")
    List<Path> paths;

    @Option(names = "--tags", paramLabel = "TAGS",
            description = "run only scenarios whose tags match this JUnit tag expression, as -Dgroups takes "
                    + "it: 'memslot & quick', '!slow', 'nx | tdp'; repeated or comma-separated: any of them")
    List<String> tags = new ArrayList<>();

    @Option(names = "--jobs", paramLabel = "N", description = "files run in parallel (default: 1)")
    int jobs = 1;

    @Mixin
    ExploreFlags flags;

    @Mixin
    ReportFlags reports;

    @Override
    public Integer call() throws Exception {
        String bad = flags.problem() != null ? flags.problem() : reports.prepare();
        TagFilter filter = null;
        try {
            filter = TagFilter.parse(tags);
        } catch (IllegalArgumentException e) {
            bad = e.getMessage();
        }
        if (jobs < 1) bad = "--jobs must be at least 1";
        List<Path> files = List.of();
        if (bad == null) {
            try {
                files = ScenarioFiles.find(paths);
                if (files.isEmpty()) bad = "no .mmu files under " + paths;
            } catch (IOException e) {
                bad = e.getMessage();
            }
        }
        if (bad != null) {
            System.err.println("mmu: " + bad);
            return ExitCode.BAD_INPUT;
        }
        Interrupts interrupts = Interrupts.install();
        int code = ExitCode.INTERNAL; // unless the run gets to its summary
        try {
            code = runAll(files, filter, interrupts);
            return code;
        } finally {
            interrupts.done(code);
        }
    }

    /**
     * Runs the files (in parallel with --jobs) and prints each one's lines in file order. On Ctrl-C
     * the searches in flight stop with UNKNOWN, files not started are not run, and the summary and
     * the reports cover what ran, once; the exit code is then 4.
     */
    private int runAll(List<Path> files, TagFilter filter, Interrupts interrupts) throws Exception {
        flags.cancel = interrupts.signal();
        flags.defaultWorkers = Math.max(1, Runtime.getRuntime().availableProcessors() / jobs); // no oversubscription
        long start = System.currentTimeMillis();
        ScenarioRunner runner = new ScenarioRunner(flags::apply, filter, Terminal.diagnosticColumns());
        PrintStream live = reports.liveText() ? System.out : System.err;
        List<FileResult> results = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(jobs, files.size()));
        try {
            List<Future<FileResult>> pending = new ArrayList<>();
            for (Path f : files) {
                pending.add(pool.submit(() -> interrupts.signal().isCancelled() ? null : runner.runFile(f)));
            }
            for (Future<FileResult> p : pending) {
                FileResult r = get(p);
                if (r == null) continue; // not started: Ctrl-C came first
                results.add(r);
                if (r.broken()) live.printf("%-7s %s  (does not compile)%n", "FAIL", r.file());
                System.err.print(r.diagnosticsText()); // errors, or warnings
                for (ScenarioResult s : r.scenarios()) live.print(TextReport.brief(s, Terminal.columns()));
            }
        } finally {
            pool.shutdownNow();
        }
        RunResult run = new RunResult(results, System.currentTimeMillis() - start);
        boolean interrupted = interrupts.signal().isCancelled();
        live.println(run.summary() + (interrupted ? ", interrupted: " + (files.size() - results.size())
                + " of " + files.size() + " files not run" : ""));
        int code = interrupted ? ExitCode.UNKNOWN : CheckCommand.exitCode(run);
        if (!interrupted && results.stream().allMatch(r -> !r.broken() && r.scenarios().isEmpty())) {
            // Nothing run must not read as a pass: files of paths alone are checked by their importers.
            System.err.println("mmu: no scenario in " + paths.stream().map(Path::toString).collect(Collectors.joining(", "))
                    + ": a path runs in a scenario's thread, as in examples/nx/patch-check.mmu");
            code = Math.max(ExitCode.BAD_INPUT, code);
        }
        long scenarios = results.stream().mapToLong(r -> r.scenarios().size()).sum();
        if (!interrupted && scenarios > 0 && run.count(ScenarioResult.Status.SKIPPED) == scenarios) {
            // Still exit 0 (a filter may rightly select nothing), but not in silence: name the tags there are.
            var there = results.stream().flatMap(r -> r.scenarios().stream()).flatMap(sc -> sc.tags().stream())
                    .map(t -> "@" + t).collect(Collectors.toCollection(java.util.TreeSet::new));
            Wrap.wrap(List.of("mmu: --tags '" + String.join(",", tags) + "' selects none of the " + scenarios
                    + " scenarios" + (there.isEmpty() ? ", which carry no tag" : "; their tags: " + String.join(" ", there))),
                    Terminal.diagnosticColumns()).forEach(System.err::println);
        }
        return CheckCommand.withReports(code, reports.emit(run));
    }

    private static FileResult get(Future<FileResult> f) throws Exception {
        try {
            return f.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception x ? x : e;
        }
    }
}
