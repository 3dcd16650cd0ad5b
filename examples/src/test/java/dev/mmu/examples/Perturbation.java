package dev.mmu.examples;

import dev.mmu.runtime.model.ShadowPage;
import dev.mmu.runtime.model.Spte;
import dev.mmu.runtime.model.Stat;
import dev.mmu.runtime.model.TlbEntry;
import dev.mmu.runtime.model.PscEntry;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.Resource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * A change of one unit of a state ({@link ResourceView#units}) that keeps the rest of the state as
 * it was: a step that neither reads nor writes the unit must do the same with it changed, and
 * leave it changed ({@link FootprintsTest}). The reachable states seldom differ in one unit alone
 * where an op runs (a memslot moved under an rmap walk), so the check of the reads on them alone
 * misses a footprint that leaves such a unit out.
 *
 * <p>Not changed: the locks, srcu and RCU (they decide which thread may run, which the key of
 * that check holds for the thread's own), the page tables' structure, the host's pages, the RCU
 * queue, the NX lists' order and counts, and the invalid_list (a change there needs other fields
 * to agree). Of the NX lists, each page's sp->nx_huge_page_disallowed flips.
 */
record Perturbation(String name, long bits, Consumer<VmState> apply) {

    /** Those of s's units that a step with these reads and writes leaves alone. */
    static List<Perturbation> untouched(VmState s, long reads, long writes) {
        long touched = reads | writes;
        List<Perturbation> l = new ArrayList<>();
        for (Perturbation p : all(s)) {
            boolean ofTables = p.bits == Resource.SPTE_ACCESS.bit() || p.bits == Resource.NX_LIST.bit();
            // A step that writes the tables may make or drop a leaf or a table: the same ones would not change in n
            if ((touched & p.bits) == 0 && !(ofTables && (writes & Resource.SPTE.bit()) != 0)) l.add(p);
        }
        return l;
    }

    private static List<Perturbation> all(VmState s) {
        List<Perturbation> l = new ArrayList<>();
        l.add(new Perturbation("MEMSLOTS", Resource.MEMSLOTS.bit(), x -> {
            int slots = x.slotBase.length;
            int all = (1 << slots) - 1;
            x.slotLogging ^= all;
            x.slotInvalid ^= all;
            x.dirtyLogBusy ^= all;
            x.slotBase = Arrays.stream(x.slotBase).map(b -> b + 512).toArray(); // 2M aligned still
        }));
        l.add(new Perturbation("DIRTY_BITMAP", Resource.DIRTY_BITMAP.bit(), x -> {
            for (int slot = 0; slot < x.config.memslots().size(); slot++) {
                if (x.dirtyWords(slot) == 0) continue;
                if (x.dirty(slot, 0)) x.clearDirty(slot, 0, 1);
                else x.markDirty(slot, 0);
            }
        }));
        l.add(new Perturbation("INVALIDATE", Resource.INVALIDATE.bit(), x -> {
            x.mmuInvalidateSeq += 1;
            x.mmuInvalidateInProgress += 1;
            x.mmuInvalidateRangeStart ^= 0x200;
            x.mmuInvalidateRangeEnd ^= 0x400;
            x.mnActiveInvalidateCount += 1;
        }));
        for (Stat stat : Stat.values()) { // each counter alone: a step may write one part and leave the others
            l.add(new Perturbation("stat " + stat, Resource.of(stat).bit(), x -> x.stats[stat.ordinal()] += 1));
        }
        l.add(new Perturbation("METRICS", Resource.METRICS.bit(), x -> {
            x.commitBatch += 1;
            x.lockHoldWork += 1;
        }));
        l.add(new Perturbation("VIOLATIONS", Resource.VIOLATIONS.bit(), x -> {
            x.violations ^= Integer.MIN_VALUE;
            x.assertFailed = !x.assertFailed;
        }));
        l.add(new Perturbation("GLOBALS", Resource.GLOBALS.bit(), x -> x.globals = Arrays.stream(x.globals).map(g -> g + 1).toArray()));
        l.add(new Perturbation("INVALID_ROOTS", Resource.INVALID_ROOTS.bit(), x -> x.mmuValidGen ^= 1));
        l.add(new Perturbation("SPTE_ACCESS", Resource.SPTE_ACCESS.bit(), x -> {
            for (int id = 0; id < x.spCapacity(); id++) {
                ShadowPage sp = x.sp(id);
                if (sp == null) continue;
                for (int i : sp.usedIndexes()) {
                    long v = sp.spte(i);
                    if (Spte.present(v) && Spte.leaf(v)) x.setSpte(id, i, v ^ Spte.ACCESSED);
                }
            }
        }));
        l.add(new Perturbation("NX_LIST", Resource.NX_LIST.bit(), x -> {
            for (int id = 0; id < x.spCapacity(); id++) {
                if (x.sp(id) != null) x.spForWrite(id).nxHugePageDisallowed ^= true;
            }
        }));
        for (int v = 0; v < s.tlb.length; v++) {
            int vcpu = v;
            if (s.tlb[v].length == 0 && s.psc[v].length == 0) continue; // emptying it changes nothing
            l.add(new Perturbation("TLB of vCPU " + v, Resource.tlbOf(v), x -> {
                x.tlb[vcpu] = new TlbEntry[0];
                x.psc[vcpu] = new PscEntry[0];
            }));
        }
        for (int v = 0; v < s.vcpuRoots.length; v++) {
            long bit = 1L << v;
            l.add(new Perturbation("root of vCPU " + v, Resource.vcpuRootsOf(v), x -> {
                x.freeObsoleteRootsRequests ^= bit;
                x.smmVcpus ^= bit;
            }));
        }
        return l;
    }
}
