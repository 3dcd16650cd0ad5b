package dev.mmu.runtime.paths;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.model.LockId;
import dev.mmu.runtime.model.Mmu;
import dev.mmu.runtime.model.ShadowPage;
import dev.mmu.runtime.model.Spte;
import dev.mmu.runtime.model.VmConfig;
import dev.mmu.runtime.model.VmState;
import org.junit.jupiter.api.Test;

/**
 * tdp_mmu_unlink_sp() (v7.2 tdp_mmu.c:355) takes tdp_mmu_pages_lock for an NX-disallowed table: a
 * read-lock removal of such a table is not enabled while a thread holds the lock (PagesLockWait).
 */
class PagesLockWaitTest {
    private static final VmConfig VM = InvariantsTest.vm(Mmu.TDP, true, 1, InvariantsTest.HUGE);

    /** An L3 table under the root at index 0 and an L2 table under it, NX-disallowed as given; the zap's op is thread 0's. */
    private record Tree(Program p, VmState s, int l3, int l2, Ops.Call zap) {}

    private static Tree tree(boolean l3Disallowed, boolean l2Disallowed) {
        Program p = InvariantsTest.program(VM, b -> { }, InvariantsTest.thread("zapper", b -> b.local("x")),
                InvariantsTest.thread("vcpu", b -> { }));
        VmState s = new MmuSystem(p).initial().copy();
        Exec e = new Exec(p, s, 0, null);
        ShadowPage l3 = TdpMmu.linkChild(e, s.root, 0, true);
        l3.nxHugePageDisallowed = l3Disallowed;
        s.setSpte(s.root, 0, Spte.table(l3.id));
        ShadowPage l2 = TdpMmu.linkChild(e, l3.id, 0, true);
        l2.nxHugePageDisallowed = l2Disallowed;
        s.setSpte(l3.id, 0, Spte.table(l2.id));
        return new Tree(p, s, l3.id, l2.id, InvariantsTest.call("tdp_mmu_zap_possible_nx_huge_page", l3.id));
    }

    private static VmState holding(VmState s, int thread) {
        VmState n = s.copy();
        n.mutexOwner[1] = thread; // tdp_mmu_pages_lock
        assertThat(Lock.owner(n, LockId.tdp_mmu_pages_lock)).isEqualTo(thread);
        return n;
    }

    @Test
    void aZapOfAnNxDisallowedTableWaitsWhileAnotherThreadHoldsTheLock() {
        Tree t = tree(true, false);
        assertThat(t.zap().choices(t.s(), 0)).as("lock free").isEqualTo(1);
        VmState held = holding(t.s(), 1);
        assertThat(t.zap().choices(held, 0)).as("the vCPU holds tdp_mmu_pages_lock").isZero();
        assertThat(t.zap().choices(holding(t.s(), 0), 0)).as("its own thread holds it: spin_lock() never returns").isZero();
        assertThat(held.sp(t.l3()).nxHugePageDisallowed).as("the trial run changed a copy only").isTrue();
        assertThat(held.sp(t.l3()).status).isEqualTo(ShadowPage.LIVE);
    }

    @Test
    void anNxDisallowedTableBelowTheZappedOneMakesItWaitToo() {
        Tree t = tree(false, true);
        assertThat(t.zap().choices(holding(t.s(), 1), 0)).as("handle_removed_pt() of the child unlinks it").isZero();
    }

    @Test
    void aTableNoneOfWhoseTablesIsNxDisallowedDoesNotWait() {
        Tree t = tree(false, false);
        assertThat(t.zap().choices(holding(t.s(), 1), 0)).isEqualTo(1);
    }

    @Test
    void aZapThatRemovesNothingDoesNotWait() {
        Tree t = tree(true, true);
        VmState gone = t.s().copy();
        gone.setSpte(gone.root, 0, 0); // another task zapped the parent SPTE first: zapSp() does nothing
        gone.spForWrite(t.l3()).status = ShadowPage.UNLINKED;
        assertThat(t.zap().choices(holding(gone, 1), 0)).isEqualTo(1);
    }

    /** A real step that reaches the spin (an op that does not ask, under the write lock) unlinks as before. */
    @Test
    void aRealStepGoesOnAndUnlinks() {
        Tree t = tree(true, false);
        VmState held = holding(t.s(), 1);
        Exec e = new Exec(t.p(), held, 0, null);
        TdpMmu.zapSp(e, t.l3());
        assertThat(e.spunOnPagesLock).as("only a trial run notes the spin").isFalse();
        assertThat(held.sp(t.l3()).nxHugePageDisallowed).isFalse();
        Exec trial = Exec.probe(t.s().copy(), 0);
        Nx.unlink(trial, t.l3());
        assertThat(trial.spunOnPagesLock).as("lock free: no spin").isFalse();
    }

    /** A trial run has no program: it keeps no metrics, where a real step of a metered program does. */
    @Test
    void aTrialRunKeepsNoMetrics() {
        Program metered = new Program(VM, InvariantsTest.thread("setup", b -> { }),
                java.util.List.of(InvariantsTest.thread("t", b -> { })), true);
        VmState s = new MmuSystem(metered).initial().copy();
        assertThat(new Exec(metered, s, 0, null).trackMetrics()).isTrue();
        assertThat(new Exec(tree(false, false).p(), s, 0, null).trackMetrics()).isFalse();
        Exec trial = Exec.probe(s, 0);
        assertThat(trial.trackMetrics()).isFalse();
        trial.work();
        assertThat(s.lockHoldWork).isZero();
        Exec real = new Exec(metered, s, 0, null);
        real.work();
        assertThat(s.lockHoldWork).isEqualTo(1);
    }

    @Test
    void onlyReadLockZapPrimitivesAsk() {
        assertThat(Primitives.get("tdp_mmu_zap_possible_nx_huge_page").mayWaitForPagesLock()).isTrue();
        assertThat(Primitives.get("tdp_zap_sp").mayWaitForPagesLock()).as("mmu_lock held for write").isFalse();
        assertThat(Primitives.get("track_possible_nx_huge_page").mayWaitForPagesLock()).isFalse();
    }
}
