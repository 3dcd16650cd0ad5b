package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.Level;
import dev.mmu.runtime.model.VmConfig;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * Which threads of a program run beside one that may unlink a TDP MMU table while holding
 * mmu_lock for read: its handle_removed_pt() then freezes the table's SPTEs (v7.2 tdp_mmu.c:411)
 * under a fault's walk, which must read each table in a step of its own ({@link TdpMap.Walk}).
 * Such an op waits for tdp_mmu_pages_lock ({@link PagesLockWait}), so its footprint, where grace
 * periods are held off, reads the lock and writes SPTEs ({@link TdpMmu#SET_SPTE_SHARED},
 * {@link Primitive#mayWaitForPagesLock}); a fault's tdp_mmu_set_spte_atomic() unlinks a
 * table only for a huge leaf, so only where some memslot is backed by huge pages.
 */
final class ReadLockRemovers {
    /** Per program's threads: per thread, whether another thread has such an op (computed once). */
    private static final Map<List<Program.ThreadProgram>, boolean[]> BESIDE = Collections.synchronizedMap(new WeakHashMap<>());

    private ReadLockRemovers() {}

    /** Whether a thread other than t may unlink a table under mmu_lock held for read. */
    static boolean beside(Program program, int t) {
        return BESIDE.computeIfAbsent(program.threads(), k -> compute(program))[t];
    }

    private static boolean[] compute(Program program) {
        int n = program.threads().size();
        boolean[] removes = new boolean[n];
        for (int u = 0; u < n; u++) {
            for (Op op : program.threads().get(u).ops()) removes[u] |= removes(op, program.config());
        }
        boolean[] beside = new boolean[n];
        for (int t = 0; t < n; t++) {
            for (int u = 0; u < n; u++) beside[t] |= u != t && removes[u];
        }
        return beside;
    }

    /** Whether op may unlink a TDP MMU table under mmu_lock held for read. */
    static boolean removes(Op op, VmConfig config) {
        Op o = op instanceof Ops.Atomic a ? a.inner() : op;
        if (o instanceof TdpMap.SetSpteAtomic) {
            return config.memslots().stream().anyMatch(m -> m.backingLevel() > Level.PG_LEVEL_4K);
        }
        // Its footprint where grace periods are held off: the end of one frees tables, no removal
        Footprint f = o.footprint(config).heldOff();
        return (f.reads() & Resource.TDP_MMU_PAGES_LOCK.bit()) != 0 && (f.writes() & Resource.SPTE.bit()) != 0;
    }
}
