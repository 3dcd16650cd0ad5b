package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.LockId;
import dev.mmu.runtime.model.VmState;

/**
 * The lock a primitive asserts on entry, as the kernel's lockdep_assert_held() (any mode),
 * lockdep_assert_held_read() or lockdep_assert_held_write() do; {@link #NONE} when it asserts none.
 */
public record Lockdep(LockId lock, Mode mode) {
    /** MMU_WRITE_OR: mmu_lock held for write, or {@code lock} held (a list either lock guards). */
    public enum Mode { NONE, HELD, READ, WRITE, MMU_WRITE_OR }

    public static final Lockdep NONE = new Lockdep(null, Mode.NONE);
    /** lockdep_assert_held(&kvm->mmu_lock): either mode. */
    public static final Lockdep MMU_HELD = new Lockdep(LockId.mmu_lock, Mode.HELD);
    /** lockdep_assert_held_read(&kvm->mmu_lock). */
    public static final Lockdep MMU_READ = new Lockdep(LockId.mmu_lock, Mode.READ);
    /** lockdep_assert_held_write(&kvm->mmu_lock). */
    public static final Lockdep MMU_WRITE = new Lockdep(LockId.mmu_lock, Mode.WRITE);

    /** lockdep_assert_held(lock), e.g. of the spinlock tdp_mmu_pages_lock. */
    public static Lockdep held(LockId lock) {
        return new Lockdep(lock, Mode.HELD);
    }

    /** mmu_lock held for write, or the spinlock {@code lock} (the NX list: both MMUs' writers, v6.18's TDP readers). */
    public static Lockdep mmuWriteOr(LockId lock) {
        return new Lockdep(lock, Mode.MMU_WRITE_OR);
    }

    boolean satisfied(VmState s, int thread) {
        return switch (mode) {
            case NONE -> true;
            case HELD -> Lock.held(s, thread, lock);
            case READ -> lock == LockId.mmu_lock ? (s.mmuReaders & (1L << thread)) != 0 : Lock.held(s, thread, lock);
            case WRITE -> lock == LockId.mmu_lock ? s.mmuWriter == thread : Lock.held(s, thread, lock);
            case MMU_WRITE_OR -> s.mmuWriter == thread || Lock.held(s, thread, lock);
        };
    }

    /** "mmu_lock held for write", "tdp_mmu_pages_lock held", or "" for none. */
    public String describe() {
        return switch (mode) {
            case NONE -> "";
            case HELD -> lock + " held";
            case READ -> lock + " held for read";
            case WRITE -> lock + " held for write";
            case MMU_WRITE_OR -> "mmu_lock held for write or " + lock + " held";
        };
    }
}
