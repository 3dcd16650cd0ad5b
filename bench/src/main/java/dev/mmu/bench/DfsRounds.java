package dev.mmu.bench;

import dev.mmu.interp.run.ScenarioLoader;
import dev.mmu.runtime.explore.ExploreOptions;
import dev.mmu.runtime.explore.ExploreResult;
import dev.mmu.runtime.explore.Explorer;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.MmuSystem;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.List;

/**
 * The per-state cost of the plain search, measured apart from the JVM's other threads: the
 * exhaustive DFS of a scenario's first scenario (its own options, e.g. symmetry; no partial-order
 * reduction unless POR=1 in the environment, as the default check's DFS; no expectations, one
 * worker) ROUNDS times in one JVM, printing the search thread's CPU time per round. On a loaded machine the thread's CPU time moves far less than the wall
 * time, and later rounds run compiled code. Its user time apart: the system time is mostly page
 * faults on heap the JVM touches first (seconds in a round when the heap grows; run with -Xms equal
 * to -Xmx and -XX:+AlwaysPreTouch to keep them out). Usage: DfsRounds FILE [ROUNDS]
 */
public final class DfsRounds {
    private DfsRounds() {
    }

    public static void main(String[] args) throws Exception {
        var scenario = ScenarioLoader.load(Path.of(args[0])).scenarios().get(0);
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
        ExploreOptions options = scenario.options().toBuilder().strategy(ExploreOptions.Strategy.DFS)
                .partialOrder("1".equals(System.getenv("POR"))).workers(1).shortestCounterexample(false).portfolioFallback(false).build();
        for (int r = 0; r < rounds; r++) {
            MmuSystem system = new MmuSystem(scenario.program());
            long cpu0 = cpu.getCurrentThreadCpuTime();
            long user0 = cpu.getCurrentThreadUserTime();
            long wall0 = System.nanoTime();
            ExploreResult<VmState> result = Explorer.explore(system, List.of(), options);
            double seconds = (cpu.getCurrentThreadCpuTime() - cpu0) / 1e9;
            double user = (cpu.getCurrentThreadUserTime() - user0) / 1e9;
            long states = result.stats().statesStored();
            System.out.printf("round %d: %,d states, %,d transitions, search thread CPU %.2f s, user %.2f s (%,.0f states per user second), wall %.2f s%n",
                    r, states, result.stats().transitions(), seconds, user, states / user, (System.nanoTime() - wall0) / 1e9);
        }
    }
}
