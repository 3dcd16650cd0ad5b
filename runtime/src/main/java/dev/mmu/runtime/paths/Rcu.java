package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.VmState;

/**
 * RCU for TDP MMU page tables: handle_removed_pt() queues a table with call_rcu() and
 * tdp_mmu_free_sp_rcu_callback() frees it after a grace period. The model ends the grace period
 * as early as the rules allow, the moment no thread is inside rcu_read_lock(), to expose the most races.
 */
final class Rcu {
    private Rcu() {}

    static void callRcu(VmState s, int spId) {
        int[] p = java.util.Arrays.copyOf(s.rcuPending, s.rcuPending.length + 1);
        p[p.length - 1] = spId;
        s.rcuPending = p;
    }

    /** Runs the queued callbacks if a grace period can have elapsed. */
    static void maybeEndGracePeriod(Exec e) {
        VmState s = e.s;
        if (s.rcuReaders != 0 || s.rcuPending.length == 0) return;
        StringBuilder ids = new StringBuilder();
        for (int id : s.rcuPending) {
            s.freeSp(id);
            if (e.tracing()) ids.append(ids.length() == 0 ? "" : ", ").append("sp").append(id);
        }
        s.rcuPending = new int[0];
        e.note("RCU grace period: tdp_mmu_free_sp_rcu_callback frees " + ids);
    }
}
