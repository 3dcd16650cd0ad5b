package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.LockId;
import dev.mmu.runtime.model.VmState;

/**
 * The lock a primitive asserts on entry, as the kernel's lockdep_assert_held() (any mode),
 * lockdep_assert_held_read() or lockdep_assert_held_write() do; {@link #NONE} when it asserts none.
 * {@code rcu}: it also rcu_dereference()s, which CONFIG_PROVE_RCU (on with CONFIG_PROVE_LOCKING)
 * reports as suspicious RCU usage outside rcu_read_lock(); a held mmu_lock does not count.
 */
public record Lockdep(LockId lock, Mode mode, boolean rcu) {
    /** MMU_WRITE_OR: mmu_lock held for write, or {@code lock} held (a list either lock guards). */
    public enum Mode { NONE, HELD, READ, WRITE, MMU_WRITE_OR }

    public static final Lockdep NONE = new Lockdep(null, Mode.NONE, false);
    /** lockdep_assert_held(&kvm->mmu_lock): either mode. */
    public static final Lockdep MMU_HELD = new Lockdep(LockId.mmu_lock, Mode.HELD, false);
    /** lockdep_assert_held_read(&kvm->mmu_lock). */
    public static final Lockdep MMU_READ = new Lockdep(LockId.mmu_lock, Mode.READ, false);
    /** lockdep_assert_held_write(&kvm->mmu_lock). */
    public static final Lockdep MMU_WRITE = new Lockdep(LockId.mmu_lock, Mode.WRITE, false);

    /** lockdep_assert_held(lock), e.g. of the spinlock tdp_mmu_pages_lock. */
    public static Lockdep held(LockId lock) {
        return new Lockdep(lock, Mode.HELD, false);
    }

    /** mmu_lock held for write, or the spinlock {@code lock} (the NX list: both MMUs' writers, v6.18's TDP readers). */
    public static Lockdep mmuWriteOr(LockId lock) {
        return new Lockdep(lock, Mode.MMU_WRITE_OR, false);
    }

    /** This assertion, and inside rcu_read_lock() (kvm_tdp_mmu_read_spte()'s rcu_dereference()). */
    public Lockdep andRcu() {
        return new Lockdep(lock, mode, true);
    }

    /** Whether it checks anything: a call may then record a lockdep violation. */
    public boolean asserts() {
        return mode != Mode.NONE || rcu;
    }

    boolean satisfied(VmState s, int thread) {
        return lockHeld(s, thread) && (!rcu || Lock.held(s, thread, LockId.rcu));
    }

    /**
     * The NX list's rule is the model's, not a lockdep_assert() of the kernel: the text says so, or
     * a maintainer looks in unaccount_nx_huge_page() for an assert that is not there (trial8).
     */
    static final String NX_LIST_RULE = " (the NX list's locks: the kernel asserts neither, but the list_add/list_del would race)";

    /** What a caller lacks, for the violation's text: the lock, rcu_read_lock(), or both. */
    String unmet(VmState s, int thread) {
        boolean rcuHeld = !rcu || Lock.held(s, thread, LockId.rcu);
        if (lockHeld(s, thread)) return "rcu_read_lock() (CONFIG_PROVE_RCU: rcu_dereference of an SPTE pointer)";
        String lacks = rcuHeld ? new Lockdep(lock, mode, false).describe() : describe();
        return mode == Mode.MMU_WRITE_OR ? lacks + NX_LIST_RULE : lacks;
    }

    private boolean lockHeld(VmState s, int thread) {
        return switch (mode) {
            case NONE -> true;
            case HELD -> Lock.held(s, thread, lock);
            case READ -> lock == LockId.mmu_lock ? (s.mmuReaders & (1L << thread)) != 0 : Lock.held(s, thread, lock);
            case WRITE -> lock == LockId.mmu_lock ? s.mmuWriter == thread : Lock.held(s, thread, lock);
            case MMU_WRITE_OR -> s.mmuWriter == thread || Lock.held(s, thread, lock);
        };
    }

    /** "mmu_lock held for write", "tdp_mmu_pages_lock held", "... and rcu_read_lock()", or "" for none. */
    public String describe() {
        String held = switch (mode) {
            case NONE -> "";
            case HELD -> lock + " held";
            case READ -> lock + " held for read";
            case WRITE -> lock + " held for write";
            case MMU_WRITE_OR -> "mmu_lock held for write or " + lock + " held";
        };
        if (!rcu) return held;
        return held.isEmpty() ? "rcu_read_lock()" : held + " and rcu_read_lock()";
    }
}
