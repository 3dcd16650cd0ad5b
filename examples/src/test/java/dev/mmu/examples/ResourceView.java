package dev.mmu.examples;

import dev.mmu.runtime.model.ShadowPage;
import dev.mmu.runtime.model.Spte;
import dev.mmu.runtime.model.Stat;
import dev.mmu.runtime.model.ThreadState;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.Footprint;
import dev.mmu.runtime.paths.Host;
import dev.mmu.runtime.paths.Memslots;
import dev.mmu.runtime.paths.Rcu;
import dev.mmu.runtime.paths.Resource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * The part of a state each {@link Resource} (and each finer unit, {@link #units}) stands for, as a
 * comparable value: what the footprint tests compare before and after a step. Every field of VmState is in exactly one resource (or is
 * a thread's pc or locals); {@link FootprintsTest} checks that states equal on all of them are equal.
 */
final class ResourceView {
    private static final long ACCESS_BITS = Spte.WRITABLE | Spte.ACCESSED | Spte.DIRTY;

    private ResourceView() {}

    /**
     * Per thread of the program being checked, the index of its fault->slot local or -1
     * ({@link #faultSlots(dev.mmu.runtime.paths.Program)}): the struct kvm_memory_slot a fault holds
     * under kvm->srcu, which is part of its srcu unit (another thread's swap marks it, Memslots#OUTLIVE).
     */
    private static final ThreadLocal<int[]> FAULT_SLOTS = ThreadLocal.withInitial(() -> new int[0]);

    /** Names the program's fault->slot locals for the views and perturbations made on this thread from now on. */
    static void faultSlots(dev.mmu.runtime.paths.Program p) {
        int[] r = new int[p.threads().size()];
        for (int t = 0; t < r.length; t++) r[t] = p.threads().get(t).localNames().indexOf(Memslots.FAULT_SLOT);
        FAULT_SLOTS.set(r);
    }

    /** Thread t's fault->slot local, or -1. */
    static int faultSlot(int t) {
        int[] r = FAULT_SLOTS.get();
        return t < r.length ? r[t] : -1;
    }

    /** A part of the state a footprint bit (or bits) stands for: the unit the footprint tests compare. */
    record Unit(String name, long bits, Function<VmState, Object> view) {}

    /**
     * The finest parts: every resource of one bit, each vCPU's TLB ({@link Resource#tlbOf}), each
     * thread's srcu read side ({@link Resource#srcuOf}, with the fault->slot it holds) and RCU read-side critical section
     * ({@link Resource#rcuOf}: inside rcu_read_lock() or with preemption disabled), the three parts of HOST,
     * the counter groups of STATS.
     */
    static List<Unit> units(VmState s) {
        List<Unit> l = new ArrayList<>();
        for (Resource r : Resource.values()) {
            switch (r) {
                case TLB -> {
                    for (int v = 0; v < s.tlb.length; v++) {
                        int vcpu = v;
                        l.add(new Unit("TLB of vCPU " + v, Resource.tlbOf(v),
                                x -> Arrays.toString(x.tlb[vcpu]) + Arrays.toString(x.psc[vcpu])
                                        + x.parkedTlbRoots[vcpu] + "/" + x.parkedNestedTlbRoots[vcpu]));
                    }
                }
                case VCPU_ROOTS -> {
                    for (int v = 0; v < s.vcpuRoots.length; v++) {
                        int vcpu = v;
                        l.add(new Unit("root of vCPU " + v, Resource.vcpuRootsOf(v), x -> rootOf(x, vcpu)));
                    }
                }
                case SRCU -> {
                    for (int t = 0; t < s.threads.length; t++) {
                        int thread = t;
                        int slot = faultSlot(t);
                        l.add(new Unit("srcu of thread " + t, Resource.srcuOf(t),
                                x -> List.of(x.srcuReaders >> thread & 1, slot < 0 ? 0L : x.threads[thread].locals[slot])));
                    }
                }
                case RCU -> {
                    for (int t = 0; t < s.threads.length; t++) {
                        int thread = t;
                        l.add(new Unit("rcu of thread " + t, Resource.rcuOf(t), x -> Rcu.holdsOffGracePeriods(x, thread)));
                    }
                }
                // SRCU_SELF and RCU_SELF are a thread's bit; HOST and STATS are their parts
                case SRCU_SELF, RCU_SELF, HOST, STATS -> { }
                default -> l.add(new Unit(r.name(), r.bit(), x -> of(x, r)));
            }
        }
        return l;
    }

    static Object of(VmState s, Resource r) {
        return switch (r) {
            case SPTE -> tables(s, false);
            case SPTE_ACCESS -> tables(s, true);
            case TLB -> Arrays.deepToString(s.tlb) + Arrays.deepToString(s.psc);
            case HOST -> List.of(of(s, Resource.HOST_PFNS), of(s, Resource.HOST_ALLOC), of(s, Resource.FREED_PFNS));
            case HOST_PFNS -> List.of(Arrays.toString(hostPfns(s)), Arrays.toString(s.unmappedPfns),
                    Arrays.toString(s.hvaUnmapped));
            case HOST_ALLOC -> List.of(Arrays.toString(s.pfnOwners), s.nextPfn);
            case FREED_PFNS -> Arrays.toString(s.freedPfns);
            case MMU_LOCK -> List.of(s.mmuWriter, s.mmuReaders, Arrays.toString(s.mmuQueue));
            case SLOTS_LOCK -> s.mutexOwner[0];
            case TDP_MMU_PAGES_LOCK -> s.mutexOwner[1];
            case MMU_UNSYNC_PAGES_LOCK -> s.mutexOwner[2];
            case SRCU, SRCU_SELF -> s.srcuReaders;
            // A thread's rcu_read_lock() nesting is its own (as its lock holdings): what the others
            // see of it is whether it holds off grace periods, nested or with preemption disabled.
            case RCU, RCU_SELF -> java.util.stream.IntStream.range(0, s.threads.length)
                    .mapToObj(t -> Rcu.holdsOffGracePeriods(s, t)).toList();
            case RCU_PENDING -> Arrays.toString(s.rcuPending);
            case NX_LIST -> {
                List<Object> l = new ArrayList<>(List.of(Arrays.toString(s.lpageDisallowed), Arrays.toString(s.tdpMmuNxHugePages),
                        s.shadowMmuNxNrPages, s.tdpMmuNxNrPages));
                for (int id = 0; id < s.spCapacity(); id++) {
                    if (s.sp(id) != null && s.sp(id).nxHugePageDisallowed) l.add(id);
                }
                yield l;
            }
            case INVALID_ROOTS -> List.of(s.mmuValidGen, Arrays.toString(s.invalidRoots), heldInvalidRoots(s));
            case MEMSLOTS -> List.of(s.slotLogging, s.slotInvalid, s.slotDeleted, s.dirtyLogBusy,
                    Arrays.toString(s.slotBase), Arrays.toString(s.goneRanges), s.smramStart, s.smramEnd,
                    perSlot(s, Memslots::generation));
            // VmState.slotStructs is both: the current structs' generations are MEMSLOTS (the lookup reads them).
            case MEMSLOT_STRUCTS -> perSlot(s, Memslots::retiredAndFreed);
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
            case STAT_PAGES -> List.of(s.stat(Stat.pages_4k), s.stat(Stat.pages_2m), s.stat(Stat.pages_1g));
            case STAT_NX_LPAGE_SPLITS -> s.stat(Stat.nx_lpage_splits);
            case STAT_REMOTE_TLB_FLUSH -> s.stat(Stat.remote_tlb_flush);
            case STAT_MMU_SHADOW_ZAPPED -> s.stat(Stat.mmu_shadow_zapped);
            case METRICS -> {
                List<Long> l = new ArrayList<>(List.of(s.commitBatch, s.lockHoldWork));
                for (ThreadState t : s.threads) l.add((long) t.holdWork);
                yield l;
            }
            case INVALID_LIST -> Arrays.stream(s.threads).map(t -> Arrays.toString(t.invalidList)).toList();
            case VIOLATIONS -> List.of(s.violations, s.assertFailed);
            case GLOBALS -> Arrays.toString(s.globals);
            case VCPU_ROOTS -> {
                List<Object> l = new ArrayList<>();
                for (int v = 0; v < s.vcpuRoots.length; v++) l.add(rootOf(s, v));
                yield l;
            }
        };
    }

    private static List<Integer> perSlot(VmState s, java.util.function.ToIntBiFunction<VmState, Integer> f) {
        return java.util.stream.IntStream.range(0, s.config.memslots().size()).mapToObj(p -> f.applyAsInt(s, p)).toList();
    }

    private static long[] hostPfns(VmState s) {
        long[] pfns = new long[Host.backingPages(s.config)];
        for (int i = 0; i < pfns.length; i++) pfns[i] = s.hostPfn(i);
        return pfns;
    }

    /**
     * Whether a step with footprint f may change unit r without saying it writes r: a write of
     * HOST_ALLOC alone may fill missing entries of HOST_PFNS (insert-if-absent).
     */
    static boolean mayFill(Unit r, Footprint f) {
        return r.bits() == Resource.HOST_PFNS.bit() && (f.writes() & Resource.HOST_ALLOC.bit()) != 0;
    }

    /** Whether n's HOST_PFNS is s's with only missing entries filled: a reader of a present entry cannot tell. */
    static boolean onlyFilled(VmState s, VmState n) {
        long[] before = hostPfns(s);
        long[] after = hostPfns(n);
        for (int i = 0; i < before.length; i++) if (before[i] != 0 && before[i] != after[i]) return false;
        return Arrays.equals(s.unmappedPfns, n.unmappedPfns) && Arrays.equals(s.hvaUnmapped, n.hvaUnmapped);
    }

    /** A vCPU's roots (root_mmu's and guest_mmu's), request and SMM bits. */
    private static List<Object> rootOf(VmState s, int v) {
        return List.of(s.vcpuRoots[v], s.vcpuNestedRoots[v], s.freeObsoleteRootsRequests >> v & 1, s.smmVcpus >> v & 1);
    }

    /**
     * The obsolete roots someone still holds a reference to (an invalidated TDP root; a legacy root,
     * mmu shadow's or the L2 guest's, invalid or of an old mmu_valid_gen): is_obsolete_root() of a
     * vCPU's root reads this (a root id can name a new root once the old one is freed).
     */
    private static List<Integer> heldInvalidRoots(VmState s) {
        List<Integer> l = new ArrayList<>();
        for (int id = 0; id < s.spCapacity(); id++) {
            ShadowPage sp = s.sp(id);
            if (sp != null && sp.parent < 0 && sp.rootCount > 0 && (sp.invalid || !sp.tdp && sp.gen != s.mmuValidGen)) l.add(id);
        }
        return l;
    }

    /**
     * Page tables: the structure with the W/A/D bits masked out; or only those bits, of the SPTEs
     * that have some (allocating or freeing an empty table changes no bit).
     */
    private static List<Object> tables(VmState s, boolean accessBits) {
        List<Object> l = new ArrayList<>();
        if (!accessBits) {
            l.add(List.of(s.root, s.nestedRoot, s.smmRoot));
        }
        for (int id = 0; id < s.spCapacity(); id++) {
            ShadowPage sp = s.sp(id);
            if (sp == null) {
                if (!accessBits) l.add(null);
                continue;
            }
            if (!accessBits) {
                l.add(List.of(sp.level, sp.gfn, sp.tdp, sp.smm, sp.invalid, sp.status, sp.rootCount, sp.gen, sp.parent,
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
