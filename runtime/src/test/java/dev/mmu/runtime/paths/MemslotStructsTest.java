package dev.mmu.runtime.paths;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.LockId;
import dev.mmu.runtime.model.Memslot;
import dev.mmu.runtime.model.Mmu;
import dev.mmu.runtime.model.VmConfig;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.Lock.Mode;
import dev.mmu.runtime.paths.MmuOps.Access;
import dev.mmu.runtime.paths.Program.ThreadProgram;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The lifetime of struct kvm_memory_slot (kvm_main.c v7.2): a swap retires the struct it replaced,
 * kfree_memslot (the end of kvm_set_memslot()) frees the retired ones, and a fault that looked one
 * up before its swap and reads fault->slot after the free is a use_after_free.
 */
class MemslotStructsTest {
    /** One 4K-backed slot at gfn 0. */
    static final VmConfig VM = new VmConfig(Mmu.TDP, false, 1, false, 4, List.of(new Memslot(0, 0, 512, 1, false, false)), 1);

    static VmState initial() {
        return new MmuSystem(InvariantsTest.program(VM, b -> { })).initial();
    }

    @Test
    void aSwapRetiresTheStructItReplacedAndTheFreeFreesOnlyRetiredOnes() {
        VmState s = initial();
        long before = Memslots.snapshot(s, 1);
        byte[] untouched = s.encode();
        assertThat(s.slotStructs).as("no swap yet: nothing in the state").isEmpty();
        assertThat(Memslots.free(s, 0)).as("nothing replaced, nothing freed").isZero();
        assertThat(s.slotStructs).isEmpty();
        assertThat(s.encode()).as("a free with nothing retired changes no byte").isEqualTo(untouched);

        Memslots.retire(s, 0); // kvm_invalidate_memslot()'s swap
        long invalid = Memslots.snapshot(s, 1);
        assertThat(Memslots.generation(s, 0)).isEqualTo(1);
        assertThat(Memslots.freed(s, before)).as("retired, not freed: still readable").isFalse();
        assertThat(s.encode()).isNotEqualTo(untouched);
        Memslots.retire(s, 0); // kvm_move_memslot()'s swap
        long moved = Memslots.snapshot(s, 1);
        assertThat(Memslots.free(s, 0)).as("kfree(invalid_slot), kfree(old)").isEqualTo(2);
        assertThat(Memslots.freed(s, before)).isTrue();
        assertThat(Memslots.freed(s, invalid)).isTrue();
        assertThat(Memslots.freed(s, moved)).as("the active struct").isFalse();
        assertThat(Memslots.free(s, 0)).as("freed once").isZero();
        assertThat(Memslots.freed(s, 0)).as("no slot found: no struct").isFalse();
    }

    /** Generations wrap after GENS swaps: the new struct's number is never a freed or retired one. */
    @Test
    void aNewStructIsNeverFreedEvenWhenItsGenerationWraps() {
        VmState s = initial();
        for (int i = 0; i < 3 * Memslots.GENS; i++) {
            Memslots.retire(s, 0);
            assertThat(Memslots.freed(s, Memslots.snapshot(s, 1))).as("after swap %d", i).isFalse();
            if (i % 2 == 1) assertThat(Memslots.free(s, 0)).isEqualTo(2);
            assertThat(Memslots.freed(s, Memslots.snapshot(s, 1))).as("after swap %d's free", i).isFalse();
        }
        assertThat(Memslots.free(s, 0)).isZero();
    }

    /** A freed struct stays freed through later swaps, until its generation comes round again. */
    @Test
    void aFreedStructStaysFreedAcrossLaterSwaps() {
        VmState s = initial();
        long first = Memslots.snapshot(s, 1);
        Memslots.retire(s, 0);
        long second = Memslots.snapshot(s, 1);
        assertThat(Memslots.free(s, 0)).isEqualTo(1);
        Memslots.retire(s, 0);
        Memslots.retire(s, 0);
        assertThat(Memslots.freed(s, first)).as("freed two swaps ago").isTrue();
        assertThat(Memslots.freed(s, second)).as("retired, not freed").isFalse();
        assertThat(Memslots.free(s, 0)).isEqualTo(2);
        assertThat(Memslots.freed(s, second)).isTrue();
        assertThat(Memslots.freed(s, first)).isTrue();
        assertThat(s.slotStructs).hasSize(1);
    }

    /** Four swaps without a free: the newest struct takes the first one's number, which is then neither retired nor freed. */
    @Test
    void theGenerationThatComesRoundIsTheActiveStructs() {
        VmState s = initial();
        for (int i = 0; i < Memslots.GENS; i++) Memslots.retire(s, 0);
        assertThat(Memslots.generation(s, 0)).isZero();
        assertThat(Memslots.free(s, 0)).as("the three structs before it").isEqualTo(Memslots.GENS - 1);
        assertThat(Memslots.freed(s, Memslots.snapshot(s, 1))).isFalse();
        assertThat(Memslots.retiredAndFreed(s, 0) >>> 8).as("freed mask").isEqualTo(0b1110);
        VmState five = initial();
        for (int i = 0; i <= Memslots.GENS; i++) Memslots.retire(five, 0);
        assertThat(Memslots.generation(five, 0)).isEqualTo(1);
        assertThat(Memslots.free(five, 0)).isEqualTo(Memslots.GENS - 1);
        assertThat(Memslots.freed(five, Memslots.snapshot(five, 1))).isFalse();
        assertThat(Memslots.retiredAndFreed(five, 0) >>> 8).isEqualTo(0b1101);
    }

    /** Each position has its own structs; the array reaches the highest position swapped. */
    @Test
    void positionsAreApart() {
        VmConfig two = new VmConfig(Mmu.TDP, false, 1, false, 4,
                List.of(new Memslot(0, 0, 512, 1, false, false), new Memslot(1, 512, 512, 1, false, false)), 1);
        VmState s = new MmuSystem(InvariantsTest.program(two, b -> { })).initial();
        long slot0 = Memslots.snapshot(s, 1);
        long slot1 = Memslots.snapshot(s, 513);
        Memslots.retire(s, 1);
        assertThat(s.slotStructs).containsExactly(0, Memslots.retiredAndFreed(s, 1) | 1);
        assertThat(Memslots.free(s, 0)).isZero();
        assertThat(Memslots.free(s, 1)).isEqualTo(1);
        assertThat(Memslots.freed(s, slot0)).as("slot 0's struct was not swapped").isFalse();
        assertThat(Memslots.freed(s, slot1)).isTrue();
        assertThat(Memslots.generation(s, 0)).isZero();
        assertThat(Memslots.generation(s, 1)).isEqualTo(1);
    }

    /** ioctl: slots_lock, `swaps` flag flips without a wait, each freed if `free`, then one free; vCPU 0: a write fault. */
    static Stepper flips(int swaps, boolean free) {
        PathBuilder ioctl = new PathBuilder();
        ioctl.emit(new Ops.Acquire(LockId.slots_lock, Mode.WRITE));
        for (int i = 0; i < swaps; i++) {
            ioctl.emit(new SlotOps.SetLogDirty(0, i % 2 == 0));
            if (free) ioctl.emit(new Ops.Call(Primitives.get("kfree_memslot"), new Expr[] {Expr.constant(0)}, -1));
        }
        ioctl.emit(new Ops.Call(Primitives.get("kfree_memslot"), new Expr[] {Expr.constant(0)}, -1));
        ioctl.emit(new Ops.Release(LockId.slots_lock));
        PathBuilder vcpu = new PathBuilder();
        FaultPaths.guestAccess(vcpu, VM, 0, Access.WRITE, Expr.constant(0x1000));
        return new Stepper(Stepper.program(VM, new PathBuilder(), ThreadProgram.of("ioctl", -1, ioctl),
                ThreadProgram.of("vcpu 0", 0, vcpu)));
    }

    /**
     * GENS swaps (and more) while a fault holds the first struct: its generation comes round to the
     * new struct's, and the fault still reads a freed struct (it passed before the STALE mark).
     */
    @Test
    void aFaultThatHeldItsStructAcrossAGenerationWrapStillReadsAFreedStruct() {
        for (int swaps : new int[] {Memslots.GENS - 1, Memslots.GENS, Memslots.GENS + 1, 2 * Memslots.GENS}) {
            Stepper st = flips(swaps, true);
            st.step(1, "vcpu 0 write");
            long held = st.s.threads[1].locals[st.system.program().threads().get(1).localNames().indexOf(Memslots.FAULT_SLOT)];
            while (!st.done(0)) st.step(0, st.next(0));
            assertThat(Memslots.generation(st.s, 0)).isEqualTo(swaps % Memslots.GENS);
            st.step(1, "kvm_faultin_pfn");
            assertThat(Invariants.violated(Invariant.use_after_free, st.s)).as("%d swaps", swaps).isTrue();
            long now = st.s.threads[1].locals[st.system.program().threads().get(1).localNames().indexOf(Memslots.FAULT_SLOT)];
            assertThat(now).as("%d swaps: marked only where the generation came round", swaps)
                    .isEqualTo(swaps >= Memslots.GENS ? held | Memslots.STALE : held);
        }
    }

    /** A fault that found the second struct (generation 1) is marked by the swap that gives 1 again, not before. */
    @Test
    void theMarkWaitsForTheHeldGeneration() {
        Stepper st = flips(Memslots.GENS + 1, true);
        for (int i = 0; i < 3; i++) st.step(0, st.next(0)); // slots_lock, a swap, its free
        st.step(1, "vcpu 0 write");
        int slot = st.system.program().threads().get(1).localNames().indexOf(Memslots.FAULT_SLOT);
        long held = st.s.threads[1].locals[slot];
        for (int i = 0; i < 2 * (Memslots.GENS - 1); i++) st.step(0, st.next(0)); // to generation 0
        assertThat(Memslots.generation(st.s, 0)).isZero();
        assertThat(st.s.threads[1].locals[slot]).as("its generation has not come round").isEqualTo(held);
        st.step(0, st.next(0)); // generation 1 again
        assertThat(Memslots.generation(st.s, 0)).isEqualTo(1);
        assertThat(st.s.threads[1].locals[slot]).isEqualTo(held | Memslots.STALE);
        while (!st.done(0)) st.step(0, st.next(0));
        st.step(1, "kvm_faultin_pfn");
        assertThat(Invariants.violated(Invariant.use_after_free, st.s)).isTrue();
    }

    /** GENS swaps of slot 0 leave a fault on slot 1, whose struct has slot 0's old number, alone. */
    @Test
    void aWrapMarksOnlyTheSwappedSlotsStructs() {
        VmConfig two = new VmConfig(Mmu.TDP, false, 1, false, 4,
                List.of(new Memslot(0, 0, 512, 1, false, false), new Memslot(1, 512, 512, 1, false, false)), 1);
        PathBuilder ioctl = new PathBuilder();
        ioctl.emit(new Ops.Acquire(LockId.slots_lock, Mode.WRITE));
        for (int i = 0; i < Memslots.GENS; i++) {
            ioctl.emit(new SlotOps.SetLogDirty(0, i % 2 == 0));
            ioctl.emit(new Ops.Call(Primitives.get("kfree_memslot"), new Expr[] {Expr.constant(0)}, -1));
        }
        ioctl.emit(new Ops.Release(LockId.slots_lock));
        PathBuilder vcpu = new PathBuilder();
        FaultPaths.guestAccess(vcpu, two, 0, Access.WRITE, Expr.constant(0x201000));
        Stepper st = new Stepper(Stepper.program(two, new PathBuilder(), ThreadProgram.of("ioctl", -1, ioctl),
                ThreadProgram.of("vcpu 0", 0, vcpu)));
        st.step(1, "vcpu 0 write");
        int slot = st.system.program().threads().get(1).localNames().indexOf(Memslots.FAULT_SLOT);
        long held = st.s.threads[1].locals[slot];
        while (!st.done(0)) st.step(0, st.next(0));
        assertThat(Memslots.generation(st.s, 0)).isZero();
        assertThat(st.s.threads[1].locals[slot]).isEqualTo(held);
        while (!st.done(1)) st.step(1, st.next(1));
        assertThat(st.s.violations).isZero();
    }

    /** A fault that looks its slot up after the swaps holds the active struct, STALE or not. */
    @Test
    void aFaultThatBeganAfterTheWrapHoldsTheActiveStruct() {
        Stepper st = flips(Memslots.GENS, true);
        while (!st.done(0)) st.step(0, st.next(0));
        while (!st.done(1)) st.step(1, st.next(1));
        assertThat(st.s.violations).isZero();
    }

    /** Only a thread inside kvm->srcu holds a struct: a snapshot left by an ended fault is not marked. */
    @Test
    void anEndedFaultsSnapshotIsNotMarked() {
        Stepper st = flips(Memslots.GENS, true);
        while (!st.done(1)) st.step(1, st.next(1));
        int slot = st.system.program().threads().get(1).localNames().indexOf(Memslots.FAULT_SLOT);
        st.s = st.s.copy();
        st.s.threadForWrite(1).locals[slot] = Memslots.snapshot(st.s, 1); // as if dead locals were kept
        long held = st.s.threads[1].locals[slot];
        while (!st.done(0)) st.step(0, st.next(0));
        assertThat(st.s.threads[1].locals[slot]).isEqualTo(held);
    }

    /** GENS swaps with no free between: the held struct is only retired when its number comes round; the model says so. */
    @Test
    void aWrapOntoARetiredStructAFaultHoldsIsAnError() {
        Stepper st = flips(Memslots.GENS, false);
        st.step(1, "vcpu 0 write");
        for (int i = 0; i < Memslots.GENS; i++) st.step(0, st.next(0));
        assertThatThrownBy(() -> st.step(0, st.next(0))).isInstanceOf(ScenarioError.class)
                .hasMessageContaining("thread vcpu 0 holds the struct kvm_memory_slot of slot id 0 that 4 swaps replaced")
                .hasMessageNotContaining("memslot");
        Stepper ended = flips(Memslots.GENS, false);
        while (!ended.done(0)) ended.step(0, ended.next(0));
        assertThat(ended.s.violations).as("no fault holds it: no error").isZero();
    }

    /** ioctl: slots_lock, the flags swap, [synchronize_srcu], kfree_memslot, unlock; vCPU 0: a write fault. */
    static Stepper race(boolean wait) {
        PathBuilder ioctl = new PathBuilder();
        ioctl.emit(new Ops.Acquire(LockId.slots_lock, Mode.WRITE));
        ioctl.emit(new SlotOps.SetLogDirty(0, true));
        if (wait) ioctl.emit(new SlotOps.SynchronizeSrcu());
        ioctl.emit(new Ops.Call(Primitives.get("kfree_memslot"), new Expr[] {Expr.constant(0)}, -1));
        ioctl.emit(new Ops.Release(LockId.slots_lock));
        PathBuilder vcpu = new PathBuilder();
        FaultPaths.guestAccess(vcpu, VM, 0, Access.WRITE, Expr.constant(0x1000));
        return new Stepper(Stepper.program(VM, new PathBuilder(), ThreadProgram.of("ioctl", -1, ioctl),
                ThreadProgram.of("vcpu 0", 0, vcpu)));
    }

    @Test
    void aFaultThatReadsItsSlotAfterTheFreeIsAUseAfterFree() {
        Stepper st = race(false);
        st.step(1, "vcpu 0 write"); // EPT violation: srcu_read_lock, fault->slot (not logging)
        while (!st.done(0)) st.step(0, st.next(0));
        assertThat(st.trace).anyMatch(l -> l.contains("kfree_memslot: 1 replaced struct kvm_memory_slot of memslot 0 freed"));
        st.step(1, "kvm_faultin_pfn");
        assertThat(Invariants.violated(Invariant.use_after_free, st.s)).isTrue();
        assertThat(st.trace.get(st.trace.size() - 1)).contains("!! use_after_free: kvm_mmu_faultin_pfn() reads fault->slot,"
                + " memslot 0's struct kvm_memory_slot, which kvm_set_memslot() freed");
    }

    @Test
    void synchronizeSrcuBetweenTheSwapAndTheFreeWaitsForTheFault() {
        Stepper st = race(true);
        st.step(1, "vcpu 0 write");
        st.step(0, "mutex_lock(slots_lock)");
        st.step(0, "kvm_set_memslot(KVM_MR_FLAGS_ONLY)");
        assertThat(st.system.program().threads().get(0).ops()[st.s.threads[0].pc].choices(st.s, 0))
                .as("synchronize_srcu waits for the fault").isZero();
        while (!st.done(1)) st.step(1, st.next(1));
        while (!st.done(0)) st.step(0, st.next(0));
        assertThat(st.s.violations).isZero();
    }

    /**
     * A fast page fault on a 2M SPTE that dirty logging write-protected and left (enabled, then
     * disabled: MMU-writable, not writable, the slot not logging); the ioctl enables logging again
     * with the swap [, synchronize_srcu] and kfree_memslot, nothing else.
     */
    static Stepper fastRace(boolean wait, int backingLevel) {
        VmConfig c = new VmConfig(Mmu.TDP, false, 1, false, 4, List.of(new Memslot(0, 0, 512, backingLevel, false, false)), 1);
        PathBuilder setup = new PathBuilder();
        FaultPaths.guestAccess(setup, c, 0, Access.WRITE, Expr.constant(0x1000));
        DirtyLogPaths.dirtyLogEnable(setup, c, 0);
        DirtyLogPaths.dirtyLogDisable(setup, c, 0);
        PathBuilder ioctl = new PathBuilder();
        ioctl.emit(new Ops.Acquire(LockId.slots_lock, Mode.WRITE));
        ioctl.emit(new SlotOps.SetLogDirty(0, true));
        if (wait) ioctl.emit(new SlotOps.SynchronizeSrcu());
        ioctl.emit(new Ops.Call(Primitives.get("kfree_memslot"), new Expr[] {Expr.constant(0)}, -1));
        ioctl.emit(new Ops.Release(LockId.slots_lock));
        PathBuilder vcpu = new PathBuilder();
        FaultPaths.guestAccess(vcpu, c, 0, Access.WRITE, Expr.constant(0x1000));
        Stepper st = new Stepper(Stepper.program(c, setup, ThreadProgram.of("ioctl", -1, ioctl), ThreadProgram.of("vcpu 0", 0, vcpu)));
        assertThat(Walk.of(st.s, 1).level()).isEqualTo(backingLevel);
        st.step(1, "vcpu 0 write"); // EPT violation, fast: fault->slot does not log
        return st;
    }

    /** The cmpxchg loses (aging clears A meanwhile): fast_page_fault() walks again. */
    private static void loseTheCmpxchg(Stepper st) {
        Walk w = Walk.of(st.s, 1);
        st.s = st.s.copy();
        st.s.setSpte(w.spId(), w.index(), w.spte() ^ dev.mmu.runtime.model.Spte.ACCESSED);
        st.step(1, "fast_pf_fix_direct_spte");
        assertThat(st.trace).anyMatch(l -> l.contains("cmpxchg lost the race"));
    }

    /** fast_page_fault()'s next pass reads kvm_slot_dirty_track_enabled(fault->slot) for a huge leaf (mmu.c:3813). */
    @Test
    void theFastPathsNextPassReadsFaultSlotForAHugeLeaf() {
        Stepper st = fastRace(false, 2);
        while (!st.done(0)) st.step(0, st.next(0));
        // the setup's two swaps (DirtyLogPaths frees nothing) and the ioctl's
        assertThat(st.trace).anyMatch(l -> l.contains("kfree_memslot: 3 replaced struct kvm_memory_slots of memslot 0 freed"));
        loseTheCmpxchg(st);
        assertThat(st.s.violations).isZero();
        st.step(1, "fast_pf_get_last_sptep");
        assertThat(Invariants.violated(Invariant.use_after_free, st.s)).isTrue();
        assertThat(st.trace).anyMatch(l -> l.contains("!! use_after_free: fast_page_fault(): kvm_slot_dirty_track_enabled() reads"
                + " fault->slot, memslot 0's struct kvm_memory_slot"));
    }

    /** A leaf no longer MMU-writable (write-tracked meanwhile): `is_mmu_writable_spte()` fails first, no read. */
    @Test
    void theFastPathsNextPassDoesNotReadFaultSlotForALeafThatIsNotMmuWritable() {
        Stepper st = fastRace(false, 2);
        while (!st.done(0)) st.step(0, st.next(0));
        loseTheCmpxchg(st);
        Walk w = Walk.of(st.s, 1);
        st.s = st.s.copy();
        st.s.setSpte(w.spId(), w.index(), w.spte() & ~dev.mmu.runtime.model.Spte.MMU_WRITABLE);
        st.step(1, "fast_pf_get_last_sptep");
        assertThat(st.s.violations).isZero();
        assertThat(st.next(1)).as("RET_PF_INVALID: the slow path").isEqualTo("kvm_faultin_pfn");
    }

    /** A 4K leaf: `sp->role.level > PG_LEVEL_4K &&` stops before the slot is read. */
    @Test
    void theFastPathsNextPassDoesNotReadFaultSlotForA4kLeaf() {
        Stepper st = fastRace(false, 1);
        while (!st.done(0)) st.step(0, st.next(0));
        loseTheCmpxchg(st);
        st.step(1, "fast_pf_get_last_sptep");
        assertThat(st.s.violations).isZero();
        assertThat(st.next(1)).as("retries the cmpxchg, which reads fault->slot").isEqualTo("fast_pf_fix_direct_spte");
        st.step(1, "fast_pf_fix_direct_spte");
        assertThat(Invariants.violated(Invariant.use_after_free, st.s)).isTrue();
    }

    @Test
    void synchronizeSrcuKeepsTheFastPathsStructAlive() {
        Stepper st = fastRace(true, 2);
        st.step(0, "mutex_lock(slots_lock)");
        st.step(0, "kvm_set_memslot(KVM_MR_FLAGS_ONLY)");
        loseTheCmpxchg(st);
        st.step(1, "fast_pf_get_last_sptep");
        while (!st.done(1)) st.step(1, st.next(1));
        while (!st.done(0)) st.step(0, st.next(0));
        assertThat(st.trace).anyMatch(l -> l.contains("kfree_memslot: 3 replaced"));
        assertThat(st.s.violations).isZero();
    }

    /** The next pass's footprint meets the free's, so partial-order reduction orders them. */
    @Test
    void theFastPathsNextPassConflictsWithTheFree() {
        Footprint pass = new FaultOps.FastPfGetLastSptep(0, Expr.constant(0x1000), 1, 2, 3).footprint();
        assertThat(conflict(Primitives.get("kfree_memslot").footprint(), pass)).isTrue();
    }

    /**
     * Every kvm_swap_active_memslots() retires the struct it replaced: kvm_invalidate_memslot(), then
     * kvm_delete_memslot() or kvm_move_memslot() (two swaps), kvm_update_flags_memslot() (one).
     */
    @Test
    void everySwapRetiresTheStructItReplaced() {
        List<List<Op>> ioctls = List.of(List.of(new SlotOps.InvalidateSlot(0)),
                List.of(new SlotOps.InvalidateSlot(0), new SlotOps.DeleteSlot(0)),
                List.of(new SlotOps.InvalidateSlot(0), new SlotOps.MoveSlot(0, 0x1000)),
                List.of(new SlotOps.SetLogDirty(0, true)));
        for (List<Op> swaps : ioctls) {
            PathBuilder ioctl = new PathBuilder();
            ioctl.emit(new Ops.Acquire(LockId.slots_lock, Mode.WRITE));
            swaps.forEach(ioctl::emit);
            ioctl.emit(new Ops.Call(Primitives.get("kfree_memslot"), new Expr[] {Expr.constant(0)}, -1));
            ioctl.emit(new Ops.Release(LockId.slots_lock));
            Stepper st = new Stepper(Stepper.program(VM, new PathBuilder(), ThreadProgram.of("ioctl", -1, ioctl)));
            long before = Memslots.snapshot(st.s, 1);
            while (!st.done(0)) st.step(0, st.next(0));
            assertThat(Memslots.generation(st.s, 0)).as("%s", swaps).isEqualTo(swaps.size());
            assertThat(Memslots.freed(st.s, before)).as("%s: the struct before them is freed", swaps).isTrue();
            assertThat(st.trace).as("%s", swaps).anyMatch(l -> l.contains("kfree_memslot: " + swaps.size() + " replaced"));
        }
    }

    /** The free's footprint meets the fault's reads of fault->slot, so partial-order reduction orders them. */
    @Test
    void theFreeConflictsWithAReadOfTheSlotAndNotWithTheLookup() {
        Footprint free = Primitives.get("kfree_memslot").footprint();
        assertThat(conflict(free, Memslots.USE)).isTrue();
        assertThat(conflict(free, Footprint.reads(Resource.MEMSLOTS))).as("the lookup reads the active memslots only").isFalse();
        assertThat(conflict(new SlotOps.DeleteSlot(0).footprint(), Memslots.USE)).as("a swap retires").isTrue();
    }

    /**
     * The swap that may mark a held snapshot says so: from the GENS-th swap of a position on (the
     * new struct's number names a retired or freed one) it reads every thread's srcu unit, which
     * holds the thread's fault->slot, and writes it (the mark); before, neither. Its static
     * footprint has both, and the mark's readers read their own unit (Memslots.USE).
     */
    @Test
    void aSwapDeclaresTheScanAndTheMarkWhereTheGenerationComesRound() {
        Stepper st = flips(Memslots.GENS, true);
        st.step(1, "vcpu 0 write");
        st.step(0, st.next(0)); // slots_lock
        long srcu = Resource.SRCU.bit() & ~(1L << Resource.SRCU_SELF.ordinal());
        for (int swap = 0; swap < Memslots.GENS; swap++) {
            Op op = st.system.program().threads().get(0).ops()[st.s.threads[0].pc];
            assertThat(op).isInstanceOf(SlotOps.SetLogDirty.class);
            Footprint f = op.footprint(st.s, 0);
            boolean wraps = swap == Memslots.GENS - 1;
            assertThat(f.reads() & Resource.srcuOf(1)).as("swap %d reads the fault's srcu unit", swap).isEqualTo(wraps ? Resource.srcuOf(1) : 0);
            assertThat(f.writes() & Resource.srcuOf(1)).as("swap %d writes it", swap).isEqualTo(wraps ? Resource.srcuOf(1) : 0);
            assertThat(op.footprint().reads() & op.footprint().writes() & srcu).isEqualTo(srcu);
            st.step(0, st.next(0)); // the swap
            st.step(0, st.next(0)); // its free
        }
        assertThat(conflict(new SlotOps.SetLogDirty(0, true).footprint(), Memslots.USE.ofThread(1))).isTrue();
        assertThat(Memslots.USE.ofThread(1).reads() & Resource.srcuOf(1)).as("a read of the mark").isNotZero();
    }

    private static boolean conflict(Footprint a, Footprint b) {
        return (a.writes() & (b.reads() | b.writes())) != 0 || (a.reads() & b.writes()) != 0;
    }
}
