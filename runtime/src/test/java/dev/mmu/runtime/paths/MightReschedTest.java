package dev.mmu.runtime.paths;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.LockId;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.KernelPaths.TdpLoop;
import dev.mmu.runtime.paths.Lock.Mode;
import dev.mmu.runtime.paths.Program.ThreadProgram;
import java.util.Set;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;

/**
 * __might_resched() in a non-blockable invalidate_range_start() (the mm's non_block_start(),
 * mm/mmu_notifier.c:596): the splat names the sleep and the range, and the TDP walks report it
 * only when they yield.
 */
class MightReschedTest {
    /** The range's two locals, 0x1000..0x3000, as the compiler binds a path's range parameter. */
    private static int range(PathBuilder b) {
        int r = b.locals("range", 2);
        b.emit(new Ops.Assign(r, Expr.constant(0x1000), "range.start"));
        b.emit(new Ops.Assign(r + 1, Expr.constant(0x3000), "range.end"));
        return r;
    }

    @Test
    void theSplatNamesTheSleepAndTheRange() {
        Run r = Run.of(TdpWalkYieldTest.VM, b -> b.emit(new Ops.MightResched(range(b), "at x.mmu:3:5 p(): mutex_lock(&kvm->slots_lock)")));
        assertThat(r.trace()).contains("!! kernel_warning: BUG: sleeping function called from invalid context at x.mmu:3:5"
                + " p(): mutex_lock(&kvm->slots_lock) inside the non-blockable invalidate_range_start() of 0x1000..0x3000"
                + " (__might_resched(): non_block: 1)");
        assertThat(r.violated(Invariant.kernel_warning)).isTrue();
        Ops.MightResched op = new Ops.MightResched(4, "at x.mmu:3:5 p(): synchronize_srcu_expedited(&kvm->srcu)");
        assertThat(op.describe()).isEqualTo("__might_resched(): at x.mmu:3:5 p(): synchronize_srcu_expedited(&kvm->srcu)");
        assertThat(op.localsRead()).containsExactly(4, 5);
        assertThat(op.footprint()).isEqualTo(Footprint.updates(Resource.VIOLATIONS));
    }

    private static boolean warns(BiConsumer<PathBuilder, Op> walk, boolean atYield) {
        return warns(TdpWalkYieldTest.VM, TdpWalkYieldTest.warm(), walk, atYield);
    }

    private static boolean warns(dev.mmu.runtime.model.VmConfig vm, PathBuilder setup, BiConsumer<PathBuilder, Op> walk,
                                 boolean atYield) {
        PathBuilder b = new PathBuilder();
        int r = range(b);
        b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
        walk.accept(b, atYield ? new Ops.MightResched(r, "at x.mmu:1:1 p(): cond_resched_rwlock_write(&kvm->mmu_lock)") : null);
        b.emit(new Ops.Release(LockId.mmu_lock));
        MmuSystem m = new MmuSystem(Stepper.program(vm, setup, ThreadProgram.of("start", -1, b)));
        Set<VmState> all = SeedModelTest.reachable(m);
        return all.stream().anyMatch(Invariant.kernel_warning::violatedIn);
    }

    @Test
    void zapGfnRangeSplatsOnlyWhereItYields() {
        assertThat(warns((b, op) -> KernelPaths.zapGfnRange(b, Expr.constant(1), Expr.constant(3), b.local("flush"), true, false, op), true)).isTrue();
        assertThat(warns((b, op) -> KernelPaths.zapGfnRange(b, Expr.constant(1), Expr.constant(3), b.local("flush"), true, false, op), false)).isFalse();
        assertThat(warns((b, op) -> KernelPaths.zapGfnRange(b, Expr.constant(1), Expr.constant(3), b.local("flush"), false, false, op), true))
                .as("can_yield false: no yield, no sleep").isFalse();
    }

    @Test
    void iterCondReschedSplatsOnlyWhereItYields() {
        BiConsumer<PathBuilder, Op> walk = (b, op) -> {
            TdpLoop loop = KernelPaths.beginTdpPteLoop(b, null, Expr.constant(0), Expr.constant(512));
            KernelPaths.iterCondResched(b, loop, Expr.constant(0), b.local("yielded"), Mode.WRITE, true, false, op);
            KernelPaths.endTdpPteLoop(b, loop);
        };
        assertThat(warns(walk, true)).isTrue();
        assertThat(warns(walk, false)).isFalse();
    }

    /**
     * A slot walk the compiler expands (trial 16): its yield is a sleep too, only where it yields
     * (recovery and the split: soundness/trial16-nonblock-walks.mmu, on a machine with huge pages).
     */
    @Test
    void aSlotWalkSplatsOnlyWhereItYields() {
        int pos = Memslots.position(TdpWalkYieldTest.VM, 0);
        BiConsumer<PathBuilder, Op> wrprot = (b, op) ->
                SlotPaths.wrprotGfnRange(b, Memslots.baseGfn(pos), Memslots.endGfn(pos), 1, Mode.WRITE, -1, op);
        assertThat(warns(wrprot, true)).isTrue();
        assertThat(warns(wrprot, false)).isFalse();
    }

    /** The eager split drops mmu_lock to allocate a table (kmem_cache_zalloc(GFP_KERNEL_ACCOUNT)): a sleep there too. */
    @Test
    void theEagerSplitSplatsWhereItDropsTheLockToAllocate() {
        dev.mmu.runtime.model.VmConfig huge = new dev.mmu.runtime.model.VmConfig(dev.mmu.runtime.model.Mmu.TDP, false, 1, false, 4,
                java.util.List.of(new dev.mmu.runtime.model.Memslot(0, 0, 512, dev.mmu.runtime.model.Level.PG_LEVEL_2M, false, false)), 1);
        PathBuilder setup = new PathBuilder();
        FaultPaths.guestAccess(setup, huge, 0, MmuOps.Access.READ, Expr.constant(0x1000)); // a 2M leaf to split
        int pos = Memslots.position(huge, 0);
        BiConsumer<PathBuilder, Op> alloc = (b, op) ->
                SlotPaths.splitHugePagesRoot(b, Memslots.baseGfn(pos), Memslots.endGfn(pos), Mode.WRITE, null, op);
        assertThat(warns(huge, setup, alloc, true)).isTrue();
        assertThat(warns(huge, setup, alloc, false)).isFalse();
    }
}
