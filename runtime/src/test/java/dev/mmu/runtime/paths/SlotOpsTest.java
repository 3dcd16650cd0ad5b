package dev.mmu.runtime.paths;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.LockId;
import dev.mmu.runtime.model.Memslot;
import dev.mmu.runtime.model.Mmu;
import dev.mmu.runtime.model.Spte;
import dev.mmu.runtime.model.VmConfig;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.Lock.Mode;
import dev.mmu.runtime.paths.MmuOps.Access;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * The memslot and dirty-log ops one at a time: the locks they check, the bits they leave, what
 * they print, and when the dangling-memslot check fires (kvm_main.c, mmu.c, tdp_mmu.c v6.x).
 */
class SlotOpsTest {
    /** One slot, gfns 0..511, backed by one 2M page. */
    static final VmConfig HUGE = InvariantsTest.vm(Mmu.TDP, false, 1, InvariantsTest.HUGE);
    /** Slot 0 logs dirty pages from creation (4K-backed); slot 1 at gfn 512 does not. */
    static final VmConfig LOGGING = ZapAndDirtyLogTest.LOGGING;

    static void write(PathBuilder b, VmConfig c, long gpa) {
        FaultPaths.guestAccess(b, c, 0, Access.WRITE, Expr.constant(gpa));
    }

    /**
     * Runs `body` (choice 0 everywhere) and tries each of its steps on a copy of the state without
     * mmu_lock (as if the caller had lost it mid-walk): the first such step's trace that contains
     * `report`, or "" if none does.
     */
    static String withoutMmuLock(VmConfig c, Consumer<PathBuilder> setup, Consumer<PathBuilder> body, String report) {
        MmuSystem m = new MmuSystem(InvariantsTest.program(c, setup, InvariantsTest.thread("t", body)));
        int end = m.program().threads().get(0).ops().length;
        VmState s = m.initial();
        for (int i = 0; i < 300 && s.threads[0].pc < end; i++) {
            VmState unlocked = s.copy();
            unlocked.mmuReaders = 0;
            unlocked.mmuWriter = -1;
            StringBuilder trace = new StringBuilder();
            m.step(unlocked, 0, 0, trace);
            if (trace.toString().contains(report)) return trace.toString();
            s = m.step(s, 0, 0, null);
        }
        return "";
    }

    @Test
    void everySlotOpNamesTheKernelFunctionItModels() {
        assertThat(new SlotOps.WrprotStep(0, 0, 0).describe()).contains("wrprot_gfn_range");
        assertThat(new SlotOps.SplitStep(0, 0, 0, 0).describe()).contains("tdp_mmu_split_huge_pages_root");
        assertThat(new SlotOps.CollapsibleStep(0, 0, 0, 0).describe()).contains("zap_collapsible_spte_range");
        assertThat(new SlotOps.ZapAtomicFinish(0, 0, 0).describe()).contains("tdp_mmu_zap_spte_atomic");
        assertThat(new SlotOps.InvalidateSlot(0).describe()).contains("kvm_invalidate_memslot");
        assertThat(new SlotOps.DeleteSlot(0).describe()).contains("kvm_delete_memslot");
        assertThat(new SlotOps.MoveSlot(0, 0).describe()).contains("kvm_move_memslot");
    }

    @Test
    void theOpsThatSwapTheMemslotsWaitWhileAnInvalidationIsActive() {
        VmState s = new MmuSystem(InvariantsTest.program(HUGE, b -> { })).initial();
        List<Op> swaps = List.of(new SlotOps.SetLogDirty(0, true), new SlotOps.InvalidateSlot(0),
                new SlotOps.DeleteSlot(0), new SlotOps.MoveSlot(0, 0x400));
        for (Op op : swaps) assertThat(op.choices(s, 0)).as(op.describe()).isEqualTo(1);
        s.mnActiveInvalidateCount = 1;
        for (Op op : swaps) assertThat(op.choices(s, 0)).as(op.describe()).isZero();
    }

    /** kvm_set_memory_region() asserts slots_lock (kvm_main.c:2005, v7.2): a bare move passed (trial10). */
    @Test
    void aMemslotSwapWithoutSlotsLockIsALockdepViolation() {
        List<Op> swaps = List.of(new SlotOps.SetLogDirty(0, true), new SlotOps.InvalidateSlot(0),
                new SlotOps.DeleteSlot(0), new SlotOps.MoveSlot(0, 0x400));
        for (Op op : swaps) {
            Run bare = Run.of(HUGE, b -> b.emit(op));
            assertThat(bare.trace()).as(op.describe()).contains("!! lockdep: " + op.describe() + " without slots_lock");
            Run locked = Run.of(HUGE, b -> {
                b.emit(new Ops.Acquire(LockId.slots_lock, Mode.WRITE));
                b.emit(op);
                b.emit(new Ops.Release(LockId.slots_lock));
            });
            assertThat(locked.violated(Invariant.lockdep)).as(op.describe()).isFalse();
        }
    }

    @Test
    void enablingDirtyLoggingOpensTheIoctlsWindowAndSaysSo() {
        Run on = Run.of(LOGGING, b -> b.emit(new SlotOps.SetLogDirty(1, true)));
        assertThat(on.s.dirtyLogBusy).as("slot 1's window only").isEqualTo(2);
        assertThat(Memslots.logging(on.s, 1)).isTrue();
        assertThat(on.trace()).contains("kvm_set_memslot(KVM_MR_FLAGS_ONLY): memslot 1 logs dirty pages");
        Run off = Run.of(LOGGING, b -> DirtyLogPaths.setLogDirty(b, 0, false));
        assertThat(Memslots.logging(off.s, 0)).isFalse();
        assertThat(off.trace()).contains("memslot 0 stops logging dirty pages");
    }

    @Test
    void synchronizeSrcuUnderMmuLockIsALockdepViolation() {
        Run under = Run.of(HUGE, b -> {
            b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
            b.emit(new SlotOps.SynchronizeSrcu());
            b.emit(new Ops.Release(LockId.mmu_lock));
        });
        assertThat(under.violated(Invariant.lockdep)).isTrue();
        assertThat(under.trace()).contains("!! lockdep: synchronize_srcu under mmu_lock");
        Run bare = Run.of(HUGE, b -> b.emit(new SlotOps.SynchronizeSrcu()));
        assertThat(bare.violated(Invariant.lockdep)).isFalse();
        assertThat(bare.trace()).contains("synchronize_srcu: no srcu readers left");
    }

    @Test
    void clearDirtyLogWithoutMmuLockForWriteIsALockdepViolation() {
        for (Mode mode : new Mode[] {null, Mode.READ}) {
            Run r = Run.of(LOGGING, b -> {
                int flush = b.local("flush");
                if (mode != null) b.emit(new Ops.Acquire(LockId.mmu_lock, mode));
                b.emit(DirtyLogPaths.clearDirtyMasked(0, flush));
                if (mode != null) b.emit(new Ops.Release(LockId.mmu_lock));
            });
            assertThat(r.trace()).as("%s", mode).contains("!! lockdep: kvm_arch_mmu_enable_log_dirty_pt_masked() needs mmu_lock held for write");
        }
    }

    /** __kvm_memslots() accepts slots_lock or kvm->srcu (srcu_dereference_check): neither is a splat (trial9). */
    @Test
    void clearDirtyLogWithoutSlotsLockOrSrcuIsALockdepViolation() {
        for (LockId outer : new LockId[] {null, LockId.srcu, LockId.slots_lock}) {
            Run r = Run.of(LOGGING, s -> write(s, LOGGING, 0x0), b -> {
                if (outer != null) b.emit(new Ops.Acquire(outer, outer == LockId.srcu ? Mode.READ : Mode.WRITE));
                b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
                b.emit(DirtyLogPaths.clearDirtyMasked(0, b.local("flush")));
                b.emit(new Ops.Release(LockId.mmu_lock));
                if (outer != null) b.emit(new Ops.Release(outer));
            });
            assertThat(r.violated(Invariant.lockdep)).as("%s", outer).isEqualTo(outer == null);
            if (outer == null) {
                assertThat(r.trace()).contains("!! lockdep: kvm_clear_dirty_log_protect(): __kvm_memslots() needs slots_lock or"
                        + " kvm->srcu held (CONFIG_PROVE_RCU: srcu_dereference_check of kvm->memslots)");
            }
        }
    }

    @Test
    void clearDirtyLogCountsEachDirtyPageOnceAndMarksTheSlotBusy() {
        Run one = Run.of(LOGGING, s -> write(s, LOGGING, 0x0), b -> { // gfn 0: word 0, bit 0
            int flush = b.local("flush");
            b.emit(new Ops.Acquire(LockId.slots_lock, Mode.WRITE));
            b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
            b.emit(DirtyLogPaths.clearDirtyMasked(0, flush));
            b.emit(new Ops.Release(LockId.mmu_lock)); // slots_lock still held: its release ends the window
        });
        assertThat(one.trace()).contains("kvm_clear_dirty_log_protect: 1 dirty page reported and cleared");
        assertThat(one.local(0)).as("a flush is owed").isEqualTo(1);
        assertThat(one.s.dirtyLogBusy).as("until the flush after the unlock").isEqualTo(1);
        assertThat(one.spte(0x0, "writable")).isZero();
        assertThat(one.violated(Invariant.lockdep)).isFalse();

        Run two = Run.of(LOGGING, s -> {
            write(s, LOGGING, 0x3000);
            write(s, LOGGING, 65L << 12);
        }, b -> DirtyLogPaths.clearDirtyLog(b, LOGGING, 0));
        assertThat(two.trace()).contains("kvm_clear_dirty_log_protect: 2 dirty pages reported and cleared");

        Run second = Run.of(LOGGING, b -> {
            b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
            b.emit(DirtyLogPaths.clearDirtyMasked(1, b.local("flush")));
            b.emit(new Ops.Release(LockId.mmu_lock));
        });
        assertThat(second.s.dirtyLogBusy).as("nothing cleared: no window").isZero();
    }

    /**
     * kvm_arch_mmu_enable_log_dirty_pt_masked() without PML: the TDP MMU clears W with
     * tdp_mmu_clear_spte_bits(), which checks nothing; the shadow MMU's rmap_write_protect() goes
     * through mmu_spte_update(), whose check_spte_writable_invariants() sees an MMU-writable leaf
     * that is not Host-writable (made by hand: no kernel path makes one).
     */
    @Test
    void onlyTheShadowMmusWriteProtectChecksTheWritableInvariants() {
        for (Mmu mmu : new Mmu[] {Mmu.TDP, Mmu.SHADOW}) {
            VmConfig c = InvariantsTest.vm(mmu, false, 1, new Memslot(0, 0, 512, 1, true, false));
            Op notHostWritable = new Op() {
                public void exec(Exec e, int choice) {
                    Walk w = Walk.of(e.s, 0, 0, false);
                    e.s.setSpte(w.spId(), w.index(), w.spte() | Spte.HOST_READONLY);
                }

                public Footprint footprint() {
                    return Footprint.updates(Resource.SPTE);
                }

                public String describe() {
                    return "Host-writable cleared by hand";
                }
            };
            Run r = Run.of(c, s -> write(s, c, 0x0), b -> {
                b.emit(notHostWritable);
                b.emit(new Ops.Acquire(LockId.slots_lock, Mode.WRITE));
                b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
                b.emit(DirtyLogPaths.clearDirtyMasked(0, b.local("flush")));
                b.emit(new Ops.Release(LockId.mmu_lock));
                b.emit(new Ops.Release(LockId.slots_lock));
            });
            assertThat(r.spte(0x0, "writable")).as("%s: write-protected", mmu).isZero();
            assertThat(r.violated(Invariant.kernel_warning)).as("%s", mmu).isEqualTo(mmu == Mmu.SHADOW);
            if (mmu == Mmu.SHADOW) {
                assertThat(r.trace()).contains("MMU-writable SPTE is not Host-writable").contains("from mmu_spte_update())");
            }
        }
    }

    @Test
    void clearDirtyLogWithNothingDirtyOwesNoFlush() {
        Run r = Run.of(LOGGING, b -> DirtyLogPaths.clearDirtyLog(b, LOGGING, 0));
        assertThat(r.trace()).contains("kvm_clear_dirty_log_protect: 0 dirty pages reported and cleared")
                .doesNotContain("kvm_flush_remote_tlbs");
        assertThat(r.local(0)).as("flush").isZero();
        assertThat(r.s.dirtyLogBusy).isZero();
    }

    @Test
    void theRmapWalkWithoutMmuLockForWriteIsALockdepViolation() {
        Run r = Run.of(HUGE, b -> DirtyLogPaths.writeProtectRmaps(b, 0, 0));
        assertThat(r.trace()).contains("!! lockdep: slot_rmap_write_protect() needs mmu_lock held for write");
    }

    @Test
    void theTdpSlotWalksCheckTheyHoldMmuLock() {
        String wrprot = "!! lockdep: wrprot_gfn_range without mmu_lock";
        assertThat(withoutMmuLock(HUGE, s -> write(s, HUGE, 0x1000),
                b -> DirtyLogPaths.slotRemoveWriteAccess(b, HUGE, 0), wrprot)).contains(wrprot);
        String split = "!! lockdep: tdp_mmu_split_huge_page without mmu_lock";
        assertThat(withoutMmuLock(HUGE, s -> write(s, HUGE, 0x1000),
                b -> DirtyLogPaths.slotTrySplitHugePages(b, HUGE, 0), split)).contains(split);
        String collapse = "!! lockdep: tdp_mmu_zap_spte_atomic without mmu_lock";
        assertThat(withoutMmuLock(HUGE, s -> {
            DirtyLogPaths.dirtyLogEnable(s, HUGE, 0);
            write(s, HUGE, 0x3000);
            DirtyLogPaths.setLogDirty(s, 0, false);
        }, b -> DirtyLogPaths.zapCollapsibleSptes(b, HUGE, 0), collapse)).contains(collapse);
    }

    /**
     * The TDP MMU's slot walks write SPTEs with tdp_mmu_set_spte_atomic() and
     * tdp_mmu_zap_spte_atomic(), which lockdep_assert_held_read(): a patch that takes mmu_lock for
     * write around kvm_tdp_mmu_wrprot_slot() passed. The shadow MMU's walk wants the write lock.
     */
    @Test
    void theTdpSlotWalksUnderTheWriteLockAreALockdepViolation() {
        int pos = Memslots.position(HUGE, 0);
        Run wrprot = Run.of(HUGE, s -> write(s, HUGE, 0x1000), b -> {
            b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
            SlotPaths.wrprotGfnRange(b, Memslots.baseGfn(pos), Memslots.endGfn(pos), 1, Mode.WRITE, -1);
            b.emit(new Ops.Release(LockId.mmu_lock));
        });
        assertThat(wrprot.trace()).contains(
                "!! lockdep: wrprot_gfn_range: tdp_mmu_set_spte_atomic() needs mmu_lock held for read, not write");
        Run read = Run.of(HUGE, s -> write(s, HUGE, 0x1000), b -> DirtyLogPaths.slotRemoveWriteAccess(b, HUGE, 0));
        assertThat(read.violated(Invariant.lockdep)).as("under the read lock: %s", read.trace()).isFalse();
        VmConfig shadow = InvariantsTest.vm(Mmu.SHADOW, false, 1, InvariantsTest.HUGE);
        Run rmap = Run.of(shadow, s -> write(s, shadow, 0x1000), b -> DirtyLogPaths.slotRemoveWriteAccess(b, shadow, 0));
        assertThat(rmap.spte(0x1000, "writable")).as("the shadow MMU's walk, under the write lock, ran").isZero();
        assertThat(rmap.trace()).doesNotContain("!! lockdep");

        Run collapse = Run.of(HUGE, s -> {
            DirtyLogPaths.dirtyLogEnable(s, HUGE, 0);
            write(s, HUGE, 0x3000);
            DirtyLogPaths.setLogDirty(s, 0, false);
        }, b -> {
            b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
            SlotPaths.zapCollapsibleSpteRange(b, pos, Mode.WRITE);
            b.emit(new Ops.Release(LockId.mmu_lock));
        });
        assertThat(collapse.trace()).contains("!! lockdep: tdp_mmu_zap_spte_atomic() needs mmu_lock held for read, not write");

        Run clear = Run.of(HUGE, s -> write(s, HUGE, 0x1000), b -> {
            b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
            b.emit(DirtyLogPaths.call("clear_dirty_gfn_range", -1, 0, 512)); // the slot: gfns 0..511
            b.emit(new Ops.Release(LockId.mmu_lock));
        });
        assertThat(clear.trace()).contains(
                "!! lockdep: clear_dirty_gfn_range: tdp_mmu_set_spte_atomic() needs mmu_lock held for read, not write");
    }

    @Test
    void eagerSplitDropsMmuLockToAllocateThenSplitsTheHugePageIntoTheSamePages() {
        Run r = Run.of(HUGE, s -> write(s, HUGE, 0x1000), b -> {
            b.emit(new Ops.Acquire(LockId.slots_lock, Mode.WRITE));
            DirtyLogPaths.slotTrySplitHugePages(b, HUGE, 0);
            b.emit(new Ops.Release(LockId.slots_lock));
        });
        long pfn = Walk.of(new MmuSystem(InvariantsTest.program(HUGE, s -> write(s, HUGE, 0x1000))).initial(), 1).pfnOf(1);
        assertThat(r.trace()).contains("tdp_mmu_alloc_sp_for_split: drop mmu_lock to allocate");
        assertThat(Walk.of(r.s, 1).level()).isEqualTo(1);
        assertThat(Walk.of(r.s, 1).pfnOf(1)).as("same page").isEqualTo(pfn);
        assertThat(Walk.of(r.s, 511).level()).as("the whole 2M range split").isEqualTo(1);
        assertThat(r.s.violations).as("the lock was dropped and retaken: %s", r.trace()).isZero();
        assertThat(r.s.mmuReaders).isZero();
        assertThat(r.s.mmuWriter).isEqualTo(-1);
    }

    @Test
    void disablingDirtyLoggingZapsATableThatCoversExactlyTheSlot() {
        // The slot is exactly one 2M range (gfns 0..511): its first and last gfn are the table's.
        Run r = Run.of(HUGE, s -> {
            DirtyLogPaths.dirtyLogEnable(s, HUGE, 0);
            write(s, HUGE, 0x3000);
        }, b -> DirtyLogPaths.dirtyLogDisable(b, HUGE, 0));
        assertThat(r.trace()).contains("tdp_mmu_zap_spte_atomic: freeze");
        assertThat(Walk.to(r.s, r.s.root, 0, 2).spte()).as("the 2M SPTE is gone").isZero();
        assertThat(r.s.violations).isZero();
    }

    @Test
    void aSlotThatStillLogsKeepsItsSmallPagesWhenCollapsibleSptesAreZapped() {
        // kvm_mmu_max_mapping_level() is 4K while the slot logs dirty pages: nothing is collapsible.
        Run r = Run.of(HUGE, s -> {
            DirtyLogPaths.dirtyLogEnable(s, HUGE, 0);
            write(s, HUGE, 0x3000);
        }, b -> DirtyLogPaths.zapCollapsibleSptes(b, HUGE, 0));
        assertThat(Walk.of(r.s, 3).level()).isEqualTo(1);
        assertThat(r.trace()).doesNotContain("tdp_mmu_zap_spte_atomic: freeze");
    }

    @Test
    void deleteLeavesNeitherTheInvalidNorTheLoggingFlagAndSaysSo() {
        // The prelude's memslot_delete runs these two ops (kernel/kvm_main.mmu); its steps are pinned
        // in the interpreter's MemslotPreludeTest.
        Run r = Run.of(LOGGING, b -> {
            b.emit(new SlotOps.InvalidateSlot(0));
            b.emit(new SlotOps.DeleteSlot(0));
        });
        assertThat(r.s.slotDeleted).isEqualTo(1);
        assertThat(r.s.slotInvalid).isZero();
        assertThat(r.s.slotLogging).isZero();
        assertThat(r.trace()).contains("kvm_invalidate_memslot: memslot 0 KVM_MEMSLOT_INVALID")
                .contains("kvm_delete_memslot: memslot 0 removed");
        Run moved = Run.of(LOGGING, b -> {
            b.emit(new SlotOps.InvalidateSlot(1));
            b.emit(new SlotOps.MoveSlot(1, 0x800));
        });
        assertThat(moved.trace()).contains("kvm_move_memslot: memslot 1 gfn 0x200 -> 0x800");
    }

    @Test
    void deletingASlotWhoseMappingWasNotZappedRecordsTheDanglingSpte() {
        Run r = Run.of(LOGGING, s -> write(s, LOGGING, (512L + 3) << 12), b -> {
            b.emit(new SlotOps.InvalidateSlot(1));
            b.emit(new SlotOps.DeleteSlot(1)); // no kvm_arch_flush_shadow_memslot()
        });
        assertThat(Invariant.dangling_memslot.violatedIn(r.s)).isTrue();
        assertThat(r.trace()).contains("!! dangling_memslot: SPTE L1[3] maps gfn 0x203, which a deleted or moved memslot left");
    }

    /** The state after the setup of HUGE with gfn 1 written: one 2M leaf over gfns 0..511, cached by vCPU 0. */
    static VmState mappedHuge() {
        return new MmuSystem(InvariantsTest.program(HUGE, s -> write(s, HUGE, 0x1000))).initial().copy();
    }

    /** The 2M leaf as if slot 0 had been deleted, leaving only the gfns [start, end) gone. */
    static VmState deletedLeaving(long start, long end) {
        VmState s = mappedHuge();
        s.slotDeleted = 1;
        s.goneRanges = new long[] {start, end};
        return s;
    }

    @Test
    void aHugeLeafDanglesAtTheFirstGoneGfnNotCoveredByASlot() {
        assertThat(SlotOps.dangling(deletedLeaving(0, 512))).isEqualTo("SPTE L2[0] maps gfn 0x0, which a deleted or moved memslot left");
        assertThat(SlotOps.dangling(deletedLeaving(0x100, 0x180))).as("found past gfns no slot ever held")
                .isEqualTo("SPTE L2[0] at gfn 0x0 maps gfn 0x100, which a deleted or moved memslot left");
        assertThat(SlotOps.dangling(deletedLeaving(0x1ff, 0x200))).contains("maps gfn 0x1ff,");
        assertThat(SlotOps.dangling(deletedLeaving(0x200, 0x300))).as("past the leaf's end").isNull();
    }

    @Test
    void aGfnAnActiveSlotCoversAgainDoesNotDangle() {
        VmState s = deletedLeaving(0x100, 0x180);
        s.slotDeleted = 0;
        s.slotBase = new long[] {0x80}; // slot 0 moved to 0x80: it covers the gone range
        assertThat(SlotOps.dangling(s)).isNull();
        s.slotBase = new long[] {0x140}; // it covers only the gone range's end
        assertThat(SlotOps.dangling(s)).contains("maps gfn 0x100,");
    }

    @Test
    void aTlbEntryOfAGoneGfnDanglesWhenNoSpteDoes() {
        VmState s = deletedLeaving(0, 512);
        s.setSpte(Walk.of(s, 1).spId(), Walk.of(s, 1).index(), 0); // the SPTE is zapped, the TLB is not flushed
        assertThat(SlotOps.dangling(s)).isEqualTo("vCPU 0's TLB (L2) maps gfn 0x0, which a deleted or moved memslot left");
        s.tlb[0] = new dev.mmu.runtime.model.TlbEntry[0];
        assertThat(SlotOps.dangling(s)).isNull();
    }
}
