package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.Level;
import dev.mmu.runtime.model.Memslot;
import dev.mmu.runtime.model.VmConfig;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * Which tables the other threads of a program may unlink while holding mmu_lock for read: the
 * highest level of an SPTE whose table they may unlink, as a fault's walk that read such an SPTE
 * must read the table in a step of its own ({@link TdpMap.Walk}): handle_removed_pt() may freeze
 * the table's SPTEs in between (v7.2 tdp_mmu.c:411). Such an op waits for tdp_mmu_pages_lock
 * ({@link PagesLockWait}), so its footprint, where grace periods are held off, reads the lock and
 * writes SPTEs ({@link TdpMmu#SET_SPTE_SHARED}, {@link Primitive#mayWaitForPagesLock}). Some unlink
 * only tables under an SPTE no higher than the largest host backing (and 1G): a fault's
 * tdp_mmu_set_spte_atomic() of a leaf (fault->goal_level is at most req_level), the collapsible
 * zap and the huge page recovery (kvm_mmu_max_mapping_level(), SlotOps#collapsible), the NX
 * recovery's zap of a tracked page (tracked only at a level up to req_level). Any other may unlink
 * any table.
 */
final class ReadLockRemovers {
    /** The level of an op that may unlink any table. */
    static final int ANY = Integer.MAX_VALUE;

    /** Per program's threads: per thread, what the other threads may unlink (computed once). */
    private static final Map<List<Program.ThreadProgram>, int[]> BESIDE = Collections.synchronizedMap(new WeakHashMap<>());

    private ReadLockRemovers() {}

    /** The highest level of an SPTE whose table a thread other than t may unlink under mmu_lock held for read, or 0. */
    static int beside(Program program, int t) {
        return BESIDE.computeIfAbsent(program.threads(), k -> compute(program))[t];
    }

    private static int[] compute(Program program) {
        int n = program.threads().size();
        int[] removes = new int[n];
        for (int u = 0; u < n; u++) {
            for (Op op : program.threads().get(u).ops()) removes[u] = Math.max(removes[u], removes(op, program.config()));
        }
        int[] beside = new int[n];
        for (int t = 0; t < n; t++) {
            for (int u = 0; u < n; u++) beside[t] = Math.max(beside[t], u != t ? removes[u] : 0);
        }
        return beside;
    }

    /** The highest level of an SPTE whose table op may unlink under mmu_lock held for read, or 0. */
    static int removes(Op op, VmConfig config) {
        Op o = op instanceof Ops.Atomic a ? a.inner() : op;
        int huge = Math.min(Level.PG_LEVEL_1G, config.memslots().stream().mapToInt(Memslot::backingLevel).max().orElse(0));
        if (o instanceof TdpMap.SetSpteAtomic) return huge > Level.PG_LEVEL_4K ? huge : 0; // a leaf over a table
        // Its footprint where grace periods are held off: the end of one frees tables, no removal
        Footprint f = o.footprint(config).heldOff();
        if ((f.reads() & Resource.TDP_MMU_PAGES_LOCK.bit()) == 0 || (f.writes() & Resource.SPTE.bit()) == 0) return 0;
        boolean bounded = o instanceof SlotOps.CollapsibleStep || o instanceof HugePageRecovery.RecoverStep
                || o instanceof Ops.Call c && c.primitive().name().equals("tdp_mmu_zap_possible_nx_huge_page");
        return bounded ? huge : ANY;
    }

    /**
     * Whether a walk that read a table's SPTE at level must read the table it points at in a step
     * of its own, given the highest level whose tables the other threads may unlink (beside).
     */
    static boolean standsIn(int beside, int level) {
        return level <= beside;
    }
}
