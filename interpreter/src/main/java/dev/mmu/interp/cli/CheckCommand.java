package dev.mmu.interp.cli;

import dev.mmu.interp.ast.PathDecl;
import dev.mmu.interp.ast.Pos;
import dev.mmu.interp.check.Frontend;
import dev.mmu.interp.diag.Diagnostic;
import dev.mmu.interp.diag.DiagnosticPrinter;
import dev.mmu.interp.parse.SourceParser;
import dev.mmu.interp.report.ReportFiles;
import dev.mmu.interp.report.ShardFile;
import dev.mmu.interp.report.TextReport;
import dev.mmu.interp.run.FileResult;
import dev.mmu.interp.run.RunResult;
import dev.mmu.interp.run.ScenarioResult;
import dev.mmu.interp.run.ScenarioRunner;
import dev.mmu.interp.run.TagFilter;
import dev.mmu.runtime.explore.Shard;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** `mmu check FILE...`: explore every scenario and report each expectation in full. */
@Command(name = "check", description = "Explore every interleaving of each scenario and check its expectations.")
final class CheckCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "FILE", description = ".mmu files")
    List<Path> files;

    @Mixin
    ExploreFlags flags;

    @Mixin
    ReportFlags reports;

    @Option(names = "--shard", paramLabel = "I/N",
            description = "explore part I of N of each search and write the part's result to mmu-shard-I-of-N.json"
                    + " (in --out DIR, or here); `mmu merge` combines the parts")
    String shard;

    @Option(names = "--scenario", paramLabel = "NAME",
            description = "check only the scenario of this name (repeatable)")
    List<String> scenarios = new ArrayList<>();

    @Override
    public Integer call() {
        String bad = flags.problem() != null ? flags.problem() : reports.prepare();
        if (bad == null && shard != null) {
            try {
                flags.shard = Shard.parse(shard);
                ReportFiles.checkFree(shardFile());
            } catch (IllegalArgumentException | IOException e) {
                bad = e.getMessage();
            }
        }
        if (bad != null) {
            System.err.println("mmu: " + bad);
            return ExitCode.BAD_INPUT;
        }
        Interrupts interrupts = Interrupts.install();
        int code = ExitCode.INTERNAL; // unless the run gets to its verdict
        try {
            code = checkAll(interrupts);
            return code;
        } finally {
            interrupts.done(code);
        }
    }

    private int checkAll(Interrupts interrupts) {
        flags.cancel = interrupts.signal();
        flags.progress = true;
        flags.defaultWorkers = Runtime.getRuntime().availableProcessors();
        long start = System.currentTimeMillis();
        ScenarioRunner runner = new ScenarioRunner(flags::apply, TagFilter.all(), Terminal.diagnosticColumns())
                .only(Set.copyOf(scenarios));
        List<FileResult> results = new ArrayList<>();
        boolean empty = false;
        for (Path f : files) {
            FileResult r = runner.runFile(f);
            flags.closeProgress();
            results.add(r);
            System.err.print(r.diagnosticsText()); // errors, or warnings (e.g. what symmetry leaves out)
            if (Files.isDirectory(f)) System.err.println("mmu: `mmu test " + f + "` runs every .mmu file under a folder");
            if (!r.broken() && r.scenarios().isEmpty() && scenarios.isEmpty()) {
                System.err.print(noScenario(f));
                empty = true;
            }
            if (reports.liveText()) for (ScenarioResult s : r.scenarios()) System.out.print(TextReport.scenario(s, Terminal.columns()));
            if (interrupts.signal().isCancelled()) break; // Ctrl-C: the partial result so far, once
        }
        List<String> unmatched = new ArrayList<>(scenarios);
        results.forEach(r -> r.scenarios().forEach(sc -> unmatched.remove(sc.name())));
        if (!unmatched.isEmpty() && !interrupts.signal().isCancelled()) {
            for (Path f : files) System.err.print(noneNamed(f, unmatched));
            empty = true;
        }
        RunResult run = new RunResult(results, System.currentTimeMillis() - start);
        int code = interrupts.signal().isCancelled()
                ? ExitCode.UNKNOWN // stopped by Ctrl-C: what was not checked is unknown
                : empty ? Math.max(ExitCode.BAD_INPUT, exitCode(run)) : exitCode(run);
        String err = reports.emit(run);
        if (err == null && flags.shard != null) {
            try {
                ReportFiles.write(shardFile(), ShardFile.render(flags.shard, run));
            } catch (IOException e) {
                err = e.getMessage();
            }
        }
        return withReports(code, err);
    }

    /**
     * Nothing checked must not read as "everything holds" (a file of shared paths is checked
     * through the scenarios of the files that import it). `mmu show NAME > patch.mmu` makes such
     * a file: the error points at its first path and says what runs one.
     */
    private static String noScenario(Path f) {
        String text;
        try {
            text = SourceParser.normalize(Frontend.read(f));
        } catch (IOException e) {
            text = ""; // it was read a moment ago: at worst the error has no source line
        }
        Optional<PathDecl> first = SourceParser.parse(f.toString(), text, new dev.mmu.interp.diag.Diagnostics())
                .flatMap(s -> s.paths().stream().findFirst());
        String why = first.map(p -> ": a path runs in a scenario's thread (`thread t { " + p.name().name()
                + " }`), as in examples/nx/patch-check.mmu").orElse("");
        Pos at = first.map(p -> p.name().pos()).orElse(new Pos(f.toString(), 1, 1, 1));
        return new DiagnosticPrinter(Map.of(f.toString(), text), Terminal.diagnosticColumns())
                .render(Diagnostic.error(at, "no scenario to check in this file" + why));
    }

    /** `--scenario` names that no file has: which scenarios this one has. */
    private static String noneNamed(Path f, List<String> names) {
        List<String> there = new ArrayList<>();
        try {
            SourceParser.parse(f.toString(), SourceParser.normalize(Frontend.read(f)), new dev.mmu.interp.diag.Diagnostics())
                    .ifPresent(file -> file.scenarios().forEach(sc -> there.add("\"" + sc.name() + "\"")));
        } catch (IOException e) {
            // it was read a moment ago: at worst the list is empty
        }
        return "mmu: " + f + ": no scenario named " + String.join(" or ", names.stream().map(n -> "\"" + n + "\"").toList())
                + (there.isEmpty() ? "" : "; its scenarios: " + String.join(", ", there)) + "\n";
    }

    /**
     * The exit code once the reports are written: a report that could not be written (error not
     * null) turns a pass into 2, so CI without its reports is not green, and leaves every other
     * code as it is: a full disk must not hide a FAIL behind "bad input".
     */
    static int withReports(int code, String error) {
        if (error == null) return code;
        System.err.println("mmu: " + error);
        return code == ExitCode.PASS ? ExitCode.BAD_INPUT : code;
    }

    private Path shardFile() {
        return (reports.out == null ? Path.of(".") : reports.out).resolve(ShardFile.fileName(flags.shard));
    }

    /** The worst outcome wins: 3 an internal fault, then 4 unknown, then 2 bad input, then 1 failed, else 0. */
    static int exitCode(RunResult run) {
        int worst = ExitCode.PASS;
        if (run.failed() > run.broken()) worst = ExitCode.FAIL;
        if (run.broken() > 0) worst = ExitCode.BAD_INPUT;
        if (run.count(ScenarioResult.Status.UNKNOWN) > 0) worst = ExitCode.UNKNOWN;
        if (run.count(ScenarioResult.Status.ERROR) > 0) worst = ExitCode.INTERNAL;
        return worst;
    }
}
