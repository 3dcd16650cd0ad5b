package dev.mmu.runtime.paths;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.explore.Transition;
import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.Stat;
import dev.mmu.runtime.model.VmState;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SeedModelTest {
    /** Every reachable state, by plain BFS (independent of the explorer). */
    static Set<VmState> reachable(MmuSystem m) {
        Set<VmState> seen = new HashSet<>();
        ArrayDeque<VmState> q = new ArrayDeque<>();
        seen.add(m.initial());
        q.add(m.initial());
        List<Transition<VmState>> out = new ArrayList<>();
        while (!q.isEmpty()) {
            out.clear();
            m.successors(q.poll(), out);
            for (var t : out) if (seen.add(t.target())) q.add(t.target());
        }
        return seen;
    }

    @Test
    void setupSplitsTheHugePageRegionAndWarmsVcpu1Tlb() {
        VmState s = new MmuSystem(Seeds.seed(true)).initial();
        assertThat(s.stat(Stat.nx_lpage_splits)).isEqualTo(1);
        assertThat(s.stat(Stat.pages_4k)).isEqualTo(1);
        assertThat(s.lpageDisallowed).hasSize(1);
        assertThat(Tlbs.lookup(s, 1, 1)).isNotNull();
        assertThat(Tlbs.lookup(s, 1, 1).pfn()).isEqualTo(0x1001);
    }

    @Test
    void preFixLoopLetsTheGuestUseAFreedPage() {
        Set<VmState> all = reachable(new MmuSystem(Seeds.seed(false)));
        assertThat(all).anyMatch(Invariant.use_after_free::violatedIn);
        assertThat(all).anyMatch(Invariant.stale_tlb_at_unlock::violatedIn);
    }

    @Test
    void fixedRecoveryNeverDoes() {
        Set<VmState> all = reachable(new MmuSystem(Seeds.seed(true)));
        assertThat(all).noneMatch(Invariant.use_after_free::violatedIn);
        assertThat(all).noneMatch(Invariant.stale_tlb_at_unlock::violatedIn);
        assertThat(all).noneMatch(Invariant.lock_balance::violatedIn);
        assertThat(all.size()).isGreaterThan(10);
    }
}
