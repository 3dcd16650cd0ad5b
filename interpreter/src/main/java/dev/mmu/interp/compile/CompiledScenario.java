package dev.mmu.interp.compile;

import dev.mmu.interp.ast.Pos;
import dev.mmu.interp.check.CheckedScenario;
import dev.mmu.runtime.explore.ExploreOptions;
import dev.mmu.runtime.explore.Expectation;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.Program;
import java.util.List;

/**
 * A scenario ready to explore: the runtime program, the expectations as predicates on VM states
 * (in source order, each with its text), and the options its explore block asked for.
 */
public record CompiledScenario(CheckedScenario source, Program program, List<Expectation<VmState>> expectations,
                               ExploreOptions options, List<List<Pos>> threadPositions) {
    /** The statement thread t's op pc was compiled from, or empty (an op of no statement). */
    public java.util.Optional<Pos> position(int t, int pc) {
        if (t < 0 || t >= threadPositions.size() || pc < 0 || pc >= threadPositions.get(t).size()) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.ofNullable(threadPositions.get(t).get(pc));
    }

    public String name() {
        return source.name();
    }
}
