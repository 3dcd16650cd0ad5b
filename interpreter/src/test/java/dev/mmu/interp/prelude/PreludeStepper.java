package dev.mmu.interp.prelude;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.MmuSystem;
import java.util.function.Predicate;

/** Steps a prelude path's threads one atomic step at a time, for the prelude step tests. */
final class PreludeStepper {
    private PreludeStepper() {}

    static VmState step(MmuSystem m, VmState s, int t) {
        return m.step(s, t, 0, null);
    }

    /** Steps thread t (choice 0: no need_resched) until the predicate holds; fails after 300 steps. */
    static VmState until(MmuSystem m, VmState s, int t, Predicate<VmState> p) {
        for (int i = 0; i < 300 && !p.test(s); i++) s = step(m, s, t);
        assertThat(p.test(s)).as("predicate reached").isTrue();
        return s;
    }

    static VmState finish(MmuSystem m, VmState s, int t) {
        return until(m, s, t, x -> x.threads[t].pc >= m.program().threads().get(t).ops().length);
    }
}
