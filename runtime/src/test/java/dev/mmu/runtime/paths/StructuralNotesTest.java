package dev.mmu.runtime.paths;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.ShadowPage;
import dev.mmu.runtime.model.Stat;
import dev.mmu.runtime.model.VmState;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A structural invariant's "!! name: why" goes where a traced step made it hold, and only if it
 * still holds at the step's end: the search decides on states, so one that held between two ops
 * of a merged step broke nothing.
 */
class StructuralNotesTest {
    /** The NX-split state's 4K table, unlinked and queued nowhere (its counters kept right): a page_table_leak. */
    private static void leak(VmState s) {
        unlink(s);
        s.lpageDisallowed = new int[0];
        s.addNxNrPages(VmState.KVM_SHADOW_MMU, -1);
        s.addStat(Stat.nx_lpage_splits, -1);
        s.addStat(Stat.pages_4k, -512);
    }

    /** The NX-split state's 4K table unlinked, its NX-list entry and counters left as they were. */
    private static ShadowPage unlink(VmState s) {
        ShadowPage l1 = InvariantsTest.l1(s);
        s.setSpte(l1.parent, l1.parentIndex, 0);
        s.spForWrite(l1.id).status = ShadowPage.UNLINKED;
        return l1;
    }

    private static Exec exec(VmState s, StringBuilder trace) {
        return new Exec(null, s, 0, trace);
    }

    @Test
    void theNoteFollowsTheOpThatBrokeTheInvariantAndMovesTheLaterOpsStarts() {
        StringBuilder trace = new StringBuilder();
        Exec e = exec(InvariantsTest.splitState(), trace);
        List<Integer> opStarts = new ArrayList<>();
        e.opStarts = opStarts;
        e.note("first op");
        e.structural.afterOp();
        leak(e.s);
        e.opStart();
        e.note("second op unlinks sp2");
        e.structural.afterOp();
        e.opStart();
        e.note("third op");
        e.structural.afterOp();
        e.structural.insert(opStarts, false);
        assertThat(trace.toString()).matches("first op; second op unlinks sp2; !! page_table_leak: sp\\d+\\(L1 gfn 0x0\\)"
                + " is unlinked but queued on neither call_rcu nor an invalid_list; third op");
        assertThat(opStarts).containsExactly(1, 3);
    }

    @Test
    void anInvariantThatHeldOnlyInsideTheStepIsNotNoted() {
        StringBuilder trace = new StringBuilder();
        VmState s = InvariantsTest.splitState();
        Exec e = exec(s, trace);
        ShadowPage l1 = InvariantsTest.l1(s);
        long parentSpte = s.sp(l1.parent).spte(l1.parentIndex);
        e.note("unlink");
        leak(s);
        e.structural.afterOp();
        e.note("link again");
        s.setSpte(l1.parent, l1.parentIndex, parentSpte);
        s.spForWrite(l1.id).status = ShadowPage.LIVE;
        s.lpageDisallowed = new int[] {l1.id};
        s.addNxNrPages(VmState.KVM_SHADOW_MMU, 1);
        s.addStat(Stat.nx_lpage_splits, 1);
        s.addStat(Stat.pages_4k, 512);
        e.structural.afterOp();
        e.structural.insert(null, false);
        assertThat(trace.toString()).isEqualTo("unlink; link again");
    }

    @Test
    void anInvariantThatHeldBeforeTheStepOrThatTheStepRecordedIsNotNotedAgain() {
        VmState s = InvariantsTest.splitState();
        leak(s);
        StringBuilder trace = new StringBuilder();
        Exec e = exec(s, trace);
        e.note("an op");
        e.structural.afterOp();
        e.structural.insert(null, false);
        assertThat(trace.toString()).isEqualTo("an op");

        StringBuilder recorded = new StringBuilder();
        Exec r = exec(InvariantsTest.splitState(), recorded);
        leak(r.s);
        r.violate(Invariant.page_table_leak, "thread ends with a non-empty invalid_list");
        r.structural.afterOp();
        r.structural.insert(null, false);
        assertThat(recorded.toString()).isEqualTo("!! page_table_leak: thread ends with a non-empty invalid_list");
    }

    @Test
    void aStepThatNotedNothingKeepsItsDescriptionFirst() {
        StringBuilder trace = new StringBuilder();
        Exec e = exec(InvariantsTest.splitState(), trace);
        leak(e.s);
        e.structural.afterOp();
        trace.append("kvm_tdp_mmu_put_root"); // the op's describe(), as MmuSystem.step adds it
        e.structural.insert(null, true);
        assertThat(trace.toString()).startsWith("kvm_tdp_mmu_put_root; !! page_table_leak: sp");
    }

    /** Why is given exactly where violated holds, for each structural invariant (the bit aside). */
    @Test
    void whyAgreesWithViolated() {
        VmState held = InvariantsTest.splitState();
        VmState leaked = InvariantsTest.splitState();
        leak(leaked);
        for (Invariant inv : Invariants.STRUCTURAL) {
            assertThat(Invariants.why(inv, held)).as("%s", inv).isNull();
            assertThat(Invariants.why(inv, leaked) != null).as("%s", inv).isEqualTo(Invariants.violated(inv, leaked));
        }
        assertThat(Invariants.why(Invariant.lockdep, leaked)).as("an event invariant has no structural why").isNull();
    }

    /** Two invariants one op broke are noted after it in the order the language lists them. */
    @Test
    void twoInvariantsBrokenByOneOpAreNotedInTheirOrder() {
        StringBuilder trace = new StringBuilder("zap");
        VmState s = InvariantsTest.splitState();
        Exec e = exec(s, trace);
        unlink(s);
        e.structural.afterOp();
        e.structural.insert(null, false);
        assertThat(trace.toString()).matches("zap; !! stats_consistent: .*; !! page_table_leak: .*");
    }

    /**
     * Notes at two places go in at each (the later one first, so that the earlier one's insertion
     * does not move it), and one broken before any clause leads the step.
     */
    @Test
    void notesAtTwoPlacesAndBeforeTheFirstClause() {
        StringBuilder trace = new StringBuilder();
        VmState s = InvariantsTest.splitState();
        Exec e = exec(s, trace);
        unlink(s);
        s.lpageDisallowed = new int[0];
        s.addNxNrPages(VmState.KVM_SHADOW_MMU, -1);
        s.addStat(Stat.nx_lpage_splits, -1);
        e.structural.afterOp(); // page_table_leak and stats_consistent (pages_4k) from here, before any clause: said as they were then
        e.note("unlink");
        s.addStat(Stat.pages_4k, -512);
        s.addStat(Stat.pages_2m, 1);
        e.structural.afterOp();
        e.note("count");
        s.addStat(Stat.remote_tlb_flush, 1);
        s.addNxNrPages(VmState.KVM_TDP_MMU, 1); // nx_pages_counted from here
        e.structural.afterOp();
        e.note("flush");
        e.structural.insert(null, false);
        assertThat(trace.toString()).matches("!! stats_consistent: stat.pages_4k is 512 but 0 .*; !! page_table_leak: sp\\d+.*; "
                + "unlink; count; !! nx_pages_counted: possible_nx_huge_pages\\[KVM_TDP_MMU\\].nr_pages is 1 but its list holds 0; flush");
    }

    /**
     * The later place goes in first even when its invariant comes earlier in the language's order
     * (insertion at the earlier place would otherwise move the later one into the first note).
     */
    @Test
    void aLaterPlaceGoesInFirstWhateverTheInvariantsOrder() {
        StringBuilder trace = new StringBuilder();
        VmState s = InvariantsTest.splitState();
        Exec e = exec(s, trace);
        s.addNxNrPages(VmState.KVM_TDP_MMU, 1); // nx_pages_counted (listed after stats_consistent) from here
        e.structural.afterOp();
        e.note("count");
        s.addStat(Stat.pages_4k, -512); // stats_consistent from here
        e.structural.afterOp();
        e.note("stat");
        e.structural.insert(null, false);
        assertThat(trace.toString()).matches("!! nx_pages_counted: [^;]*; count; !! stats_consistent: [^;]*; stat");
    }

    /** The root itself may be the table that leaks: live, on no root pointer, held by no one. */
    @Test
    void aRootNoOneHoldsIsALeakToo() {
        VmState s = InvariantsTest.splitState();
        int root = s.root;
        s.root = -1;
        s.spForWrite(root).rootCount = 0;
        for (int v = 0; v < s.vcpuRoots.length; v++) s.vcpuRoots[v] = -1;
        assertThat(Invariants.why(Invariant.page_table_leak, s)).isEqualTo(s.sp(root) + " is live but no root or walker reaches it");
    }
}
