package dev.mmu.runtime.paths;

import static dev.mmu.runtime.paths.InvariantsTest.call;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.LockId;
import dev.mmu.runtime.model.Mmu;
import dev.mmu.runtime.model.VmConfig;
import dev.mmu.runtime.paths.Lock.Mode;
import dev.mmu.runtime.paths.MmuOps.Access;
import org.junit.jupiter.api.Test;

/** The generic ops of a path (assert, note, jumps), how a path is built, and a primitive's lockdep check. */
class OpsTest {
    static final VmConfig VM = InvariantsTest.vm(Mmu.TDP, false, 1, InvariantsTest.SMALL);

    @Test
    void aFalseAssertFailsTheRunAndSaysWhich() {
        Run r = Run.of(VM, b -> {
            b.emit(new Ops.Assert(Expr.constant(1), "holds"));
            b.emit(new Ops.Assert(Expr.constant(0), "x == 1"));
        });
        assertThat(r.s.assertFailed).isTrue();
        assertThat(r.trace()).contains("assert x == 1 FAILED").doesNotContain("holds FAILED");
        assertThat(Run.of(VM, b -> b.emit(new Ops.Assert(Expr.constant(1), "holds"))).s.assertFailed).isFalse();
        assertThat(new Ops.Assert(Expr.constant(1), "x").describe()).isEqualTo("assert x");
        assertThat(Resource.in(new Ops.Assert(Expr.constant(1), "x").footprint().writes())).containsExactly(Resource.VIOLATIONS);
    }

    @Test
    void notesAndJumpsDescribeThemselves() {
        Run r = Run.of(VM, b -> {
            b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
            b.emit(new Ops.Note("atomic {"));
            b.emit(new Ops.Release(LockId.mmu_lock));
        });
        assertThat(r.trace()).doesNotContain("atomic {"); // a mark, not a kernel step
        assertThat(new Ops.Note("atomic {").describe()).isEqualTo("atomic {");
        assertThat(new Ops.Jump(3).describe()).isEqualTo("goto 3");
        assertThat(new Ops.JumpUnless(Expr.constant(1), 3, "x").describe()).isEqualTo("if x");
    }

    @Test
    void aPathWithAnUnpatchedJumpIsABugInItsBuilder() {
        PathBuilder b = new PathBuilder();
        b.placeholder();
        assertThatThrownBy(b::ops).isInstanceOf(IllegalStateException.class);
        PathBuilder named = new PathBuilder();
        named.local("x");
        assertThat(named.locals("iter", 3)).isEqualTo(1);
        assertThat(named.localNames()).containsExactly("x", "iter.0", "iter.1", "iter.2");
    }

    @Test
    void anAtomicBlockWrapsEveryOpFromItsStart() {
        PathBuilder b = new PathBuilder();
        b.emit(new Ops.Note("a"));
        int from = b.here();
        b.emit(new Ops.Note("b"));
        b.emit(new Ops.Note("c"));
        b.atomic(from);
        Op[] ops = b.ops();
        assertThat(ops[0]).isInstanceOf(Ops.Note.class);
        assertThat(ops[1]).isInstanceOf(Ops.Atomic.class);
        assertThat(ops[2]).isInstanceOf(Ops.Atomic.class);
        assertThat(ops[2].describe()).isEqualTo("c");
    }

    @Test
    void aPrimitiveCalledWithoutTheMmuLockItAssertsIsALockdepViolation() {
        Run bare = Run.of(VM, s -> FaultPaths.guestAccess(s, VM, 0, Access.READ, Expr.constant(0x1000)),
                b -> b.emit(call("set_spte", 1, 1, 0, 0, 0)));
        assertThat(bare.violated(Invariant.lockdep)).isTrue();
        assertThat(bare.trace()).contains("!! lockdep: set_spte() needs ");
        Run read = Run.of(VM, s -> FaultPaths.guestAccess(s, VM, 0, Access.READ, Expr.constant(0x1000)), b -> {
            b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.READ));
            b.emit(call("split_huge", 1));
            b.emit(new Ops.Release(LockId.mmu_lock));
        });
        assertThat(read.violated(Invariant.lockdep)).as("split_huge needs mmu_lock held, in any mode").isFalse();
        assertThat(Resource.in(Primitives.get("set_spte").footprint().reads())).contains(Resource.MMU_LOCK);
        assertThat(Resource.in(Primitives.get("flush_remote_tlbs").footprint().reads())).doesNotContain(Resource.MMU_LOCK);
    }

    /**
     * v6.18's kvm_tdp_mmu_zap_possible_nx_huge_page() reads sp->ptep with rcu_dereference():
     * CONFIG_PROVE_RCU reports it outside rcu_read_lock(), though the read lock holds off the
     * grace period. A recovery loop pasted without its rcu_read_lock() passed every check.
     */
    /** The toggle says so in the trace: a shadow trace never said that the generation changed (trial7). */
    @Test
    void theGenerationToggleIsInTheTrace() {
        Run r = Run.of(VM, b -> {
            b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
            b.emit(InvariantsTest.call("kvm_mmu_toggle_valid_gen"));
            b.emit(new Ops.Release(LockId.mmu_lock));
        });
        assertThat(r.trace()).contains("kvm->arch.mmu_valid_gen = 1: every shadow page made before is obsolete");
        assertThat(r.s.mmuValidGen).isOne();
    }

    @Test
    void theReadLockNxZapNeedsRcuReadLockToo() {
        Run bare = Run.of(VM, s -> FaultPaths.guestAccess(s, VM, 0, Access.READ, Expr.constant(0x1000)), b -> {
            b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.READ));
            b.emit(call("tdp_mmu_zap_possible_nx_huge_page", 1));
            b.emit(new Ops.Release(LockId.mmu_lock));
        });
        assertThat(bare.violated(Invariant.lockdep)).isTrue();
        assertThat(bare.trace()).contains("!! lockdep: tdp_mmu_zap_possible_nx_huge_page() needs rcu_read_lock()")
                .doesNotContain("held for read"); // mmu_lock is held: only RCU is missing
        Run rcu = nxZapInsideRcu(Mode.READ);
        assertThat(rcu.violated(Invariant.lockdep)).isFalse();
        Run write = nxZapInsideRcu(Mode.WRITE);
        assertThat(write.trace()).as("only the lock mode is wrong")
                .contains("!! lockdep: tdp_mmu_zap_possible_nx_huge_page() needs mmu_lock held for read;");
        assertThat(Primitives.get("tdp_mmu_zap_possible_nx_huge_page").lockdep().describe())
                .isEqualTo("mmu_lock held for read and rcu_read_lock()");
    }

    /** The 6.18 NX zap inside rcu_read_lock(), with mmu_lock held in the given mode. */
    private static Run nxZapInsideRcu(Mode mmuLock) {
        return Run.of(VM, s -> FaultPaths.guestAccess(s, VM, 0, Access.READ, Expr.constant(0x1000)), b -> {
            b.emit(new Ops.Acquire(LockId.mmu_lock, mmuLock));
            b.emit(new Ops.Acquire(LockId.rcu, Mode.READ));
            b.emit(call("tdp_mmu_zap_possible_nx_huge_page", 1));
            b.emit(new Ops.Release(LockId.rcu));
            b.emit(new Ops.Release(LockId.mmu_lock));
        });
    }

    @Test
    void anInvalidationTracesItsRangeAndWhetherItFlushed() {
        Run r = Run.of(VM, s -> FaultPaths.guestAccess(s, VM, 0, Access.READ, Expr.constant(0x1000)), b -> {
            KernelFixtures.mmuNotifierInvalidate(b, Expr.constant(0x100000), Expr.constant(0x200000));
            KernelFixtures.mmuNotifierInvalidate(b, Expr.constant(0), Expr.constant(0x200000));
        });
        assertThat(r.trace()).contains("kvm_mmu_invalidate_start gfn 0x100..0x200; kvm_unmap_gfn_range: no leaf of a valid root zapped, no flush")
                .contains("kvm_mmu_invalidate_start gfn 0x0..0x200")
                .contains("kvm_mmu_invalidate_end: mmu_invalidate_seq=2");
        assertThat(r.spte(0x1000, "present")).isZero();
        assertThat(r.s.mmuInvalidateInProgress).isZero();
    }

    /**
     * A leaf zapped in an invalidated root needs no flush (tdp_mmu_zap_leafs(), v6.12), and the
     * trace says why, after the zap it printed (it said "nothing present, no flush").
     */
    @Test
    void anInvalidationThatZapsOnlyInAnInvalidRootSaysSo() {
        Run r = new Run(InvariantsTest.hostFree(InvariantsTest.SMALL, true, true));
        assertThat(r.trace()).contains("-> non-present").doesNotContain("nothing present")
                .contains("kvm_unmap_gfn_range: no leaf of a valid root zapped, no flush");
    }
}
