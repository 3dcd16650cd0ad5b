package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.Invariant;

/**
 * A kernel function a path can call as one atomic step, with the mmu_lock mode it asserts
 * (lockdep_assert_held / lockdep_assert_held_write), checked every time it runs, and what its body
 * reads and writes.
 */
public record Primitive(String name, Requires requires, String kernel, Footprint effects, Body body) {
    /** The mmu_lock mode a primitive requires. */
    public enum Requires { NONE, HELD, WRITE }

    @FunctionalInterface
    public interface Body {
        long call(Exec e, long[] args);
    }

    /**
     * The body's effects, and the lockdep check's: it may record a violation. It reads only
     * whether this thread holds mmu_lock, which no other thread changes, so it is no shared read
     * (partial-order reduction: a critical section does not conflict with a thread queueing).
     */
    public Footprint footprint() {
        return requires == Requires.NONE ? effects : effects.andUpdates(Resource.VIOLATIONS);
    }

    long invoke(Exec e, long[] args) {
        boolean ok = switch (requires) {
            case NONE -> true;
            case HELD -> e.s.holdsMmuLock(e.thread);
            case WRITE -> e.s.mmuWriter == e.thread;
        };
        if (!ok) {
            e.violate(Invariant.lockdep, name + "() needs mmu_lock held" + (requires == Requires.WRITE ? " for write" : ""));
        }
        return body.call(e, args);
    }
}
