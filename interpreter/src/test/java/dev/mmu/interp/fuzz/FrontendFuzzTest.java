package dev.mmu.interp.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.interp.compile.CompiledScenario;
import dev.mmu.interp.diag.Diagnostic;
import dev.mmu.interp.diag.DiagnosticPrinter;
import dev.mmu.interp.run.Loaded;
import dev.mmu.interp.run.ScenarioFiles;
import dev.mmu.interp.run.ScenarioLoader;
import dev.mmu.runtime.explore.Explorer;
import dev.mmu.runtime.paths.MmuSystem;
import dev.mmu.runtime.paths.ScenarioError;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Mutated .mmu files through parser, checker, compiler and a tiny bounded search: none may crash,
 * hang (10 s) or give an error without file:line:col and a caret. `mvn verify` runs a short, seeded
 * round; `bench/fuzz.sh` runs a long one (-Dfuzz.inputs, -Dfuzz.seed). Failing inputs are written
 * to target/fuzz-failures/ with what went wrong, to be kept as regression tests.
 */
class FrontendFuzzTest {
    private static final Pattern LOCATED = Pattern.compile("^[^\\n]+:\\d+:\\d+: (error|warning): [^\\n]+\\n.*\\^.*", Pattern.DOTALL);
    private static final long HANG_SECONDS = 10;

    @Test
    void mutatedInputsNeverCrashHangOrGoUnlocated() throws Exception {
        int inputs = Integer.getInteger("fuzz.inputs", 1000);
        long seed = Long.getLong("fuzz.seed", 1);
        List<String> seeds = new ArrayList<>();
        for (Path root : List.of(Path.of("../examples"), Path.of("src/test/resources"), Path.of("../bench/scenarios"))) {
            if (!Files.isDirectory(root)) continue;
            for (Path f : ScenarioFiles.find(List.of(root))) seeds.add(Files.readString(f, StandardCharsets.UTF_8));
        }
        assertThat(seeds).hasSizeGreaterThan(10);
        Mutator mutator = new Mutator(seed, seeds);
        Map<String, String> failures = new TreeMap<>(); // signature -> first input's report
        int crashes = 0;
        int hangs = 0;
        int unlocated = 0;
        int explored = 0;
        long start = System.nanoTime();
        ExecutorService worker = newWorker();
        for (int i = 0; i < inputs; i++) {
            String text = mutator.next();
            Future<String> run = worker.submit(() -> check(text));
            String problem;
            try {
                problem = run.get(HANG_SECONDS, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                run.cancel(true);
                worker.shutdownNow();
                worker = newWorker(); // a hung thread cannot be stopped: leave it, go on on a new one
                problem = "hang: no answer in " + HANG_SECONDS + " s";
            } catch (java.util.concurrent.ExecutionException e) {
                Throwable c = e.getCause();
                problem = "crash: " + c.getClass().getName() + " at " + firstOwnFrame(c);
            }
            if (problem == null) continue;
            if (problem.equals("explored")) {
                explored++;
                continue;
            }
            if (problem.startsWith("crash")) crashes++;
            else if (problem.startsWith("hang")) hangs++;
            else unlocated++;
            if (!failures.containsKey(problem)) {
                failures.put(problem, text);
                Path dir = Files.createDirectories(Path.of("target/fuzz-failures"));
                Files.writeString(dir.resolve("seed" + seed + "-input" + i + ".mmu"), "# " + problem.replace("\n", " ")
                        + "\n" + text, StandardCharsets.UTF_8);
            }
        }
        worker.shutdownNow();
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("fuzz: seed %d, %,d inputs in %.1f s (%,.0f/s), %,d explored; %d crashes, %d hangs, "
                        + "%d unlocated errors, %d distinct%n", seed, inputs, seconds, inputs / seconds, explored,
                crashes, hangs, unlocated, failures.size());
        failures.keySet().forEach(p -> System.out.println("fuzz: " + p));
        assertThat(failures.keySet()).as("see target/fuzz-failures/").isEmpty();
    }

    /** Where in our code it failed: one root cause, one signature, however deep the library frames. */
    private static StackTraceElement firstOwnFrame(Throwable t) {
        for (StackTraceElement f : t.getStackTrace()) {
            if (f.getClassName().startsWith("dev.mmu.") && !f.getClassName().startsWith("dev.mmu.grammar.")) return f;
        }
        return null; // e.g. a stack overflow whose frames are all the parser's: one signature for all
    }

    private static ExecutorService newWorker() {
        return Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "fuzz"); // the default stack, as the CLI's worker threads have
            t.setDaemon(true);
            return t;
        });
    }

    /** Null if all is well ("explored" if a scenario compiled and was searched), else the problem. */
    private static String check(String text) {
        Loaded loaded = ScenarioLoader.load("fuzz.mmu", text);
        DiagnosticPrinter printer = new DiagnosticPrinter(loaded.sources());
        for (Diagnostic d : loaded.diagnostics()) {
            String shown = printer.render(d);
            if (!LOCATED.matcher(shown).matches()) return "unlocated: " + shown.lines().findFirst().orElse("");
        }
        if (loaded.hasErrors() || loaded.scenarios().isEmpty()) return null;
        for (CompiledScenario sc : loaded.scenarios()) {
            try {
                MmuSystem system = new MmuSystem(sc.program());
                Explorer.explore(system, sc.expectations(), sc.options().toBuilder().maxStates(200)
                        .timeLimit(Duration.ofSeconds(2)).portfolioFallback(false).build());
            } catch (ScenarioError located) {
                // an address computed at run time: `mmu check` reports it at the scenario, exit 2
            }
        }
        return "explored";
    }
}
