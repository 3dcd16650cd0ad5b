package dev.mmu.interp.cli;

import dev.mmu.interp.compile.CompiledScenario;
import dev.mmu.interp.report.TextReport;
import dev.mmu.interp.run.Loaded;
import dev.mmu.interp.run.ScenarioLoader;
import dev.mmu.runtime.explore.ExploreResult;
import dev.mmu.runtime.explore.Explorer;
import dev.mmu.runtime.explore.Verdict;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.MmuSystem;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** `mmu check FILE...`: explore every scenario and report each expectation. */
@Command(name = "check", description = "Explore every interleaving of each scenario and check its expectations.")
final class CheckCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "FILE", description = ".mmu files")
    List<Path> files;

    @Mixin
    ExploreFlags flags;

    @Override
    public Integer call() {
        PrintStream out = System.out;
        Interrupts interrupts = Interrupts.install();
        flags.cancel = interrupts.signal();
        int worst = ExitCode.PASS;
        for (Path f : files) {
            Loaded loaded = ScenarioLoader.load(f);
            if (loaded.hasErrors()) {
                Diagnostics.print(loaded);
                worst = Math.max(worst, ExitCode.BAD_INPUT);
                continue;
            }
            TextReport report = new TextReport(out, f.toString());
            for (CompiledScenario sc : loaded.scenarios()) {
                MmuSystem system = new MmuSystem(sc.program());
                var options = flags.apply(sc.options(), sc.name());
                ExploreResult<VmState> r = Explorer.explore(system, sc.expectations(), options);
                if (options.progress() instanceof ProgressDisplay p) p.close();
                report.scenario(sc, system, r);
                worst = Math.max(worst, code(r.verdict()));
            }
        }
        interrupts.done();
        return worst;
    }

    static int code(Verdict v) {
        return switch (v) {
            case PASS -> ExitCode.PASS;
            case FAIL -> ExitCode.FAIL;
            case UNKNOWN -> ExitCode.UNKNOWN;
        };
    }
}
