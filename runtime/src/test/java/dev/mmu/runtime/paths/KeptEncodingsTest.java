package dev.mmu.runtime.paths;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mmu.runtime.explore.Transition;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.MmuOps.Access;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The state key keeps the encodings of frozen page tables and threads (those a state shares
 * copy-on-write with its parent) and the visited set recognises them by identity: a write that
 * went past copy-on-write would leave a kept encoding stale, a false PASS. Checked here against
 * encoding every part afresh, on every reachable state of a race with a zap and its symmetric
 * quotient; and the check itself is shown to catch such a write.
 */
class KeptEncodingsTest {

    private static MmuSystem race() {
        return new MmuSystem(VcpuSymmetryTest.race(VcpuSymmetryTest.vcpu(0, Access.READ, VcpuSymmetryTest.GPA),
                VcpuSymmetryTest.vcpu(1, Access.WRITE, VcpuSymmetryTest.GPA)));
    }

    @Test
    void keptEncodingsAreTheFreshOnesOnEveryReachableState() {
        MmuSystem m = race();
        Set<Object> seen = new HashSet<>();
        Deque<VmState> todo = new ArrayDeque<>(List.of(m.initial()));
        seen.add(m.key(m.initial()));
        List<Transition<VmState>> out = new ArrayList<>();
        List<VmState> all = new ArrayList<>();
        while (!todo.isEmpty()) {
            VmState s = todo.pop();
            all.add(s);
            out.clear();
            m.successors(s, out);
            for (Transition<VmState> t : out) {
                VmState c = m.canonical(t.target());
                assertThat(m.key(c)).isEqualTo(m.keyAfresh(c));
                if (seen.add(m.key(t.target()))) todo.push(t.target());
            }
        }
        assertThat(all.size()).isGreaterThan(100);
        for (VmState s : all) { // again, after all their successors kept their parts' encodings
            assertThat(m.key(s)).isEqualTo(m.keyAfresh(s));
        }
    }

    @Test
    void aWritePastCopyOnWriteIsCaught() {
        assumeTrue(VmState.class.desiredAssertionStatus(), "the check is an assertion: run with -ea");
        MmuSystem m = race();
        List<Transition<VmState>> out = new ArrayList<>();
        m.successors(m.initial(), out);
        VmState child = out.get(0).target().copy(); // shares every thread with its parent: frozen
        m.key(child); // keeps their encodings
        VmState right = child.copy();
        right.threadForWrite(1).holdWork++;
        assertThat(m.key(right)).isEqualTo(m.keyAfresh(right)).isNotEqualTo(m.key(child));
        VmState wrong = child.copy();
        wrong.threads[1].holdWork++; // the bug: written in place, shared with child
        assertThatThrownBy(() -> m.key(wrong)).isInstanceOf(AssertionError.class).hasMessageContaining("thread 1 changed");
    }
}
