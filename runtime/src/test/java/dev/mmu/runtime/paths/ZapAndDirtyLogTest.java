package dev.mmu.runtime.paths;

import static dev.mmu.runtime.paths.InvariantsTest.call;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.LockId;
import dev.mmu.runtime.model.Memslot;
import dev.mmu.runtime.model.Mmu;
import dev.mmu.runtime.model.VmConfig;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.Lock.Mode;
import dev.mmu.runtime.paths.MmuOps.Access;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Range zaps whose range starts or ends inside a table (zap_gfn_range, v5.12), and the dirty-log
 * ioctls on a memslot that is not the first one.
 */
class ZapAndDirtyLogTest {
    static final long SZ_2M = 0x200000L;
    static final VmConfig VM = InvariantsTest.vm(Mmu.TDP, false, 1, InvariantsTest.SMALL, InvariantsTest.SMALL_1);

    /** 4K leaves at gfns 1, 2 (one L1 table) and 600 (another). */
    static Run afterZap(Consumer<PathBuilder> zap) {
        return Run.of(VM, s -> {
            for (long gpa : new long[] {0x1000, 0x2000, 600L << 12}) {
                FaultPaths.guestAccess(s, VM, 0, Access.READ, Expr.constant(gpa));
            }
        }, zap);
    }

    static boolean clean(VmState s) {
        for (Invariant inv : new Invariant[] {Invariant.stats_consistent, Invariant.page_table_leak, Invariant.stale_tlb_at_unlock,
            Invariant.huge_and_child, Invariant.lockdep}) {
            if (Invariants.violated(inv, s)) return false;
        }
        return true;
    }

    @Test
    void aZapStartingInsideATableZapsOnlyTheLeavesInRange() {
        Run r = afterZap(b -> KernelFixtures.tdpMmuZapGfnRange(b, Expr.constant(0x2000), Expr.constant(SZ_2M)));
        assertThat(r.spte(0x1000, "present")).isEqualTo(1);
        assertThat(r.spte(0x2000, "present")).isZero();
        assertThat(r.spte(600L << 12, "present")).isEqualTo(1);
        assertThat(Walk.of(r.s, 1).level()).as("the table stays").isEqualTo(1);
        assertThat(clean(r.s)).isTrue();
    }

    @Test
    void aZapEndingInsideATableZapsOnlyTheLeavesInRange() {
        Run r = afterZap(b -> KernelFixtures.tdpMmuZapGfnRange(b, Expr.constant(0), Expr.constant(0x2000)));
        assertThat(r.spte(0x1000, "present")).isZero();
        assertThat(r.spte(0x2000, "present")).isEqualTo(1);
        assertThat(clean(r.s)).isTrue();
    }

    /** zap_gfn_range() (v5.12) zaps a table its range covers (tdp_mmu_zap_leafs, prelude source, keeps it). */
    @Test
    void aZapCoveringATableZapsTheTable() {
        Run whole = afterZap(b -> KernelFixtures.tdpMmuZapGfnRange(b, Expr.constant(0), Expr.constant(SZ_2M)));
        assertThat(Walk.of(whole.s, 1).level()).as("the L2 SPTE is gone with its table").isEqualTo(2);
        assertThat(whole.spte(600L << 12, "present")).isEqualTo(1);
        assertThat(clean(whole.s)).isTrue();
    }

    /** Slot 0 logs from creation; slot 1 (the second position) gets dirty logging enabled. */
    static final VmConfig LOGGING = InvariantsTest.vm(Mmu.TDP, false, 1, new Memslot(0, 0, 512, 1, true, false),
            new Memslot(1, 512, 512, 1, false, false));

    static void write(PathBuilder b, long gpa) {
        FaultPaths.guestAccess(b, LOGGING, 0, Access.WRITE, Expr.constant(gpa));
    }

    @Test
    void clearingTheSecondSlotsDirtyLogWriteProtectsExactlyItsDirtyPages() {
        Run r = Run.of(LOGGING, s -> {
            DirtyLogPaths.dirtyLogEnable(s, LOGGING, 1);
            write(s, SZ_2M + 0x3000);
            write(s, SZ_2M + (65L << 12)); // bitmap word 1, bit 1
            write(s, 0x3000);
        }, b -> DirtyLogPaths.clearDirtyLog(b, LOGGING, 1));
        assertThat(r.s.dirty(1, 3)).isFalse();
        assertThat(r.s.dirty(1, 65)).isFalse();
        assertThat(r.s.dirty(0, 3)).as("slot 0's bitmap is not this ioctl's").isTrue();
        assertThat(r.spte(SZ_2M + 0x3000, "writable")).isZero();
        assertThat(r.spte(SZ_2M + (65L << 12), "writable")).isZero();
        assertThat(r.spte(0x3000, "writable")).isEqualTo(1);
        assertThat(r.s.dirtyLogBusy).as("the ioctl's flush ran").isZero();
        assertThat(clean(r.s)).isTrue();
        assertThat(r.violated(Invariant.dirty_log_lost)).isFalse();
    }

    @Test
    void disablingTheSecondSlotLeavesTheFirstLogging() {
        Run off = Run.of(LOGGING, s -> DirtyLogPaths.dirtyLogEnable(s, LOGGING, 1), b -> DirtyLogPaths.dirtyLogDisable(b, LOGGING, 1));
        assertThat(Memslots.logging(off.s, 1)).isFalse();
        assertThat(Memslots.logging(off.s, 0)).isTrue();
    }

    /**
     * KVM_CLEAR_DIRTY_LOG on the second slot: a write through the vCPU's stale writable TLB entry
     * between the clear and the ioctl's flush is inside the ioctl's window on that slot, not a
     * lost write.
     */
    @Test
    void aWriteBeforeTheSecondSlotsClearDirtyLogFlushIsInsideItsWindow() {
        long gpa = SZ_2M + 0x3000;
        Run r = Run.of(LOGGING, s -> {
            DirtyLogPaths.dirtyLogEnable(s, LOGGING, 1);
            write(s, gpa); // bit 3 set, a writable 4K leaf cached in vCPU 0's TLB
        }, b -> {
            b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
            b.emit(DirtyLogPaths.clearDirtyMasked(1, b.local("flush")));
            b.emit(new Ops.Release(LockId.mmu_lock));
            write(b, gpa); // through the TLB: no fault marks it dirty
            b.emit(DirtyLogPaths.flushMemslot(1));
        });
        assertThat(r.s.dirty(1, 3)).as("the write went through the stale TLB entry").isFalse();
        assertThat(r.violated(Invariant.dirty_log_lost)).as("inside the ioctl's window: %s", r.trace()).isFalse();
    }

    /**
     * The ioctl's return (slots_lock's release) ends the window its enabling opened on the second
     * slot: an enable that skips write-protecting the slot's SPTEs then loses the next write. Its
     * flush does not end the window (trial9: a write between an extra early flush and the
     * write-protection was a false lost write; userspace's copy after the ioctl covers it).
     */
    @Test
    void afterTheSecondSlotsIoctlReturnsAWriteThroughAWritableSpteIsALostWrite() {
        long gpa = SZ_2M + 0x3000;
        Run r = Run.of(LOGGING, s -> write(s, gpa), b -> { // slot 1 does not log yet: a writable 4K leaf
            b.emit(new Ops.Acquire(LockId.slots_lock, Mode.WRITE));
            b.emit(new SlotOps.SetLogDirty(1, true)); // no kvm_mmu_slot_remove_write_access() after it
            b.emit(DirtyLogPaths.flushMemslot(1));
            write(b, gpa);
            b.emit(new Ops.Release(LockId.slots_lock));
            write(b, gpa);
        });
        assertThat(r.trace()).containsOnlyOnce("!! dirty_log_lost");
        assertThat(r.trace().indexOf("!! dirty_log_lost")).as("at the write after the return")
                .isGreaterThan(r.trace().indexOf("mutex_unlock(slots_lock)"));
    }

    /**
     * With PML, KVM_CLEAR_DIRTY_LOG clears the D bit of the slot's 4K leaves instead of
     * write-protecting them (kvm_mmu_clear_dirty_pt_masked, v6.12): the next write sets D again
     * without a fault.
     */
    @Test
    void withPmlClearDirtyLogClearsTheDirtyBitAndLeavesTheLeafWritable() {
        VmConfig pml = new VmConfig(Mmu.TDP, false, 1, true, 4, LOGGING.memslots(), 1,
                dev.mmu.runtime.model.Preempt.FULL, true);
        Run r = Run.of(pml, s -> FaultPaths.guestAccess(s, pml, 0, Access.WRITE, Expr.constant(0x3000)),
                b -> DirtyLogPaths.clearDirtyLog(b, pml, 0));
        assertThat(r.s.dirty(0, 3)).isFalse();
        assertThat(r.spte(0x3000, "dirty")).as("D cleared").isZero();
        assertThat(r.spte(0x3000, "writable")).as("not write-protected").isEqualTo(1);
        assertThat(r.trace()).contains("kvm_mmu_clear_dirty_pt_masked: D of gfn 0x3 cleared");
        assertThat(clean(r.s)).isTrue();
    }
}
