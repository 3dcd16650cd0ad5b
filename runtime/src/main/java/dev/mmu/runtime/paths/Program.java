package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.LockId;
import dev.mmu.runtime.model.VmConfig;
import dev.mmu.runtime.model.VmState;
import java.util.List;

/**
 * A compiled scenario: the machine, a setup run once before the race, and the racing threads.
 *
 * @param trackMetrics keep commit_batch and lock_hold_work (only when an expectation reads them:
 *                     they make otherwise equal states differ)
 */
public record Program(VmConfig config, ThreadProgram setup, List<ThreadProgram> threads, boolean trackMetrics) {
    /** One thread's ops. vcpu is the vCPU it runs as, or -1 for a kernel/host thread. */
    public record ThreadProgram(String name, int vcpu, Op[] ops, List<String> localNames) {
        public static ThreadProgram of(String name, int vcpu, PathBuilder b) {
            return new ThreadProgram(name, vcpu, b.ops(), b.localNames());
        }
    }

    public Program {
        threads = List.copyOf(threads);
        if (threads.size() > 63) throw new IllegalArgumentException("at most 63 threads");
    }

    /** rwlock_needbreak(&kvm->mmu_lock): another thread is blocked taking mmu_lock. */
    public boolean waitsForMmuLock(VmState s, int self) {
        for (int t = 0; t < threads.size(); t++) {
            if (t == self) continue;
            Op[] ops = threads.get(t).ops();
            int pc = s.threads[t].pc;
            if (pc < ops.length && ops[pc] instanceof Ops.Acquire a && a.lock() == LockId.mmu_lock
                    && !Lock.available(s, t, LockId.mmu_lock, a.mode())) {
                return true;
            }
        }
        return false;
    }
}
