package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.LockId;

/**
 * A kernel function a path can call as one atomic step, with the mmu_lock mode it asserts
 * (lockdep_assert_held / lockdep_assert_held_write), checked every time it runs, and what its body
 * reads and writes.
 */
public record Primitive(String name, Requires requires, String kernel, Footprint effects, Body body) {
    /**
     * The lock a primitive requires: mmu_lock held, held for read or for write; NX_LIST is the NX
     * list's lock, mmu_lock for write or tdp_mmu_pages_lock (the TDP MMU's read-lock paths).
     */
    public enum Requires { NONE, HELD, READ, WRITE, NX_LIST }

    @FunctionalInterface
    public interface Body {
        long call(Exec e, long[] args);
    }

    /** The body's effects, and the lockdep check's (it reads mmu_lock and may record a violation). */
    public Footprint footprint() {
        if (requires == Requires.NONE) return effects;
        Footprint f = effects.andReads(Resource.MMU_LOCK).andUpdates(Resource.VIOLATIONS);
        return requires == Requires.NX_LIST ? f.andReads(Resource.TDP_MMU_PAGES_LOCK) : f;
    }

    long invoke(Exec e, long[] args) {
        boolean ok = switch (requires) {
            case NONE -> true;
            case HELD -> e.s.holdsMmuLock(e.thread);
            case READ -> e.s.holdsMmuLock(e.thread) && e.s.mmuWriter != e.thread;
            case WRITE -> e.s.mmuWriter == e.thread;
            case NX_LIST -> e.s.mmuWriter == e.thread || Lock.held(e.s, e.thread, LockId.tdp_mmu_pages_lock);
        };
        if (!ok) {
            e.violate(Invariant.lockdep, name + "() needs " + switch (requires) {
                case READ -> "mmu_lock held for read";
                case WRITE -> "mmu_lock held for write";
                case NX_LIST -> "mmu_lock held for write or tdp_mmu_pages_lock";
                default -> "mmu_lock held";
            });
        }
        return body.call(e, args);
    }
}
