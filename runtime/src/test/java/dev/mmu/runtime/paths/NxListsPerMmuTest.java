package dev.mmu.runtime.paths;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.Mmu;
import dev.mmu.runtime.model.ShadowPage;
import dev.mmu.runtime.model.Stat;
import dev.mmu.runtime.model.VmConfig;
import dev.mmu.runtime.model.VmState;
import org.junit.jupiter.api.Test;

/**
 * kvm->arch.possible_nx_huge_pages[KVM_NR_MMU_TYPES] (v6.18): a TDP MMU page goes on the TDP MMU's
 * list, a shadow MMU page (the L2 guest's under mmu both) on the shadow MMU's; before 6.18 both go
 * on the one list, and the TDP MMU's stays empty.
 */
class NxListsPerMmuTest {
    static final VmConfig ONE_LIST = InvariantsTest.vm(Mmu.BOTH, true, 1, InvariantsTest.SMALL);
    static final VmConfig PER_MMU = new VmConfig(ONE_LIST.mmu(), ONE_LIST.nxHugePages(), ONE_LIST.nxRecoveryRatio(),
            ONE_LIST.eagerPageSplit(), ONE_LIST.tdpLevels(), ONE_LIST.memslots(), ONE_LIST.vcpus(), ONE_LIST.preempt(),
            ONE_LIST.pml(), true);

    private static long nrPages(VmState s, int mmuType) {
        return Queries.nxLength(Expr.constant(mmuType)).eval(s, 0);
    }

    @Test
    void from618EachPageGoesOnItsMmusList() {
        Program p = InvariantsTest.program(PER_MMU, b -> { }, InvariantsTest.thread("t", b -> { }));
        VmState s = new MmuSystem(p).initial().copy();
        Exec e = new Exec(p, s, 0, new StringBuilder());
        ShadowPage l2 = s.allocSp(1, 0, false);   // account_nx_huge_page(): KVM_SHADOW_MMU
        ShadowPage tdp = s.allocSp(1, 512, true); // track_possible_nx_huge_page(kvm, sp, KVM_TDP_MMU)
        ShadowPage tdp2 = s.allocSp(1, 1024, true);
        Nx.account(e, l2.id, true);
        Nx.account(e, tdp.id, true);
        Nx.track(e, tdp2.id);
        assertThat(s.possibleNxHugePages(VmState.KVM_SHADOW_MMU)).containsExactly(l2.id);
        assertThat(s.possibleNxHugePages(VmState.KVM_TDP_MMU)).containsExactly(tdp.id, tdp2.id);
        assertThat(nrPages(s, VmState.KVM_SHADOW_MMU)).isEqualTo(1);
        assertThat(nrPages(s, VmState.KVM_TDP_MMU)).isEqualTo(2);
        assertThat(s.stat(Stat.nx_lpage_splits)).as("nx_lpage_splits counts both lists").isEqualTo(3);
        assertThat(Invariants.violated(Invariant.stats_consistent, s)).isFalse();

        Nx.unaccount(e, tdp.id); // list_del_init(): off whichever list holds it
        assertThat(s.possibleNxHugePages(VmState.KVM_TDP_MMU)).containsExactly(tdp2.id);
        assertThat(s.possibleNxHugePages(VmState.KVM_SHADOW_MMU)).containsExactly(l2.id);
        Nx.unaccount(e, l2.id);
        assertThat(s.possibleNxHugePages(VmState.KVM_SHADOW_MMU)).isEmpty();
        assertThat(s.stat(Stat.nx_lpage_splits)).isEqualTo(1);
        assertThat(Invariants.violated(Invariant.stats_consistent, s)).isFalse();
        s.tdpMmuNxHugePages = new int[0]; // a page lost from the TDP MMU's list while still counted
        assertThat(Invariants.violated(Invariant.stats_consistent, s)).isTrue();
    }

    @Test
    void before618BothMmusShareOneList() {
        Program p = InvariantsTest.program(ONE_LIST, b -> { }, InvariantsTest.thread("t", b -> { }));
        VmState s = new MmuSystem(p).initial().copy();
        Exec e = new Exec(p, s, 0, new StringBuilder());
        ShadowPage l2 = s.allocSp(1, 0, false);
        ShadowPage tdp = s.allocSp(1, 512, true);
        Nx.account(e, l2.id, true);
        s.spForWrite(tdp.id).nxHugePageDisallowed = true; // tdp_mmu_init_child_sp(), then the fault tracks it
        Nx.track(e, tdp.id);
        assertThat(s.lpageDisallowed).containsExactly(l2.id, tdp.id);
        assertThat(s.tdpMmuNxHugePages).isEmpty();
        assertThat(nrPages(s, VmState.KVM_TDP_MMU)).isZero();
        Nx.unaccount(e, tdp.id);
        assertThat(s.lpageDisallowed).containsExactly(l2.id);
    }

    /** list_first_entry(&possible_nx_huge_pages[mmu_type].pages): the head of the list the type names. */
    @Test
    void firstEntryReadsTheListItsTypeNames() {
        Program p = InvariantsTest.program(PER_MMU, b -> { }, InvariantsTest.thread("t", b -> b.local("sp")));
        VmState s = new MmuSystem(p).initial().copy();
        Exec e = new Exec(p, s, 0, new StringBuilder());
        ShadowPage l2 = s.allocSp(1, 0, false);
        ShadowPage tdp = s.allocSp(1, 512, true);
        Nx.account(e, l2.id, true);
        Nx.account(e, tdp.id, true);
        s.mmuWriter = 0; // the shadow MMU's list is mmu_lock's held for write
        new Nx.FirstEntry(0, Expr.constant(VmState.KVM_TDP_MMU), "sp = first").exec(e, 0);
        assertThat(e.self().locals[0]).isEqualTo(tdp.id);
        new Nx.FirstEntry(0, "sp = first").exec(e, 0);
        assertThat(e.self().locals[0]).as("lpage_disallowed is KVM_SHADOW_MMU's").isEqualTo(l2.id);
        assertThat(s.violations).isZero();
        // Without mmu_lock held for write or tdp_mmu_pages_lock, another walker may have emptied
        // the list since the caller's check: lockdep, and the page read is none.
        Nx.unaccount(e, tdp.id);
        s.mmuWriter = -1;
        new Nx.FirstEntry(0, Expr.constant(VmState.KVM_TDP_MMU), "sp = first").exec(e, 0);
        assertThat(e.self().locals[0]).isEqualTo(-1);
        assertThat(s.violations).isEqualTo(1 << Invariant.lockdep.ordinal());
        // The list's type may be a local: the dead-locals analysis must keep it.
        assertThat(new Nx.FirstEntry(0, Expr.local(3), "sp = first").localsRead()).containsExactly(3);
        assertThat(new Nx.FirstEntry(0, "sp = first").localsRead()).isEmpty();
    }

    /** Equal states have equal lists: the TDP MMU's list is part of a state (equality, hash, encoding). */
    @Test
    void theTdpMmusListIsPartOfTheState() {
        Program p = InvariantsTest.program(PER_MMU, b -> { }, InvariantsTest.thread("t", b -> { }));
        VmState a = new MmuSystem(p).initial().copy();
        VmState b = a.copy();
        assertThat(a).isEqualTo(b);
        b.tdpMmuNxHugePages = new int[] {1};
        assertThat(a).isNotEqualTo(b);
        assertThat(a.hashCode()).isNotEqualTo(b.copy().hashCode());
        assertThat(a.encode()).as("the visited set's bytes").isNotEqualTo(b.encode());
    }

    private static long counter(VmState s, int mmuType) {
        return Queries.nxNrPages(Expr.constant(mmuType)).eval(s, 0);
    }

    /**
     * v6.18: nr_pages counts by the type the caller passes, not by the list the page is on.
     * unaccount_nx_huge_page() untracks a TDP MMU page with KVM_SHADOW_MMU: off the TDP MMU's list,
     * KVM_TDP_MMU's nr_pages unchanged, KVM_SHADOW_MMU's 0 - 1; tdp_mmu_unlink_sp() then finds the
     * link empty and changes nothing.
     */
    @Test
    void from618UnaccountCountsTheShadowMmusCounter() {
        Program p = InvariantsTest.program(PER_MMU, b -> { }, InvariantsTest.thread("t", b -> { }));
        VmState s = new MmuSystem(p).initial().copy();
        Exec e = new Exec(p, s, 0, new StringBuilder());
        ShadowPage tdp = s.allocSp(1, 512, true);
        StringBuilder trace = new StringBuilder();
        e = new Exec(p, s, 0, trace);
        Nx.account(e, tdp.id, true);
        assertThat(counter(s, VmState.KVM_TDP_MMU)).isEqualTo(1);
        assertThat(Invariants.violated(Invariant.nx_pages_counted, s)).isFalse();
        Nx.unaccount(e, tdp.id);
        assertThat(trace.toString()).as("the trace names the counter and its u64 value").endsWith("unaccount_nx_huge_page("
                + s.sp(tdp.id) + ") with KVM_SHADOW_MMU: nx_lpage_splits=0, possible_nx_huge_pages[KVM_SHADOW_MMU].nr_pages="
                + "18446744073709551615");
        assertThat(s.tdpMmuNxHugePages).isEmpty();
        assertThat(nrPages(s, VmState.KVM_TDP_MMU)).as(".len").isZero();
        assertThat(counter(s, VmState.KVM_TDP_MMU)).as("KVM_TDP_MMU's nr_pages still counts it").isEqualTo(1);
        assertThat(counter(s, VmState.KVM_SHADOW_MMU)).as("0 - 1 as a u64").isEqualTo(-1);
        assertThat(s.stat(Stat.nx_lpage_splits)).isZero();
        assertThat(Invariants.violated(Invariant.nx_pages_counted, s)).isTrue();
        assertThat(Invariants.why(Invariant.nx_pages_counted, s))
                .isEqualTo("possible_nx_huge_pages[KVM_SHADOW_MMU].nr_pages is 18446744073709551615 but its list holds 0");
        assertThat(Invariants.violated(Invariant.stats_consistent, s)).as("nx_lpage_splits is right").isFalse();
        Nx.unlink(e, tdp.id); // tdp_mmu_unlink_sp(): nx_huge_page_disallowed is clear, nothing to untrack
        s.spForWrite(tdp.id).nxHugePageDisallowed = true;
        Nx.unlink(e, tdp.id); // and with it set, the link is empty: nothing either
        assertThat(counter(s, VmState.KVM_TDP_MMU)).isEqualTo(1);
        assertThat(counter(s, VmState.KVM_SHADOW_MMU)).isEqualTo(-1);
        assertThat(s.stat(Stat.nx_lpage_splits)).isZero();
    }

    /** Untracked with the type of its list (the fix; tdp_mmu_unlink_sp()), every counter stays its list's length. */
    @Test
    void from618UntrackWithTheListsTypeKeepsTheCounts() {
        Program p = InvariantsTest.program(PER_MMU, b -> { }, InvariantsTest.thread("t", b -> { }));
        VmState s = new MmuSystem(p).initial().copy();
        Exec e = new Exec(p, s, 0, new StringBuilder());
        ShadowPage l2 = s.allocSp(1, 0, false);
        ShadowPage tdp = s.allocSp(1, 512, true);
        ShadowPage tdp2 = s.allocSp(1, 1024, true);
        Nx.account(e, l2.id, true);
        Nx.account(e, tdp.id, true);
        Nx.account(e, tdp2.id, true);
        StringBuilder trace = new StringBuilder();
        e = new Exec(p, s, 0, trace);
        Nx.untrack(e, tdp.id, VmState.KVM_TDP_MMU, "untrack_possible_nx_huge_page");
        assertThat(trace.toString()).isEqualTo("untrack_possible_nx_huge_page(" + s.sp(tdp.id) + ") with KVM_TDP_MMU:"
                + " nx_lpage_splits=2, possible_nx_huge_pages[KVM_TDP_MMU].nr_pages=1");
        assertThat(s.sp(tdp.id).nxHugePageDisallowed).as("untrack leaves the flag").isTrue();
        Nx.unaccount(e, tdp.id); // clears it; the link is empty
        assertThat(s.sp(tdp.id).nxHugePageDisallowed).isFalse();
        Nx.unlink(e, tdp2.id); // tdp_mmu_unlink_sp(): KVM_TDP_MMU
        Nx.unaccount(e, l2.id); // kvm_mmu_prepare_zap_page(): KVM_SHADOW_MMU
        assertThat(counter(s, VmState.KVM_TDP_MMU)).isZero();
        assertThat(counter(s, VmState.KVM_SHADOW_MMU)).isZero();
        assertThat(s.stat(Stat.nx_lpage_splits)).isZero();
        assertThat(Invariants.violated(Invariant.nx_pages_counted, s)).isFalse();
        s.tdpMmuNxNrPages = 1;
        assertThat(Invariants.violated(Invariant.nx_pages_counted, s)).as("the TDP MMU's counter is checked").isTrue();
        assertThat(Invariants.why(Invariant.nx_pages_counted, s))
                .isEqualTo("possible_nx_huge_pages[KVM_TDP_MMU].nr_pages is 1 but its list holds 0");
        s.tdpMmuNxNrPages = 0;
        s.shadowMmuNxNrPages = -1;
        assertThat(Invariants.violated(Invariant.nx_pages_counted, s)).as("the shadow MMU's too").isTrue();
    }

    /** Before 6.18 the one counter is the one list's, whatever type the caller names. */
    @Test
    void before618OneCounter() {
        Program p = InvariantsTest.program(ONE_LIST, b -> { }, InvariantsTest.thread("t", b -> { }));
        VmState s = new MmuSystem(p).initial().copy();
        Exec e = new Exec(p, s, 0, new StringBuilder());
        ShadowPage tdp = s.allocSp(1, 512, true);
        ShadowPage tdp2 = s.allocSp(1, 1024, true);
        Nx.account(e, tdp.id, true);
        Nx.account(e, tdp2.id, true);
        assertThat(counter(s, VmState.KVM_SHADOW_MMU)).isEqualTo(2);
        StringBuilder trace = new StringBuilder();
        e = new Exec(p, s, 0, trace);
        Nx.unaccount(e, tdp.id);
        Nx.untrack(e, tdp2.id, VmState.KVM_TDP_MMU, "untrack_possible_nx_huge_page");
        assertThat(trace.toString()).as("the trace of 6.12 and older, as before").isEqualTo("unaccount_nx_huge_page("
                + s.sp(tdp.id) + "): nx_lpage_splits=1; untrack_possible_nx_huge_page(" + s.sp(tdp2.id) + "): nx_lpage_splits=0");
        assertThat(counter(s, VmState.KVM_SHADOW_MMU)).isZero();
        assertThat(counter(s, VmState.KVM_TDP_MMU)).isZero();
        assertThat(Invariants.violated(Invariant.nx_pages_counted, s)).isFalse();
    }

    /**
     * The counters are part of a 6.18 state (equality, hash, encoding); before 6.18 the encoding
     * leaves them out, as the one list's length determines them: no byte and no state added.
     */
    @Test
    void theCountersArePartOfA618State() {
        Program p = InvariantsTest.program(PER_MMU, b -> { }, InvariantsTest.thread("t", b -> { }));
        VmState a = new MmuSystem(p).initial().copy();
        for (int mmuType : new int[] {VmState.KVM_SHADOW_MMU, VmState.KVM_TDP_MMU}) {
            VmState b = a.copy();
            b.addNxNrPages(mmuType, -1);
            assertThat(a).isNotEqualTo(b);
            assertThat(a.hashCode()).isNotEqualTo(b.copy().hashCode());
            assertThat(a.encode()).as("the visited set's bytes").isNotEqualTo(b.encode());
            assertThat(b.encode()).hasSameSizeAs(a.encode());
        }
        Program q = InvariantsTest.program(ONE_LIST, b -> { }, InvariantsTest.thread("t", b -> { }));
        VmState c = new MmuSystem(q).initial().copy();
        VmState d = c.copy();
        d.shadowMmuNxNrPages = 3;
        d.tdpMmuNxNrPages = 3;
        assertThat(d.encode()).isEqualTo(c.encode());
    }
}
