package dev.mmu.examples;

import dev.mmu.runtime.model.ShadowPage;
import dev.mmu.runtime.model.Spte;
import dev.mmu.runtime.model.ThreadState;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.Host;
import dev.mmu.runtime.paths.Resource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The part of a state each {@link Resource} stands for, as a comparable value: what the footprint
 * tests compare before and after a step. Every field of VmState is in exactly one resource (or is
 * a thread's pc or locals); {@link FootprintsTest} checks that states equal on all of them are equal.
 */
final class ResourceView {
    private static final long ACCESS_BITS = Spte.WRITABLE | Spte.ACCESSED | Spte.DIRTY;

    private ResourceView() {}

    static Object of(VmState s, Resource r) {
        return switch (r) {
            case SPTE -> tables(s, false);
            case SPTE_ACCESS -> tables(s, true);
            case TLB -> Arrays.deepToString(s.tlb) + Arrays.deepToString(s.psc);
            case HOST -> {
                long[] pfns = new long[Host.backingPages(s.config)];
                for (int i = 0; i < pfns.length; i++) pfns[i] = s.hostPfn(i);
                yield List.of(Arrays.toString(pfns), Arrays.toString(s.freedPfns), Arrays.toString(s.unmappedPfns),
                        Arrays.toString(s.hvaUnmapped), Arrays.toString(s.pfnOwners), s.nextPfn);
            }
            case MMU_LOCK -> List.of(s.mmuWriter, s.mmuReaders, Arrays.toString(s.mmuQueue));
            case SLOTS_LOCK -> s.mutexOwner[0];
            case TDP_MMU_PAGES_LOCK -> s.mutexOwner[1];
            case MMU_UNSYNC_PAGES_LOCK -> s.mutexOwner[2];
            case SRCU -> s.srcuReaders;
            case RCU -> s.rcuReaders;
            case RCU_PENDING -> Arrays.toString(s.rcuPending);
            case NX_LIST -> {
                List<Object> l = new ArrayList<>(List.of(Arrays.toString(s.lpageDisallowed)));
                for (int id = 0; id < s.spCapacity(); id++) {
                    if (s.sp(id) != null && s.sp(id).nxHugePageDisallowed) l.add(id);
                }
                yield l;
            }
            case INVALID_ROOTS -> List.of(s.mmuValidGen, Arrays.toString(s.invalidRoots));
            case MEMSLOTS -> List.of(s.slotLogging, s.slotInvalid, s.slotDeleted, s.dirtyLogBusy,
                    Arrays.toString(s.slotBase), Arrays.toString(s.goneRanges));
            case DIRTY_BITMAP -> {
                List<Long> words = new ArrayList<>();
                for (int slot = 0; slot < s.config.memslots().size(); slot++) {
                    for (int w = 0; w < s.dirtyWords(slot); w++) words.add(s.dirtyWord(slot, w));
                }
                yield words;
            }
            case INVALIDATE -> List.of(s.mmuInvalidateSeq, s.mmuInvalidateInProgress, s.mmuInvalidateRangeStart,
                    s.mmuInvalidateRangeEnd, s.mnActiveInvalidateCount);
            case STATS -> Arrays.toString(s.stats);
            case METRICS -> {
                List<Long> l = new ArrayList<>(List.of(s.commitBatch, s.lockHoldWork));
                for (ThreadState t : s.threads) l.add((long) t.holdWork);
                yield l;
            }
            case INVALID_LIST -> Arrays.stream(s.threads).map(t -> Arrays.toString(t.invalidList)).toList();
            case VIOLATIONS -> List.of(s.violations, s.assertFailed);
            case GLOBALS -> Arrays.toString(s.globals);
        };
    }

    /**
     * Page tables: the structure with the W/A/D bits masked out; or only those bits, of the SPTEs
     * that have some (allocating or freeing an empty table changes no bit).
     */
    private static List<Object> tables(VmState s, boolean accessBits) {
        List<Object> l = new ArrayList<>();
        if (!accessBits) l.add(List.of(s.root, s.nestedRoot));
        for (int id = 0; id < s.spCapacity(); id++) {
            ShadowPage sp = s.sp(id);
            if (sp == null) {
                if (!accessBits) l.add(null);
                continue;
            }
            if (!accessBits) {
                l.add(List.of(sp.level, sp.gfn, sp.tdp, sp.invalid, sp.status, sp.rootCount, sp.gen, sp.parent,
                        sp.parentIndex));
            }
            for (int i : sp.usedIndexes()) {
                long v = accessBits ? sp.spte(i) & ACCESS_BITS : sp.spte(i) & ~ACCESS_BITS;
                if (v != 0) l.add(id + "[" + i + "]:" + v);
            }
        }
        return l;
    }
}
