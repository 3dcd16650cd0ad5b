package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.VmState;
import java.util.List;
import java.util.OptionalLong;
import java.util.function.IntFunction;

/**
 * A kernel helper a path can call: its signature, the lock it asserts (checked every time it
 * runs), the kernel function and version it mirrors, a one-line doc, and what its body reads and
 * writes. Declared once, in {@link Primitives}; the checker, compiler, language server, editor
 * grammar and docs take it from there.
 *
 * <p>{@code body} runs the call as one atomic step; it is null for the few primitives the compiler
 * expands into several steps in place (a zap loop with yield points, a lock), see {@link #isStep()}.
 */
public record Primitive(String name, List<Param> params, Type returns, Lockdep lockdep, String kernel,
                        String version, String doc, Footprint effects, IntFunction<Footprint> onVcpu, Body body) {
    /**
     * The parameter that names a vCPU: an int called {@code vcpu_id}. The compiler passes a constant
     * (or the vCPU whose entry runs the call) and emits an {@link Ops.VcpuCall}, whose footprint is
     * {@code onVcpu} of that vCPU; {@code effects} is its footprint for any vCPU.
     */
    public static final String VCPU_ID = "vcpu_id";

    /**
     * The value types of the language a primitive takes and returns; VOID: returns nothing. FAULT,
     * ITER and SHADOW_ITER (a guest access's struct kvm_page_fault, its tdp_mmu_for_each_pte()
     * iterator, its for_each_shadow_entry() iterator) are taken only by the fault path's
     * primitives, which the compiler expands; a walk's iterator fits only its own MMU's primitives.
     * LOCK is one of the locks the language names (mmu_lock, slots_lock, ...), passed as its
     * {@link dev.mmu.runtime.model.LockId}'s ordinal: the lockdep_assert_held*() primitives take one.
     */
    public enum Type {
        INT("int"), BOOL("bool"), SP("sp"), FAULT("fault"), ITER("iter"), SHADOW_ITER("shadow_iter"), LOCK("lock"), VOID("");

        public final String word;

        Type(String word) {
            this.word = word;
        }
    }

    /** A parameter; every one may be passed by position or by name, one with a default may be left out. */
    public record Param(String name, Type type, OptionalLong defaultValue) {
    }

    @FunctionalInterface
    public interface Body {
        long call(Exec e, long[] args);
    }

    /** Whether it runs as one step ({@link Ops.Call}); if not, the compiler expands it in place. */
    public boolean isStep() {
        return body != null;
    }

    /**
     * The body's effects, and the lockdep check's: it may record a violation. It reads only
     * whether this thread holds the lock, which no other thread changes, so it is no shared read
     * (partial-order reduction: a critical section does not conflict with a thread queueing).
     */
    public Footprint footprint() {
        return !lockdep.asserts() ? effects : effects.andUpdates(Resource.VIOLATIONS);
    }

    /**
     * Whether a step of it may wait for tdp_mmu_pages_lock ({@link PagesLockWait}): it reads the
     * lock where its thread holds off grace periods, i.e. not only as a grace period's end does
     * ({@link TdpMmu#SET_SPTE_SHARED}: a table it removes may be NX-disallowed).
     */
    boolean mayWaitForPagesLock() {
        return isStep() && (effects.heldReads() & Resource.TDP_MMU_PAGES_LOCK.bit()) != 0;
    }

    /** The choices of op, a call of this primitive: 1, or 0 while a read-lock zap waits ({@link PagesLockWait}). */
    int choices(Op op, VmState s, int thread) {
        return mayWaitForPagesLock() ? PagesLockWait.choices(op, s, thread) : 1;
    }

    /** The index of the {@link #VCPU_ID} parameter, or -1. */
    public int vcpuParam() {
        for (int i = 0; i < params.size(); i++) if (params.get(i).name().equals(VCPU_ID)) return i;
        return -1;
    }

    /** The footprint of a call on a known vCPU: what it touches of that vCPU's alone, naming it. */
    public Footprint footprint(int vcpu) {
        Footprint f = onVcpu.apply(vcpu).naming(vcpu);
        return !lockdep.asserts() ? f : f.andUpdates(Resource.VIOLATIONS);
    }

    long invoke(Exec e, long[] args) {
        if (!lockdep.satisfied(e.s, e.thread)) {
            e.violate(Invariant.lockdep, name + "() needs " + lockdep.unmet(e.s, e.thread));
        }
        return body.call(e, args);
    }
}
