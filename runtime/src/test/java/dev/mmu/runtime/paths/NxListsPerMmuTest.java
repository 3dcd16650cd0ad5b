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
}
