package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.Stat;
import dev.mmu.runtime.model.VmConfig;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * A compiled scenario: the machine, a setup run once before the race, and the racing threads.
 *
 * @param trackMetrics keep commit_batch and lock_hold_work (only when an expectation reads them:
 *                     they make otherwise equal states differ)
 * @param statsRead the kvm->stat counters that some expression of the scenario (a path, a thread,
 *                  an expectation) reads; the others, if no built-in reads them either, are left
 *                  out of the visited-set key (see {@link MmuSystem#key})
 * @param expectationVcpus the vCPUs the expectations name (tlb(2, ..)), as a bit set (-1: any):
 *                  symmetry leaves them in place
 * @param expectationReads the resources the expectations read, as a bit set of {@link Resource}s
 *                  (-1: any): a step that writes one is visible to partial-order reduction
 *                  (violations and failed asserts are judged by what a step changes, see {@link Independence})
 */
public record Program(VmConfig config, ThreadProgram setup, List<ThreadProgram> threads, boolean trackMetrics,
                      Set<Stat> statsRead, long expectationVcpus, long expectationReads) {
    /** Every stat counts as read: no state is merged. Expectations (Java predicates) name no vCPU and may read anything. */
    public Program(VmConfig config, ThreadProgram setup, List<ThreadProgram> threads, boolean trackMetrics) {
        this(config, setup, threads, trackMetrics, EnumSet.allOf(Stat.class), 0, -1L);
    }

    /** Expectations that may read anything. */
    public Program(VmConfig config, ThreadProgram setup, List<ThreadProgram> threads, boolean trackMetrics,
                   Set<Stat> statsRead, long expectationVcpus) {
        this(config, setup, threads, trackMetrics, statsRead, expectationVcpus, -1L);
    }

    /** One thread's ops. vcpu is the vCPU it runs as, or -1 for a kernel/host thread. */
    public record ThreadProgram(String name, int vcpu, Op[] ops, List<String> localNames) {
        public static ThreadProgram of(String name, int vcpu, PathBuilder b) {
            return new ThreadProgram(name, vcpu, b.ops(), b.localNames());
        }
    }

    public Program {
        threads = List.copyOf(threads);
        statsRead = statsRead.isEmpty() ? EnumSet.noneOf(Stat.class) : EnumSet.copyOf(statsRead);
        if (threads.size() > 63) throw new IllegalArgumentException("at most 63 threads");
    }

    /** The same program with every stat counted as read (the reference for differential tests). */
    public Program withAllStatsRead() {
        return new Program(config, setup, threads, trackMetrics, EnumSet.allOf(Stat.class), expectationVcpus,
                expectationReads);
    }

    /**
     * The same program under expectations that may read anything, as Java predicates: step merging
     * then moves only ops that write nothing shared (tests that step a kernel path op by op).
     */
    public Program readByAnyExpectation() {
        return new Program(config, setup, threads, trackMetrics, statsRead, expectationVcpus, -1L);
    }

    /**
     * Stats that nothing can read: counters only ever incremented by the model (not pages_* and
     * nx_lpage_splits, which invariants and kernel paths read) and read by no expression here.
     * States that differ only in them behave alike, so the key may ignore them.
     */
    public long unreadStatsMask() {
        long mask = 0;
        for (Stat st : List.of(Stat.remote_tlb_flush, Stat.mmu_shadow_zapped)) {
            if (!statsRead.contains(st)) mask |= 1L << st.ordinal();
        }
        return mask;
    }
}
