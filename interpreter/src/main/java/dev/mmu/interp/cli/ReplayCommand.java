package dev.mmu.interp.cli;

import dev.mmu.interp.compile.CompiledScenario;
import dev.mmu.interp.diag.Wrap;
import dev.mmu.interp.report.TraceTable;
import dev.mmu.interp.run.Loaded;
import dev.mmu.interp.run.ScenarioLoader;
import dev.mmu.runtime.explore.Explorer;
import dev.mmu.runtime.explore.Schedule;
import dev.mmu.runtime.paths.MmuSystem;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** `mmu replay FILE --schedule TOKEN`: re-run exactly one interleaving and print its steps. */
@Command(name = "replay", description = "Re-run one interleaving, given by the schedule token a failure printed.")
final class ReplayCommand implements Callable<Integer> {
    @Parameters(paramLabel = "FILE", description = "the .mmu file the failure named")
    Path file;

    @Option(names = "--schedule", paramLabel = "TOKEN", required = true, description = "the token printed after 'replay:'")
    String token;

    @Option(names = "--scenario", paramLabel = "NAME", description = "scenario name (default: the first)")
    String scenario;

    @Override
    public Integer call() {
        Loaded loaded = ScenarioLoader.load(file);
        if (loaded.hasErrors()) {
            Diagnostics.print(loaded);
            return ExitCode.BAD_INPUT;
        }
        CompiledScenario sc = loaded.scenarios().stream()
                .filter(s -> scenario == null || s.name().equals(scenario)).findFirst().orElse(null);
        if (sc == null) {
            System.err.println("mmu: no scenario named \"" + scenario + "\" in " + file);
            return ExitCode.BAD_INPUT;
        }
        Schedule schedule;
        MmuSystem system = new MmuSystem(sc.program());
        try {
            schedule = token.equals("-") ? Schedule.empty() : Schedule.parse(token);
            Explorer.replay(system, schedule);
        } catch (IllegalArgumentException e) {
            System.err.println("mmu: bad schedule: " + e.getMessage());
            return ExitCode.BAD_INPUT;
        }
        System.out.println(Wrap.fit("replay of \"" + sc.name() + "\", " + schedule.length() + (schedule.length() == 1 ? " step" : " steps") + " after setup:",
                Terminal.columns()));
        System.out.print(TraceTable.render(system, schedule, Terminal.columns()));
        return ExitCode.PASS;
    }
}
