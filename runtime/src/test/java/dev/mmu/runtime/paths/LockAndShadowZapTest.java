package dev.mmu.runtime.paths;

import static dev.mmu.runtime.paths.InvariantsTest.call;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.LockId;
import dev.mmu.runtime.model.Mmu;
import dev.mmu.runtime.model.Stat;
import dev.mmu.runtime.model.VmConfig;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.Lock.Mode;
import dev.mmu.runtime.paths.MmuOps.Access;
import dev.mmu.runtime.paths.Program.ThreadProgram;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Lock rules lockdep enforces (tdp_mmu_pages_lock nests in mmu_lock; slots_lock is never taken
 * inside an srcu reader), the locks' kernel names in traces, and the shadow MMU's
 * kvm_mmu_prepare_zap_page / kvm_mmu_commit_zap_page pair.
 */
class LockAndShadowZapTest {
    static final VmConfig TDP = InvariantsTest.vm(Mmu.TDP, false, 1, InvariantsTest.SMALL);
    static final VmConfig SHADOW = InvariantsTest.vm(Mmu.SHADOW, false, 1, InvariantsTest.SMALL, InvariantsTest.SMALL_1);

    static Run locks(LockId... order) {
        return Run.of(TDP, b -> {
            for (LockId l : order) b.emit(new Ops.Acquire(l, l == LockId.mmu_lock || l == LockId.srcu || l == LockId.rcu ? Mode.READ : Mode.WRITE));
            for (int i = order.length - 1; i >= 0; i--) b.emit(new Ops.Release(order[i]));
        });
    }

    @Test
    void lockdepWantsTdpMmuPagesLockInsideMmuLock() {
        Run bare = locks(LockId.tdp_mmu_pages_lock);
        assertThat(bare.violated(Invariant.lockdep)).isTrue();
        assertThat(bare.trace()).contains("!! lockdep: tdp_mmu_pages_lock taken without mmu_lock");
        assertThat(locks(LockId.mmu_lock, LockId.tdp_mmu_pages_lock).violated(Invariant.lockdep)).isFalse();
        assertThat(locks(LockId.mmu_lock, LockId.mmu_unsync_pages_lock).violated(Invariant.lockdep)).isFalse();
        assertThat(locks(LockId.mmu_unsync_pages_lock).violated(Invariant.lockdep)).isTrue();
        assertThat(locks(LockId.slots_lock).violated(Invariant.lockdep)).as("a mutex needs no mmu_lock").isFalse();
    }

    @Test
    void lockdepForbidsSlotsLockInsideAnSrcuReader() {
        Run inside = locks(LockId.srcu, LockId.slots_lock);
        assertThat(inside.violated(Invariant.lockdep)).isTrue();
        assertThat(inside.trace()).contains("!! lockdep: slots_lock taken inside an srcu read section");
        assertThat(locks(LockId.slots_lock, LockId.srcu).violated(Invariant.lockdep)).isFalse();
    }

    @Test
    void tracesNameEachLockAsTheKernelDoes() {
        Run r = locks(LockId.slots_lock, LockId.srcu, LockId.mmu_lock, LockId.tdp_mmu_pages_lock, LockId.mmu_unsync_pages_lock,
                LockId.rcu);
        assertThat(r.trace()).contains("mutex_lock(slots_lock)", "srcu_read_lock(&kvm->srcu)", "read_lock(mmu_lock)",
                "spin_lock(tdp_mmu_pages_lock)", "spin_lock(mmu_unsync_pages_lock)", "rcu_read_lock()", "rcu_read_unlock()",
                "spin_unlock(mmu_unsync_pages_lock)", "spin_unlock(tdp_mmu_pages_lock)", "read_unlock(mmu_lock)",
                "srcu_read_unlock(&kvm->srcu)", "mutex_unlock(slots_lock)");
        assertThat(r.violated(Invariant.lockdep)).isFalse();
        assertThat(r.violated(Invariant.lock_balance)).isFalse();
    }

    @Test
    void theMutexesAreDistinctLocks() {
        Stepper st = new Stepper(InvariantsTest.program(TDP, b -> { }, InvariantsTest.thread("t", b -> {
            b.emit(new Ops.Acquire(LockId.slots_lock, Mode.WRITE));
            b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.READ));
            b.emit(new Ops.Acquire(LockId.tdp_mmu_pages_lock, Mode.WRITE));
            b.emit(new Ops.Acquire(LockId.mmu_unsync_pages_lock, Mode.WRITE));
        })));
        st.step(0, "mutex_lock(slots_lock)");
        st.step(0, "read_lock(mmu_lock)");
        st.step(0, "spin_lock(tdp_mmu_pages_lock)");
        st.step(0, "spin_lock(mmu_unsync_pages_lock)");
        for (LockId l : List.of(LockId.slots_lock, LockId.tdp_mmu_pages_lock, LockId.mmu_unsync_pages_lock)) {
            assertThat(Lock.held(st.s, 0, l)).as("%s", l).isTrue();
        }
    }

    static Program zap(boolean trackMetrics, Op... ops) {
        PathBuilder setup = new PathBuilder();
        FaultPaths.guestAccess(setup, SHADOW, 0, Access.READ, Expr.constant(0x1000));
        FaultPaths.guestAccess(setup, SHADOW, 0, Access.READ, Expr.constant(0x200000 + 0x1000));
        PathBuilder b = new PathBuilder();
        b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
        for (Op op : ops) b.emit(op);
        b.emit(new Ops.Release(LockId.mmu_lock));
        return new Program(SHADOW, ThreadProgram.of("setup", -1, setup), List.of(ThreadProgram.of("t", -1, b)), trackMetrics);
    }

    static Op prepare(Expr sp) {
        return new Ops.Call(Primitives.get("prepare_zap"), new Expr[] {sp}, -1);
    }

    @Test
    void prepareZapTakesTheSubtreeAndCommitFreesItAfterTheFlush() {
        VmState before = new MmuSystem(zap(false)).initial();
        int l3 = Walk.to(before, before.root, 1, 3).spId();
        int l2 = Walk.to(before, before.root, 1, 2).spId();
        int l1 = Walk.of(before, 1).spId();
        int other = Walk.of(before, 513).spId();
        Expr sp = Expr.constant(l3);
        Program p = zap(true, prepare(sp), prepare(sp), call("commit_zap"), call("commit_zap"), call("remote_flush_or_zap", 0));
        long zapped = before.stat(Stat.mmu_shadow_zapped);
        Run r = new Run(p);
        assertThat(r.trace()).contains("kvm_mmu_prepare_zap_page(").contains("invalid_list=4").doesNotContain("invalid_list=5")
                .contains("kvm_mmu_commit_zap_page frees 4 pages")
                .contains("kvm_mmu_commit_zap_page: invalid_list empty, nothing to do")
                .contains("kvm_mmu_remote_flush_or_zap: nothing pending");
        for (int id : new int[] {l3, l2, l1, other}) assertThat(r.s.sp(id)).as("sp%d", id).isNull();
        assertThat(r.s.sp(before.root).spte(0)).as("the root's SPTE to the L3 table is cleared").isZero();
        assertThat(r.s.stat(Stat.mmu_shadow_zapped)).as("each page once").isEqualTo(zapped + 4);
        assertThat(r.s.stat(Stat.pages_4k)).isZero();
        assertThat(r.s.commitBatch).as("commit_batch, watched").isEqualTo(4);
        assertThat(r.violated(Invariant.page_table_leak)).isFalse();
        assertThat(r.violated(Invariant.stale_tlb_at_unlock)).isFalse();
    }

    @Test
    void aZappedLeafTableLeavesItsParentLinkedAndCountsOnce() {
        VmState before = new MmuSystem(zap(false)).initial();
        int l2 = Walk.to(before, before.root, 1, 2).spId();
        Program p = zap(false, prepare(Expr.constant(Walk.of(before, 1).spId())), call("remote_flush_or_zap", 0));
        Run r = new Run(p);
        assertThat(r.trace()).contains("kvm_mmu_commit_zap_page frees 1 page\n");
        assertThat(r.s.sp(l2)).isNotNull();
        assertThat(r.spte(0x1000, "present")).isZero();
        assertThat(r.spte(0x201000, "present")).as("the other slot's page stays").isEqualTo(1);
        assertThat(r.s.commitBatch).as("not watched").isZero();
    }
}
