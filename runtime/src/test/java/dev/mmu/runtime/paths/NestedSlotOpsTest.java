package dev.mmu.runtime.paths;

import static dev.mmu.runtime.paths.SlotPathsTest.finish;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.Level;
import dev.mmu.runtime.model.Memslot;
import dev.mmu.runtime.model.Mmu;
import dev.mmu.runtime.model.Spte;
import dev.mmu.runtime.model.Stat;
import dev.mmu.runtime.model.VmConfig;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.MmuOps.Access;
import dev.mmu.runtime.paths.Program.ThreadProgram;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * mmu both: slot-wide operations cover the shadow MMU's rmaps (the nested guest's legacy pages) as
 * well as the TDP MMU (mmu.c v6.x: kvm_mmu_slot_remove_write_access, kvm_mmu_slot_leaf_clear_dirty
 * / kvm_mmu_write_protect_pt_masked, kvm_mmu_slot_try_split_huge_pages,
 * kvm_mmu_zap_collapsible_sptes, kvm_unmap_gfn_range for a memslot delete).
 */
class NestedSlotOpsTest {
    static VmConfig vm(boolean dirtyLog, boolean eagerSplit, int backing) {
        return new VmConfig(Mmu.BOTH, false, 0, eagerSplit, 4, List.of(
                new Memslot(0, 0, 512, backing, dirtyLog, false),
                new Memslot(1, 0x200, 512, backing, false, false)), 1);
    }

    /** Setup: vCPU 0's L2 guest `kind`s gpa 0x1000 (a legacy leaf under the nested root); then the ioctl. */
    static MmuSystem system(VmConfig c, Access kind, Consumer<PathBuilder> ioctl) {
        PathBuilder setup = new PathBuilder();
        FaultPaths.guestAccess(setup, c, 0, kind, Expr.constant(0x1000), true);
        FaultPaths.guestAccess(setup, c, 0, kind, Expr.constant(0x201000), true);
        PathBuilder b = new PathBuilder();
        ioctl.accept(b);
        return new MmuSystem(new Program(c, ThreadProgram.of("setup", -1, setup),
                List.of(ThreadProgram.of("ioctl", -1, b)), false));
    }

    static Walk nested(VmState s, long gfn) {
        return Walk.of(s, gfn, true);
    }

    @Test
    void enablingDirtyLoggingWriteProtectsTheNestedGuestsLeaves() {
        VmConfig c = vm(false, false, Level.PG_LEVEL_4K);
        MmuSystem m = system(c, Access.WRITE, b -> DirtyLogPaths.dirtyLogEnable(b, c, 0));
        VmState s = m.initial();
        assertThat(Spte.writable(nested(s, 0x1).spte())).isTrue();
        s = finish(m, s, 0);
        assertThat(Spte.writable(nested(s, 0x1).spte())).as("slot_rmap_write_protect").isFalse();
        assertThat(nested(s, 0x1).spte() & Spte.MMU_WRITABLE).as("pt_protect = false").isNotZero();
        assertThat(Spte.writable(nested(s, 0x201).spte())).as("other slot untouched").isTrue();
        assertThat(s.violations).isZero();
    }

    @Test
    void clearDirtyLogWriteProtectsTheNestedGuestsDirtyPages() {
        VmConfig c = vm(true, false, Level.PG_LEVEL_4K);
        MmuSystem m = system(c, Access.WRITE, b -> DirtyLogPaths.clearDirtyLog(b, c, 0));
        VmState s = m.initial();
        assertThat(s.dirty(0, 1)).isTrue();
        assertThat(Spte.writable(nested(s, 0x1).spte())).isTrue();
        s = finish(m, s, 0);
        assertThat(s.dirty(0, 1)).isFalse();
        assertThat(Spte.writable(nested(s, 0x1).spte())).as("kvm_mmu_write_protect_pt_masked: 4K rmap").isFalse();
        assertThat(s.violations).isZero();
    }

    @Test
    void eagerSplitSplitsTheNestedGuestsHugePages() {
        VmConfig c = vm(false, true, Level.PG_LEVEL_2M);
        MmuSystem m = system(c, Access.READ, b -> DirtyLogPaths.slotTrySplitHugePages(b, c, 0));
        VmState s = m.initial();
        assertThat(nested(s, 0x1).level()).isEqualTo(Level.PG_LEVEL_2M);
        long pfn = nested(s, 0x1).pfnOf(0x1);
        long flushes = s.stat(Stat.remote_tlb_flush);
        s = finish(m, s, 0);
        assertThat(nested(s, 0x1).level()).as("shadow_mmu_split_huge_page").isEqualTo(Level.PG_LEVEL_4K);
        assertThat(nested(s, 0x1).pfnOf(0x1)).isEqualTo(pfn);
        assertThat(nested(s, 0x201).level()).as("other slot untouched").isEqualTo(Level.PG_LEVEL_2M);
        assertThat(s.stat(Stat.remote_tlb_flush)).as("no flush").isEqualTo(flushes);
        assertThat(Invariants.violated(Invariant.stats_consistent, s)).isFalse();
        assertThat(s.violations).isZero();
    }

    @Test
    void disablingDirtyLoggingZapsTheNestedGuestsCollapsibleLeaves() {
        VmConfig c = vm(true, false, Level.PG_LEVEL_2M);
        MmuSystem m = system(c, Access.WRITE, b -> DirtyLogPaths.dirtyLogDisable(b, c, 0));
        VmState s = m.initial();
        assertThat(nested(s, 0x1).level()).as("4K while logging").isEqualTo(Level.PG_LEVEL_4K);
        assertThat(Tlbs.lookup(s, 0, 0x1, true)).isNotNull();
        s = finish(m, s, 0);
        assertThat(nested(s, 0x1).presentLeaf()).as("kvm_mmu_zap_collapsible_spte").isFalse();
        assertThat(Tlbs.lookup(s, 0, 0x1, true)).as("flushed before write_unlock").isNull();
        assertThat(nested(s, 0x201).presentLeaf()).as("a 2M leaf in another slot stays").isTrue();
        assertThat(s.violations).isZero();
    }
    /** Runs `body` under write_lock(mmu_lock) after the setup of {@link #system}; returns the final state. */
    static VmState underWriteLock(VmConfig c, Access kind, Consumer<PathBuilder> body) {
        MmuSystem m = system(c, kind, b -> {
            b.emit(new Ops.Acquire(dev.mmu.runtime.model.LockId.mmu_lock, Lock.Mode.WRITE));
            body.accept(b);
            b.emit(new Ops.Release(dev.mmu.runtime.model.LockId.mmu_lock));
        });
        // Choice 0 (need_resched() says no) at each of the walk's yield points: one step per rmap head.
        VmState s = m.initial();
        for (int i = 0; i < 5000 && s.threads[0].pc < m.program().threads().get(0).ops().length; i++) {
            s = SlotPathsTest.step(m, s, 0);
        }
        assertThat(s.threads[0].pc).as("finished").isEqualTo(m.program().threads().get(0).ops().length);
        return s;
    }

    /**
     * kvm_mmu_zap_memslot()'s rmap half, __kvm_rmap_zap_gfn_range(): zaps the nested guest's leaves
     * of that slot only and says a flush is owed; a second walk finds nothing and owes none.
     */
    @Test
    void theRmapZapOfAMemslotZapsItsNestedLeavesAndOwesAFlushOnlyIfItZapped() {
        VmConfig c = vm(false, false, Level.PG_LEVEL_4K);
        int[] flush = new int[2];
        VmState s = underWriteLock(c, Access.WRITE, b -> {
            flush[0] = b.local("flush");
            flush[1] = b.local("again");
            DirtyLogPaths.zapRmaps(b, 0, 0, true, flush[0]);
            DirtyLogPaths.zapRmaps(b, 0, 0, true, flush[1]);
            KernelFixtures.flushRemoteTlbs(b); // the caller's flush, before the unlock
        });
        assertThat(nested(s, 0x1) != null && nested(s, 0x1).presentLeaf()).as("kvm_zap_rmap").isFalse();
        assertThat(nested(s, 0x201).presentLeaf()).as("other slot untouched").isTrue();
        assertThat(s.threads[0].locals[flush[0]]).as("a flush is owed").isEqualTo(1);
        assertThat(s.threads[0].locals[flush[1]]).as("nothing left to zap").isZero();
        assertThat(s.violations).isZero();
    }

    /**
     * kvm_mmu_zap_collapsible_spte() zaps a leaf only below kvm_mmu_max_mapping_level(): a 2M
     * leaf of a 2M-backed slot that does not log is as large as it can be, so it stays, with no flush.
     */
    @Test
    void theCollapsibleZapLeavesALeafAsLargeAsItsBacking() {
        VmConfig c = vm(false, false, Level.PG_LEVEL_2M);
        VmState before = system(c, Access.READ, b -> { }).initial();
        VmState s = underWriteLock(c, Access.READ, b -> DirtyLogPaths.zapCollapsibleRmaps(b, 0, 0, true));
        assertThat(nested(s, 0x1).level()).isEqualTo(Level.PG_LEVEL_2M);
        assertThat(nested(s, 0x1).presentLeaf()).isTrue();
        assertThat(Tlbs.lookup(s, 0, 0x1, true)).as("no flush").isNotNull();
        assertThat(s.stat(Stat.remote_tlb_flush)).isEqualTo(before.stat(Stat.remote_tlb_flush));
    }

    /**
     * kvm_shadow_mmu_try_split_huge_pages() walks the 1G rmaps, then the 2M ones: a 1G leaf ends as
     * 4K leaves (the 2M pieces of the first split are split in turn), same pfns.
     */
    @Test
    void eagerSplitSplitsANested1GLeafDownTo4K() {
        VmConfig c = new VmConfig(Mmu.BOTH, false, 0, true, 4, List.of(
                new Memslot(0, 0, 1L << 18, Level.PG_LEVEL_1G, false, false),
                new Memslot(1, 1L << 18, 512, Level.PG_LEVEL_2M, false, false)), 1);
        MmuSystem setupOnly = system(c, Access.READ, b -> { });
        VmState before = setupOnly.initial();
        assertThat(nested(before, 0x1).level()).as("a 1G legacy leaf").isEqualTo(Level.PG_LEVEL_1G);
        long pfn = nested(before, 0x1).pfnOf(0x1);
        VmState s = underWriteLock(c, Access.READ, b -> DirtyLogPaths.trySplitRmaps(b, 0, 0));
        assertThat(nested(s, 0x1).level()).isEqualTo(Level.PG_LEVEL_4K);
        assertThat(nested(s, 0x1).pfnOf(0x1)).isEqualTo(pfn);
        assertThat(nested(s, 0x3ffff).level()).as("the last 2M piece too").isEqualTo(Level.PG_LEVEL_4K);
        assertThat(Invariants.violated(Invariant.stats_consistent, s)).isFalse();
        assertThat(s.violations).isZero();
    }

    /**
     * The memslot zap of slot 0 under the write lock: vCPU 0's L2 guest read gpa 0x1000 (a 4K leaf,
     * cached in its TLB), and the walk yields at its `yieldAt`-th yield point (from 1; 0: never).
     */
    static VmState zapYieldingAt(boolean flushOnYield, int yieldAt, int[] decisions, int[] flush) {
        VmConfig c = vm(false, false, Level.PG_LEVEL_4K);
        MmuSystem m = system(c, Access.READ, b -> {
            flush[0] = b.local("flush");
            b.emit(new Ops.Acquire(dev.mmu.runtime.model.LockId.mmu_lock, Lock.Mode.WRITE));
            b.emit(new Ops.Assign(flush[0], Expr.constant(0), "flush = false"));
            DirtyLogPaths.zapRmaps(b, 0, 0, flushOnYield, flush[0]);
            b.emit(new Ops.Release(dev.mmu.runtime.model.LockId.mmu_lock));
        });
        Op[] ops = m.program().threads().get(0).ops();
        VmState s = m.initial();
        for (int i = 0; i < 100 && s.threads[0].pc < ops.length; i++) {
            boolean decision = ops[s.threads[0].pc] instanceof Ops.NeedResched;
            if (decision) decisions[0]++;
            s = m.step(s, 0, decision && decisions[0] == yieldAt ? 1 : 0, null);
        }
        assertThat(s.threads[0].pc).as("finished").isEqualTo(ops.length);
        return s;
    }

    /**
     * slot_rmap_walk_next() skips the heads that hold no SPTE, but rmap_walk_init_level() starts
     * each level at its first head: the zap of slot 0 (its one L2 leaf, gfn 0x1, in the group of
     * the first 4K head, which one step visits) asks whether to yield after the first head of 4K,
     * 2M and 1G.
     */
    @Test
    void theRmapWalkAsksToYieldAfterEachHeadHoldingAnSpteAndTheFirstOfEachLevel() {
        int[] decisions = new int[1];
        VmState s = zapYieldingAt(true, 0, decisions, new int[1]);
        assertThat(decisions[0]).isEqualTo(3);
        assertThat(nested(s, 0x1) != null && nested(s, 0x1).presentLeaf()).as("kvm_zap_rmap").isFalse();
    }

    /**
     * A yield at the second yield point (the first 2M head), with the zap of gfn 0x1 owed a flush: with
     * flush_on_yield (__kvm_rmap_zap_gfn_range's) the walk flushes it before
     * cond_resched_rwlock_write() drops mmu_lock and owes nothing after; without it mmu_lock is
     * released while vCPU 0 still caches the zapped translation.
     */
    @Test
    void aYieldOwingAFlushFlushesFirstOnlyWithFlushOnYield() {
        int[] flush = new int[1];
        VmState s = zapYieldingAt(true, 2, new int[1], flush);
        assertThat(Invariant.stale_tlb_at_unlock.violatedIn(s)).isFalse();
        assertThat(Tlbs.lookup(s, 0, 0x1, true)).as("flushed at the yield").isNull();
        assertThat(s.threads[0].locals[flush[0]]).as("nothing owed after the yield").isZero();

        s = zapYieldingAt(false, 2, new int[1], flush);
        assertThat(Invariant.stale_tlb_at_unlock.violatedIn(s)).as("the yield's unlock").isTrue();
        assertThat(s.threads[0].locals[flush[0]]).as("still owed to the caller").isEqualTo(1);
    }

    /**
     * With the ranged flush (KVM on Hyper-V) kvm_mmu_zap_collapsible_spte() flushes each SPTE it
     * zaps (kvm_flush_remote_tlbs_sptep(): that SPTE's gfns) and owes nothing; without it, it owes
     * the caller a flush and leaves the TLBs alone.
     */
    @Test
    void theCollapsibleZapFlushesEachSpteItselfOnlyWithTheRangedFlush() {
        VmConfig bare = vm(true, false, Level.PG_LEVEL_2M);
        VmConfig hyperv = new VmConfig(bare.mmu(), bare.nxHugePages(), bare.nxRecoveryRatio(), bare.eagerPageSplit(),
                bare.tdpLevels(), bare.memslots(), bare.vcpus(), bare.preempt(), bare.pml(), bare.nxListPerMmu(), bare.accessedBitVolatile(),
                bare.setsPfnDirtyOnZap(), true);
        for (VmConfig c : List.of(bare, hyperv)) {
            MmuSystem m = system(c, Access.WRITE, b -> { });
            VmState s = m.initial().copy();
            s.slotLogging &= ~1; // logging off: the 4K leaf of slot 0 may be 2M again
            long flushes = s.stat(Stat.remote_tlb_flush);
            Exec e = new Exec(m.program(), s, 0, null);
            boolean owed = RmapWalks.handle(e, RmapWalks.Handler.KVM_MMU_ZAP_COLLAPSIBLE_SPTE, 0, Level.PG_LEVEL_4K, 0x0, -1);
            assertThat(nested(s, 0x1).presentLeaf()).isFalse();
            assertThat(owed).as("owed").isEqualTo(!c.flushRemoteTlbsRange());
            assertThat(Tlbs.lookup(s, 0, 0x1, true) == null).as("0x1 flushed").isEqualTo(c.flushRemoteTlbsRange());
            assertThat(Tlbs.lookup(s, 0, 0x201, true)).as("the other slot's entry").isNotNull();
            assertThat(s.stat(Stat.remote_tlb_flush)).isEqualTo(flushes);
        }
    }
}
