package dev.mmu.runtime.paths;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.Level;
import dev.mmu.runtime.model.LockId;
import dev.mmu.runtime.model.Mmu;
import dev.mmu.runtime.model.VmConfig;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.Lock.Mode;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * The primitives of v7.2's lockless aging walk (kernel/tdp_mmu.mmu __kvm_tdp_mmu_age_gfn_range,
 * kvm_tdp_mmu_age_spte; kernel/mmu.mmu kvm_age_gfn): __tdp_mmu_set_spte_atomic (tdp_mmu.c:573),
 * kvm_tdp_mmu_write_spte (tdp_iter.h, for a patch's plain store), kvm_rmap_age_gfn_range
 * (mmu.c:1732), and 6.12's one-step locked walk, kvm_tdp_mmu_age_gfn_range.
 */
class LocklessAgingTest {
    static final VmConfig HUGE = SlotOpsTest.HUGE;

    /** vCPU 0's write leaves a young, dirty 2M leaf at gfn 0 (level 2); `body` gets the local of its snapshot. */
    static Run withSnapshot(boolean rcu, java.util.function.BiConsumer<PathBuilder, Integer> body) {
        return Run.of(HUGE, s -> SlotOpsTest.write(s, HUGE, 0x1000), b -> {
            int old = b.local("old_spte");
            if (rcu) b.emit(new Ops.Acquire(LockId.rcu, Mode.READ));
            b.emit(new Ops.Call(Primitives.get("kvm_tdp_mmu_read_spte"), new Expr[] {Expr.constant(0), Expr.constant(2)}, old));
            body.accept(b, old);
            if (rcu) b.emit(new Ops.Release(LockId.rcu));
        });
    }

    /** old_spte & ~shadow_accessed_mask, as kvm_tdp_mmu_age_spte() computes it. */
    static Expr aged(int old) {
        return new Expr.Computed(Expr.Operator.SUB, Expr.local(old), Expr.constant(dev.mmu.runtime.model.Spte.ACCESSED));
    }

    static Op cmpxchg(int old, Expr newSpte, int result) {
        return new Ops.Call(Primitives.get("__tdp_mmu_set_spte_atomic"),
                new Expr[] {Expr.constant(0), Expr.constant(2), Expr.local(old), newSpte}, result);
    }

    @Test
    void theCmpxchgClearsAAgainstItsSnapshotAndFailsOnceTheSpteChanged() {
        int[] r = new int[2];
        Run run = withSnapshot(true, (b, old) -> {
            r[0] = b.local("first");
            r[1] = b.local("second");
            b.emit(cmpxchg(old, aged(old), r[0]));
            b.emit(cmpxchg(old, aged(old), r[1])); // the same snapshot: memory has A clear now
        });
        assertThat(run.local(r[0])).as("the snapshot still in memory: stored").isZero();
        assertThat(run.spte(0x1000, "accessed")).isZero();
        assertThat(run.spte(0x1000, "dirty")).as("only A goes").isEqualTo(1);
        assertThat(run.local(r[1])).as("-EBUSY, not retried").isEqualTo(-16);
        assertThat(run.trace()).contains("-EBUSY").doesNotContain("!! lockdep");
    }

    /** rcu_dereference(iter->sptep): CONFIG_PROVE_RCU outside rcu_read_lock(), no mmu_lock needed either way. */
    @Test
    void theCmpxchgOutsideRcuIsLockdep() {
        Run run = withSnapshot(false, (b, old) -> b.emit(cmpxchg(old, aged(old), -1)));
        assertThat(run.violated(Invariant.lockdep)).isTrue();
        assertThat(run.trace()).contains("rcu_read_lock()");
    }

    @Test
    void theModelsCmpxchgTakesAnAgingChangeOnly() {
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> withSnapshot(true, (b, old) -> b.emit(cmpxchg(old, Expr.constant(0), -1))))
                .hasMessageContaining("A/D change only");
    }

    /** The plain store over a zapped SPTE writes the leaf back: lost_spte_update; over its own snapshot, none. */
    @Test
    void aPlainStoreOverAChangedSpteIsALostUpdate() {
        Consumer<PathBuilder> zap = b -> b.emit(new Ops.Call(Primitives.get("kvm_tdp_mmu_write_spte"),
                new Expr[] {Expr.constant(0), Expr.constant(2), Expr.constant(0), Expr.constant(0)}, -1));
        Run lost = withSnapshot(true, (b, old) -> {
            zap.accept(b); // another thread's zap, here in the same thread: the SPTE is 0 now
            b.emit(new Ops.Call(Primitives.get("kvm_tdp_mmu_write_spte"),
                    new Expr[] {Expr.constant(0), Expr.constant(2), Expr.local(old), aged(old)}, -1));
        });
        assertThat(lost.violated(Invariant.lost_spte_update)).isTrue();
        assertThat(lost.spte(0x1000, "present")).as("the zapped leaf is back").isEqualTo(1);
        Run own = withSnapshot(true, (b, old) -> b.emit(new Ops.Call(Primitives.get("kvm_tdp_mmu_write_spte"),
                new Expr[] {Expr.constant(0), Expr.constant(2), Expr.local(old), aged(old)}, -1)));
        assertThat(own.violated(Invariant.lost_spte_update)).isFalse();
        assertThat(own.spte(0x1000, "accessed")).isZero();
    }

    /**
     * The plain store finds a table where the patch's walk saw a leaf (a split since): the lost
     * update is recorded and the model leaves the table (it does not orphan the page below); with
     * no SPTE at that level (the walk's level is gone) it stores nothing.
     */
    @Test
    void aPlainStoreOverATableIsALostUpdateAndLeavesTheTable() {
        Run r = Run.of(HUGE, s -> SlotOpsTest.write(s, HUGE, 0x1000), b -> b.emit(new Ops.Note("idle")));
        Exec e = new Exec(r.system.program(), r.s.copy(), 0, null);
        int root = e.s.root;
        Walk table = Walk.to(e.s, root, 0, 3);
        long pointer = table.spte();
        assertThat(dev.mmu.runtime.model.Spte.leaf(pointer)).as("L3 points to the L2 table").isFalse();
        long leaf = Walk.to(e.s, root, 0, 2).spte();
        assertThat(Aging.writeSpte(e, root, 0, 3, leaf, leaf - dev.mmu.runtime.model.Spte.ACCESSED)).isEqualTo(pointer);
        assertThat(Walk.to(e.s, root, 0, 3).spte()).as("the table stays").isEqualTo(pointer);
        assertThat(Invariants.violated(Invariant.lost_spte_update, e.s)).isTrue();

        Exec none = new Exec(r.system.program(), r.s.copy(), 0, null);
        assertThat(Aging.writeSpte(none, root, 0, 1, leaf, 0)).as("no L1 table under the 2M leaf").isZero();
        assertThat(Walk.to(none.s, root, 0, 2).spte()).isEqualTo(leaf);
        assertThat(Invariants.violated(Invariant.lost_spte_update, none.s)).isFalse();
    }

    /** 6.12's one-step walk asserts the write lock (kvm_handle_hva_range() takes it) and ages invalidated roots too. */
    @Test
    void theLockedWalkOf612AgesAnInvalidatedRootUnderTheWriteLock() {
        int[] young = new int[1];
        Run locked = Run.of(HUGE, s -> SlotOpsTest.write(s, HUGE, 0x1000), b -> {
            young[0] = b.local("young");
            b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
            b.emit(DirtyLogPaths.call("kvm_tdp_mmu_invalidate_roots", -1));
            b.emit(DirtyLogPaths.call("kvm_tdp_mmu_age_gfn_range", young[0], 0x0, 0x200000));
            b.emit(new Ops.Release(LockId.mmu_lock));
        });
        assertThat(locked.local(young[0])).as("6.12's walk visits the invalidated root").isEqualTo(1);
        assertThat(locked.violated(Invariant.lockdep)).isFalse();
        Run unlocked = Run.of(HUGE, s -> SlotOpsTest.write(s, HUGE, 0x1000),
                b -> b.emit(DirtyLogPaths.call("kvm_tdp_mmu_test_age_gfn", -1, 0x0, 0x200000)));
        assertThat(unlocked.violated(Invariant.lockdep)).isTrue();
    }

    /** kvm_rmap_age_gfn_range() sees the rmaps only: a TDP leaf is not its (the prelude's TDP walk ages that). */
    @Test
    void theRmapHalfLeavesTheTdpMmusLeaves() {
        int[] young = new int[1];
        Run run = Run.of(HUGE, s -> SlotOpsTest.write(s, HUGE, 0x1000), b -> {
            young[0] = b.local("young");
            b.emit(DirtyLogPaths.call("kvm_rmap_age_gfn_range", young[0], 0x0, 0x200, 0));
        });
        assertThat(run.local(young[0])).isZero();
        assertThat(run.spte(0x1000, "accessed")).isEqualTo(1);
        assertThat(run.violated(Invariant.lockdep)).as("no lock asserted").isFalse();
    }

    /**
     * mmu shadow: kvm_rmap_age_gfn_range() finds every leaf in an rmap, those of a root only a vCPU
     * holds (obsolete) or the SMM root too (RmapWalks.shadowRoots()).
     */
    @Test
    void onMmuShadowTheRmapsOfAVcpusAndTheSmmRootAreAged() {
        VmState s = RmapWalksTest.state(Mmu.SHADOW, false, Level.PG_LEVEL_4K, 0x201000);
        int root = s.root;
        s.vcpuRoots[0] = root;
        s.root = -1;
        Program p = InvariantsTest.program(s.config, b -> { }, InvariantsTest.thread("t", b -> { }));
        Exec e = new Exec(p, s, 0, new StringBuilder());
        assertThat(Aging.ageRmaps(e, 0x200, 0x400, true)).as("the vCPU's root: young").isTrue();
        s.vcpuRoots[0] = -1;
        s.smmRoot = root;
        assertThat(Aging.ageRmaps(e, 0x200, 0x400, true)).as("the SMM root: young").isTrue();
        assertThat(Aging.ageRmaps(e, 0x200, 0x400, false)).as("cleared").isTrue();
        assertThat(Aging.ageRmaps(e, 0x200, 0x400, true)).as("old now").isFalse();
    }
}
