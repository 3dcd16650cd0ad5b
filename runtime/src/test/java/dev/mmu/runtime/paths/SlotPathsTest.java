package dev.mmu.runtime.paths;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.LockId;
import dev.mmu.runtime.model.Memslot;
import dev.mmu.runtime.model.Mmu;
import dev.mmu.runtime.model.Spte;
import dev.mmu.runtime.model.ShadowPage;
import dev.mmu.runtime.model.Stat;
import dev.mmu.runtime.model.VmConfig;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.Lock.Mode;
import dev.mmu.runtime.paths.MmuOps.Access;
import dev.mmu.runtime.paths.Program.ThreadProgram;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * Steps the dirty-logging and memslot paths one atomic step at a time and checks the state after
 * each step against what the kernel function does there (kernel-notes §6, kvm_main.c v6.x).
 */
class SlotPathsTest {
    static VmConfig vm(boolean eagerSplit) {
        return new VmConfig(Mmu.TDP, false, 0, eagerSplit, 4, List.of(
                new Memslot(0, 0, 1024, 2, false, false),
                new Memslot(1, 0x400, 1024, 2, false, false)), 2);
    }

    /** A program: setup writes gfn 0x1 from vCPU 0 (a writable 2M SPTE cached by vCPU 0), then the threads. */
    static MmuSystem system(VmConfig c, List<Consumer<PathBuilder>> threads) {
        PathBuilder setup = new PathBuilder();
        FaultPaths.guestAccess(setup, c, 0, Access.WRITE, Expr.constant(0x1000));
        List<ThreadProgram> ts = new ArrayList<>();
        for (int i = 0; i < threads.size(); i++) {
            PathBuilder b = new PathBuilder();
            threads.get(i).accept(b);
            ts.add(ThreadProgram.of("t" + i, i == threads.size() - 1 ? 1 : -1, b));
        }
        return new MmuSystem(new Program(c, ThreadProgram.of("setup", -1, setup), ts, false));
    }

    static VmState step(MmuSystem m, VmState s, int t) {
        return m.step(s, t, 0, null);
    }

    /** Steps thread t (choice 0: no need_resched) until the predicate holds; fails after 200 steps. */
    static VmState until(MmuSystem m, VmState s, int t, Predicate<VmState> p) {
        for (int i = 0; i < 200 && !p.test(s); i++) s = step(m, s, t);
        assertThat(p.test(s)).as("predicate reached").isTrue();
        return s;
    }

    static VmState finish(MmuSystem m, VmState s, int t) {
        return until(m, s, t, x -> x.threads[t].pc >= m.program().threads().get(t).ops().length);
    }

    static Walk leaf(VmState s, long gfn) {
        return Walk.of(s, gfn);
    }

    @Test
    void enableWriteProtectsUnderReadLockAndFlushesAfterUnlock() {
        VmConfig c = vm(false);
        MmuSystem m = system(c, List.of(b -> DirtyLogPaths.dirtyLogEnable(b, c, 0)));
        VmState s = m.initial();
        assertThat(Spte.writable(leaf(s, 1).spte())).isTrue();
        assertThat(leaf(s, 1).level()).isEqualTo(2);
        assertThat(Tlbs.lookup(s, 0, 1).writable()).isTrue();

        s = step(m, s, 0); // mutex_lock(slots_lock)
        assertThat(s.mutexOwner[0]).isEqualTo(0);
        s = step(m, s, 0); // kvm_set_memslot(KVM_MR_FLAGS_ONLY)
        assertThat(Memslots.logging(s, 0)).isTrue();
        assertThat(s.dirtyLogBusy & 1).isEqualTo(1);
        s = step(m, s, 0); // synchronize_srcu
        s = step(m, s, 0); // read_lock(mmu_lock)
        assertThat(s.mmuReaders).isEqualTo(1L);
        assertThat(s.mmuWriter).isEqualTo(-1);
        s = step(m, s, 0); // rcu_read_lock, tdp_iter_start; stops at tdp_mmu_iter_cond_resched
        assertThat(Lock.held(s, 0, LockId.rcu)).isTrue();
        // Walk down to the 2M leaf: each present SPTE is one iteration.
        s = until(m, s, 0, x -> !Spte.writable(leaf(x, 1).spte()));
        assertThat(Spte.present(leaf(s, 1).spte())).isTrue();
        assertThat(Tlbs.lookup(s, 0, 1).writable()).as("no flush under the lock").isTrue();
        long flushes = s.stat(Stat.remote_tlb_flush);
        s = until(m, s, 0, x -> x.mmuReaders == 0);
        assertThat(Invariant.stale_tlb_at_unlock.violatedIn(s)).as("W-only staleness is allowed at unlock").isFalse();
        assertThat(Tlbs.lookup(s, 0, 1)).isNotNull();
        s = step(m, s, 0); // kvm_flush_remote_tlbs_memslot after the unlock
        assertThat(s.stat(Stat.remote_tlb_flush)).isEqualTo(flushes + 1);
        assertThat(Tlbs.lookup(s, 0, 1)).isNull();
        assertThat(s.dirtyLogBusy).as("open until the ioctl returns").isEqualTo(1);
        s = finish(m, s, 0);
        assertThat(s.dirtyLogBusy).isZero();
        assertThat(s.mutexOwner[0]).isEqualTo(-1);
        assertThat(s.violations).isZero();
    }

    @Test
    void writeFaultOnALoggedSlotMaps4kWritableAndMarksDirty() {
        VmConfig c = vm(false);
        MmuSystem m = system(c, List.of(b -> DirtyLogPaths.dirtyLogEnable(b, c, 0),
                b -> FaultPaths.guestAccess(b, c, 1, Access.WRITE, Expr.constant(0x3000))));
        VmState s = finish(m, m.initial(), 0);
        assertThat(s.dirty(0, 3)).isFalse();
        s = step(m, s, 1); // EPT violation: the 2M SPTE is write-protected
        assertThat(Tlbs.lookup(s, 1, 3)).isNull();
        s = step(m, s, 1); // kvm_faultin_pfn: srcu_read_lock, fault->slot logs dirty pages
        assertThat(Lock.held(s, 1, LockId.srcu)).isTrue();
        s = step(m, s, 1); // read_lock
        // kvm_tdp_mmu_map: split in place (one cmpxchg), 4K writable leaf (another), make_spte marks dirty
        s = until(m, s, 1, x -> leaf(x, 3).level() == 1 && Spte.writable(leaf(x, 3).spte()));
        Walk w = leaf(s, 3);
        assertThat(w.level()).isEqualTo(1);
        assertThat(Spte.writable(w.spte())).isTrue();
        assertThat(Spte.writable(leaf(s, 4).spte())).as("split children keep the huge SPTE's W (cleared)").isFalse();
        assertThat(s.dirty(0, 3)).isTrue();
        assertThat(s.dirty(0, 4)).isFalse();
        assertThat(s.stat(Stat.pages_4k)).isEqualTo(512);
        assertThat(s.stat(Stat.pages_2m)).isZero();
        s = finish(m, s, 1);
        assertThat(Lock.held(s, 1, LockId.srcu)).isFalse();
        assertThat((leaf(s, 3).spte() & Spte.DIRTY)).as("the walker sets the D bit").isNotZero();
        assertThat(s.violations).isZero();
    }

    @Test
    void clearDirtyLogReportsWriteProtectsAndFlushesAfterUnlock() {
        VmConfig c = vm(false);
        MmuSystem m = system(c, List.of(b -> {
            DirtyLogPaths.dirtyLogEnable(b, c, 0);
            DirtyLogPaths.clearDirtyLog(b, c, 0);
        }, b -> FaultPaths.guestAccess(b, c, 1, Access.WRITE, Expr.constant(0x3000))));
        VmState s = until(m, m.initial(), 0, x -> x.mutexOwner[0] == -1 && x.threads[0].pc > 0);
        s = finish(m, s, 1);
        assertThat(s.dirty(0, 3)).isTrue();
        assertThat(Tlbs.lookup(s, 1, 3).writable()).isTrue();
        s = step(m, s, 0); // slots_lock
        s = step(m, s, 0); // write_lock
        assertThat(s.mmuWriter).isEqualTo(0);
        s = step(m, s, 0); // kvm_clear_dirty_log_protect
        assertThat(s.dirty(0, 3)).isFalse();
        assertThat(Spte.writable(leaf(s, 3).spte())).isFalse();
        assertThat(s.dirtyLogBusy & 1).isEqualTo(1);
        s = step(m, s, 0); // write_unlock: the TLB still says writable
        assertThat(Tlbs.lookup(s, 1, 3).writable()).isTrue();
        s = step(m, s, 0); // if (flush) kvm_flush_remote_tlbs_memslot
        assertThat(Tlbs.lookup(s, 1, 3)).isNull();
        assertThat(s.dirtyLogBusy).as("open until the ioctl returns").isEqualTo(1);
        s = finish(m, s, 0);
        assertThat(s.dirtyLogBusy).isZero();
        assertThat(s.violations).isZero();
    }

    @Test
    void aWriteThroughAStaleTlbAfterTheIoctlIsALostWrite() {
        VmConfig c = vm(false);
        // Enabling without the final flush: vCPU 0 keeps its writable 2M TLB entry.
        MmuSystem m = system(c, List.of(b -> {
            b.emit(new Ops.Acquire(LockId.slots_lock, Mode.WRITE));
            b.emit(new SlotOps.SetLogDirty(0, true));
            b.emit(new SlotOps.SynchronizeSrcu());
            DirtyLogPaths.slotRemoveWriteAccess(b, c, 0);
            b.emit(new Ops.Release(LockId.slots_lock));
        }, b -> { }));
        VmState s = finish(m, m.initial(), 0);
        assertThat(Tlbs.lookup(s, 0, 1).writable()).isTrue();
        PathBuilder w = new PathBuilder();
        FaultPaths.guestAccess(w, c, 0, Access.WRITE, Expr.constant(0x1000));
        Exec e = new Exec(m.program(), s.copy(), 1, new StringBuilder());
        w.ops()[0].exec(e, 0);
        assertThat(Invariant.dirty_log_lost.violatedIn(e.s)).isTrue();
    }

    @Test
    void clearDirtyGfnRangeClearsDOfTheLeavesInTheRangeOnly() {
        VmConfig c = vm(false);
        MmuSystem m = system(c, List.of(b -> FaultPaths.guestAccess(b, c, 0, Access.WRITE, Expr.constant(0x3000)),
                b -> { }));
        VmState s = finish(m, m.initial(), 0);
        Walk leaf = Walk.of(s, 3);
        assertThat(leaf.presentLeaf()).isTrue();
        assertThat(leaf.spte() & Spte.DIRTY).as("the write set D").isNotZero();
        long last = leaf.level() == 1 ? 3 : 511; // the last gfn the leaf maps
        Exec e = new Exec(m.program(), s.copy(), 1, new StringBuilder());
        assertThat(SlotOps.clearDirtyGfnRange(e, last + 1, last + 513)).as("a range past the leaf").isFalse();
        long first = last - (leaf.level() == 1 ? 0 : 511);
        assertThat(SlotOps.clearDirtyGfnRange(e, 0, first)).as("a range ending where the leaf starts").isFalse();
        e = new Exec(m.program(), s.copy(), 1, new StringBuilder());
        assertThat(SlotOps.clearDirtyGfnRange(e, last, last + 1)).as("the range's last gfn on the leaf").isTrue();
        Walk after = Walk.of(e.s, 3);
        assertThat(after.spte()).isEqualTo(leaf.spte() & ~Spte.DIRTY).as("only D cleared, W kept");
        assertThat(SlotOps.clearDirtyGfnRange(e, 0, 512)).as("nothing left to clear").isFalse();
    }

    @Test
    void disableZapsCollapsibleTablesAtomically() {
        VmConfig c = vm(false);
        MmuSystem m = system(c, List.of(b -> {
            DirtyLogPaths.dirtyLogEnable(b, c, 0);
            FaultPaths.guestAccess(b, c, 0, Access.WRITE, Expr.constant(0x3000));
            DirtyLogPaths.dirtyLogDisable(b, c, 0);
        }, b -> { }));
        VmState s = until(m, m.initial(), 0, x -> x.stat(Stat.pages_4k) == 512 && x.mutexOwner[0] == -1);
        s = until(m, s, 0, x -> !Memslots.logging(x, 0));
        assertThat(s.dirtyWord(0, 0)).as("the bitmap goes with the flag").isZero();
        s = until(m, s, 0, x -> (Walk.to(x, x.root, 0, 2).spte() & Spte.FROZEN) != 0);
        assertThat(s.stat(Stat.pages_4k)).as("handle_removed_pt ran on the freeze").isZero();
        assertThat(s.rcuPending).hasSize(1);
        long flushes = s.stat(Stat.remote_tlb_flush);
        s = step(m, s, 0); // flush, then unfreeze
        assertThat(s.stat(Stat.remote_tlb_flush)).isEqualTo(flushes + 1);
        assertThat(Walk.to(s, s.root, 0, 2).spte()).isZero();
        s = finish(m, s, 0);
        assertThat(s.rcuPending).isEmpty();
        assertThat(Invariants.violated(Invariant.stats_consistent, s)).isFalse();
        assertThat(Invariants.violated(Invariant.page_table_leak, s)).isFalse();
        assertThat(s.violations).isZero();
    }

    /**
     * zap_collapsible_spte_range() moves on after a successful zap (`goto retry` is for a failed
     * cmpxchg only): an exec fault re-linking the NX-split table behind it is not zapped again and
     * again under one rcu_read_lock(), each time with a new table and flush. Every op a step and
     * every stat kept, the space is finite (it was not: the zap revisited the SPTE it had zapped).
     */
    @Test
    void theCollapsibleZapMovesOnAfterAZapSoAReLinkingFaultCannotKeepItBusy() {
        VmConfig c = InvariantsTest.vm(Mmu.TDP, true, 1, InvariantsTest.HUGE);
        Program p = InvariantsTest.program(c, b -> { },
                InvariantsTest.thread("zapper", b -> DirtyLogPaths.zapCollapsibleSptes(b, c, 0)),
                InvariantsTest.vcpu(c, 0, Access.EXEC, 0x1000));
        MmuSystem plain = new MmuSystem(p.withAllStatsRead(), false, false);
        var r = dev.mmu.runtime.explore.Explorer.explore(plain, List.of(),
                dev.mmu.runtime.explore.ExploreOptions.builder().maxStates(20_000).partialOrder(false).build());
        assertThat(r.coverage()).as("explored completely").isNull();
        assertThat(r.stats().statesStored()).isLessThan(2_000);
    }

    @Test
    void eagerSplitDropsTheLockToAllocateAndNeverFlushes() {
        VmConfig c = vm(true);
        MmuSystem m = system(c, List.of(b -> DirtyLogPaths.slotTrySplitHugePages(b, c, 0), b -> { }));
        VmState s = m.initial();
        long flushes = s.stat(Stat.remote_tlb_flush);
        s = until(m, s, 0, x -> x.mmuReaders == 1 && x.threads[0].pc > 1);
        s = until(m, s, 0, x -> x.mmuReaders == 0); // found the 2M leaf: unlock to allocate
        assertThat(leaf(s, 1).level()).isEqualTo(2);
        assertThat(Lock.held(s, 0, LockId.rcu)).isFalse();
        s = step(m, s, 0); // read_lock again
        s = until(m, s, 0, x -> leaf(x, 1).level() == 1);
        assertThat(s.stat(Stat.pages_4k)).isEqualTo(512);
        assertThat(Spte.writable(leaf(s, 1).spte())).isTrue();
        s = finish(m, s, 0);
        assertThat(s.stat(Stat.remote_tlb_flush)).isEqualTo(flushes);
        assertThat(Tlbs.lookup(s, 0, 1)).as("same translation: the 2M TLB entry may stay").isNotNull();
        assertThat(Invariants.violated(Invariant.stats_consistent, s)).isFalse();
        assertThat(s.violations).isZero();
    }

    @Test
    void deleteWaitsForAFaultInsideSrcuAndSkippingTheZapDangles() {
        VmConfig c = vm(false);
        MmuSystem m = system(c, List.of(b -> {
            b.emit(new Ops.Acquire(LockId.slots_lock, Mode.WRITE));
            b.emit(new SlotOps.InvalidateSlot(1));
            b.emit(new SlotOps.SynchronizeSrcu());
            b.emit(new SlotOps.DeleteSlot(1)); // no kvm_arch_flush_shadow_memslot
            b.emit(new Ops.Release(LockId.slots_lock));
        }, b -> FaultPaths.guestAccess(b, c, 1, Access.WRITE, Expr.constant(0x401000))));
        VmState s = m.initial();
        s = step(m, s, 1); // EPT violation
        s = step(m, s, 1); // kvm_faultin_pfn: srcu held, slot valid
        s = step(m, s, 0); // slots_lock
        s = step(m, s, 0); // KVM_MEMSLOT_INVALID
        assertThat(m.program().threads().get(0).ops()[s.threads[0].pc].choices(s, 0))
                .as("synchronize_srcu waits for the fault").isZero();
        s = finish(m, s, 1); // the fault maps the old slot's page and leaves srcu
        s = finish(m, s, 0);
        assertThat(Invariant.dangling_memslot.violatedIn(s)).isTrue();
        assertThat(Invariants.violated(Invariant.dangling_memslot, s)).isTrue();
    }

    @Test
    void aMoveWithoutTheZapLeavesTheOldGpaMapped() {
        VmConfig c = vm(false);
        MmuSystem m = system(c, List.of(b -> {
            b.emit(new Ops.Acquire(LockId.slots_lock, Mode.WRITE));
            b.emit(new SlotOps.InvalidateSlot(1));
            b.emit(new SlotOps.SynchronizeSrcu());
            b.emit(new SlotOps.MoveSlot(1, 0x800)); // no kvm_arch_flush_shadow_memslot(old)
            b.emit(new Ops.Release(LockId.slots_lock));
        }, b -> FaultPaths.guestAccess(b, c, 1, Access.WRITE, Expr.constant(0x401000))));
        VmState s = finish(m, m.initial(), 1);
        s = finish(m, s, 0);
        assertThat(Invariant.dangling_memslot.violatedIn(s)).isTrue();
        assertThat(SlotOps.dangling(s)).contains("gfn 0x400");
    }

    static Op next(MmuSystem m, VmState s, int t) {
        return m.program().threads().get(t).ops()[s.threads[t].pc];
    }
}
