package dev.mmu.examples;

import dev.mmu.runtime.model.ShadowPage;
import dev.mmu.runtime.model.Spte;
import dev.mmu.runtime.model.Stat;
import dev.mmu.runtime.model.TlbEntry;
import dev.mmu.runtime.model.PscEntry;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.Rcu;
import dev.mmu.runtime.paths.Resource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.LongStream;

/**
 * A change of one unit of a state ({@link ResourceView#units}) that keeps the rest of the state as
 * it was: a step that neither reads nor writes the unit must do the same with it changed, and
 * leave it changed ({@link FootprintsTest}). The reachable states seldom differ in one unit alone
 * where an op runs (a memslot moved under an rmap walk), so the check of the reads on them alone
 * misses a footprint that leaves such a unit out.
 *
 * <p>Other threads' locks, srcu and RCU read sides change too, each only where no grace period can
 * end for it ({@link #locks}); the host frees what it unmapped; the call_rcu queue and the other
 * threads' invalid_lists change order and get an entry that names no table; the NX lists change
 * order and nr_pages. Not changed: the running thread's own locks, srcu, RCU and invalid_list (its
 * own, as its pc: its end reads them), the page tables' structure (a change there needs the TLBs,
 * rmaps, NX lists, page stats and roots' counts to agree; only the A bits, each page's
 * nx_huge_page_disallowed and the leaves' exec and MMU-writable bits flip), and the host allocator
 * (not tried). Which root a vCPU is on changes by a swap of two vCPUs' roots ({@link #rootsSwapped}).
 */
record Perturbation(String name, long bits, Consumer<VmState> apply) {

    /** A table id and a pfn that name nothing: the model never has that many tables, the host allocator starts at 0x1000. */
    private static final int NO_TABLE = 1 << 20;
    private static final long NO_PFN = 1;

    /** Those of s's units that a step of thread t with these reads and writes leaves alone. */
    static List<Perturbation> untouched(VmState s, int t, long reads, long writes) {
        long touched = reads | writes;
        List<Perturbation> l = new ArrayList<>();
        for (Perturbation p : all(s, t)) {
            boolean ofTables = p.name.equals("SPTE_ACCESS") || p.name.equals("NX_LIST");
            // A step that writes the tables may make or drop a leaf or a table: the same ones would not change in n
            if ((touched & p.bits) == 0 && !(ofTables && (writes & Resource.SPTE.bit()) != 0)) l.add(p);
        }
        return l;
    }

    private static List<Perturbation> all(VmState s, int t) {
        List<Perturbation> l = new ArrayList<>();
        locks(s, t, l);
        host(s, l);
        queues(s, t, l);
        l.add(new Perturbation("MEMSLOTS", Resource.MEMSLOTS.bit(), x -> {
            int slots = x.slotBase.length;
            int all = (1 << slots) - 1;
            x.slotLogging ^= all;
            x.slotInvalid ^= all;
            x.dirtyLogBusy ^= all;
            x.slotBase = Arrays.stream(x.slotBase).map(b -> b + 512).toArray(); // 2M aligned still
        }));
        // Every struct of every slot freed or not as it was not (the freed mask, Memslots' bits 8-11):
        // a fault's read of fault->slot then goes the other way.
        l.add(new Perturbation("MEMSLOT_STRUCTS", Resource.MEMSLOT_STRUCTS.bit(), x -> {
            int[] a = Arrays.copyOf(x.slotStructs, x.slotBase.length);
            for (int p = 0; p < a.length; p++) a[p] ^= 0xf << 8;
            x.slotStructs = a; // no entry is 0 now: the array is as Memslots keeps it
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
        // The same pages in the other order, and nr_pages off by one (v6.18 keeps it apart from the lists' lengths)
        l.add(new Perturbation("NX lists' order and counts", Resource.NX_LIST.bit(), x -> {
            x.lpageDisallowed = reversed(x.lpageDisallowed);
            x.tdpMmuNxHugePages = reversed(x.tdpMmuNxHugePages);
            x.shadowMmuNxNrPages += 1;
            x.tdpMmuNxNrPages += 1;
        }));
        for (int v = 0; v < s.tlb.length; v++) {
            int vcpu = v;
            if (s.tlb[v].length == 0 && s.psc[v].length == 0) continue; // emptying it changes nothing
            l.add(new Perturbation("TLB of vCPU " + v, Resource.tlbOf(v), x -> {
                x.tlb[vcpu] = new TlbEntry[0];
                x.psc[vcpu] = new PscEntry[0];
                x.parkedTlbRoots[vcpu] = -1;
                x.parkedNestedTlbRoots[vcpu] = -1;
            }));
        }
        for (int v = 0; v < s.vcpuRoots.length; v++) {
            long bit = 1L << v;
            l.add(new Perturbation("root of vCPU " + v, Resource.vcpuRootsOf(v), x -> {
                x.freeObsoleteRootsRequests ^= bit;
                x.smmVcpus ^= bit;
            }));
        }
        // The leaves' bits that are neither access bits nor the structure: what a leaf grants
        l.add(new Perturbation("leaves' MMU-writable", Resource.SPTE.bit(), x -> leaves(x, Spte.MMU_WRITABLE)));
        l.add(new Perturbation("leaves' exec", Resource.SPTE.bit(), x -> leaves(x, Spte.EXEC)));
        rootsSwapped(s, l);
        return l;
    }

    /**
     * Two vCPUs that run on different roots trade them, with their requests, SMM bits and TLBs: every
     * root keeps as many references (and every other unit its value), but a vCPU's fault, fast-path
     * walk or root check now goes through the other's root (which root a vCPU is on changes only by
     * its own entry or a request: no two reachable states differ there alone where it runs).
     */
    private static void rootsSwapped(VmState s, List<Perturbation> l) {
        for (int v = 0; v < s.vcpuRoots.length; v++) {
            for (int w = v + 1; w < s.vcpuRoots.length; w++) {
                if (s.vcpuRoots[v] == s.vcpuRoots[w] && s.vcpuNestedRoots[v] == s.vcpuNestedRoots[w]) continue;
                int a = v;
                int b = w;
                long bits = Resource.vcpuRootsOf(v) | Resource.vcpuRootsOf(w) | Resource.tlbOf(v) | Resource.tlbOf(w);
                l.add(new Perturbation("roots of vCPUs " + v + " and " + w + " swapped", bits, x -> {
                    x.vcpuRoots = x.vcpuRoots.clone();
                    x.vcpuNestedRoots = x.vcpuNestedRoots.clone();
                    swap(x.vcpuRoots, a, b);
                    swap(x.vcpuNestedRoots, a, b);
                    x.freeObsoleteRootsRequests = swapBits(x.freeObsoleteRootsRequests, a, b);
                    x.smmVcpus = swapBits(x.smmVcpus, a, b);
                    x.tlb = x.tlb.clone();
                    x.psc = x.psc.clone();
                    TlbEntry[] t = x.tlb[a];
                    x.tlb[a] = x.tlb[b];
                    x.tlb[b] = t;
                    PscEntry[] c = x.psc[a];
                    x.psc[a] = x.psc[b];
                    x.psc[b] = c;
                    x.parkedTlbRoots = x.parkedTlbRoots.clone();
                    x.parkedNestedTlbRoots = x.parkedNestedTlbRoots.clone();
                    swap(x.parkedTlbRoots, a, b);
                    swap(x.parkedNestedTlbRoots, a, b);
                }));
            }
        }
    }

    /** Every present leaf with bit flipped (MMU-writable only where not writable: a writable leaf is MMU-writable). */
    private static void leaves(VmState x, long bit) {
        for (int id = 0; id < x.spCapacity(); id++) {
            ShadowPage sp = x.sp(id);
            if (sp == null) continue;
            for (int i : sp.usedIndexes()) {
                long v = sp.spte(i);
                if (!Spte.present(v) || !Spte.leaf(v) || bit == Spte.MMU_WRITABLE && Spte.writable(v)) continue;
                x.setSpte(id, i, v ^ bit);
            }
        }
    }

    private static void swap(int[] a, int i, int j) {
        int t = a[i];
        a[i] = a[j];
        a[j] = t;
    }

    private static long swapBits(long m, int i, int j) {
        long bi = m >> i & 1;
        long bj = m >> j & 1;
        return bi == bj ? m : m ^ (1L << i | 1L << j);
    }

    /**
     * Other threads' locks and srcu and RCU read sides (a thread's own are its own, as its pc: its
     * end reads them, MmuSystem.FINISH). Each is changed where no grace period can end for it: one
     * ends at the end of every step where no thread holds one off and tables are pending, so a
     * change may add a thread that holds one off, and take one away only where none is pending (a
     * step that may end one reads every thread's RCU unit, Rcu#GRACE_PERIOD).
     */
    private static void locks(VmState s, int t, List<Perturbation> l) {
        boolean nonePending = s.rcuPending.length == 0;
        int other = -1;
        staleMark(t, l); // the running thread's own too: a swap of another thread sets it
        for (int u = 0; u < s.threads.length; u++) {
            if (u == t) continue;
            long bit = 1L << u;
            // Only synchronize_srcu(), lockdep and a swap's scan for held structs read another's srcu read side
            l.add(new Perturbation("srcu of thread " + u, Resource.srcuOf(u), x -> x.srcuReaders ^= bit));
            staleMark(u, l);
            boolean holds = Rcu.holdsOffGracePeriods(s, u);
            if (!holds || nonePending && (s.rcuReaders & bit) != 0) {
                l.add(new Perturbation("rcu of thread " + u, Resource.rcuOf(u), x -> x.rcuReaders ^= bit));
            }
            // Spinning for mmu_lock (queued last): preemption disabled, so it holds off grace periods too
            if (!holds && other < 0) {
                int waiter = u;
                l.add(new Perturbation("mmu_lock's queue", Resource.MMU_LOCK.bit() | Resource.rcuOf(u), x -> {
                    x.mmuQueue = Arrays.copyOf(x.mmuQueue, x.mmuQueue.length + 1);
                    x.mmuQueue[x.mmuQueue.length - 1] = waiter;
                }));
            }
            if (other < 0) other = u;
        }
        if (other < 0) return;
        // slots_lock (a mutex) and the two spinlocks: a free one taken by another thread, another's let go
        // (a spinlock's holder has preemption disabled: only where no table is pending)
        Resource[] mutexes = {Resource.SLOTS_LOCK, Resource.TDP_MMU_PAGES_LOCK, Resource.MMU_UNSYNC_PAGES_LOCK};
        for (int i = 0; i < mutexes.length; i++) {
            int lock = i;
            int owner = s.mutexOwner[i];
            if (owner == t || i > 0 && owner >= 0 && !nonePending) continue;
            int next = owner < 0 ? other : -1;
            long rcu = i == 0 ? 0 : Resource.rcuOf(owner < 0 ? other : owner);
            l.add(new Perturbation(mutexes[i].name(), mutexes[i].bit() | rcu, x -> x.mutexOwner[lock] = next));
        }
    }

    /**
     * Thread u's fault->slot with its STALE mark flipped (where it names a struct): part of u's srcu
     * unit, which a swap writes when it marks it (Memslots#OUTLIVE); a step that does not say it
     * reads u's srcu unit must not tell, as another thread's swap may set it at any time.
     */
    private static void staleMark(int u, List<Perturbation> l) {
        int slot = ResourceView.faultSlot(u);
        if (slot < 0) return;
        l.add(new Perturbation("fault->slot's mark of thread " + u, Resource.srcuOf(u), x -> {
            long[] locals = x.threadForWrite(u).locals;
            locals[slot] = dev.mmu.runtime.paths.Memslots.markFlipped(locals[slot]);
        }));
    }

    /**
     * The host frees every pfn an invalidation unmapped (host_free over them, as a host thread may
     * at any time) and a pfn it never handed out: no SPTE reached by a walk of the host's pages changes.
     */
    private static void host(VmState s, List<Perturbation> l) {
        boolean unmapped = s.unmappedPfns.length > 0;
        long bits = Resource.FREED_PFNS.bit() | (unmapped ? Resource.HOST_PFNS.bit() : 0);
        l.add(new Perturbation("host's freed pfns", bits, x -> {
            LongStream freed = LongStream.concat(Arrays.stream(x.freedPfns), LongStream.of(NO_PFN));
            if (unmapped) {
                freed = LongStream.concat(freed, Arrays.stream(x.unmappedPfns));
                x.unmappedPfns = new long[0];
            }
            x.freedPfns = freed.sorted().distinct().toArray();
        }));
    }

    /**
     * The call_rcu queue (where some thread holds off grace periods: tables are pending) and the
     * other threads' invalid_lists in the other order, with an entry that names no table: a grace
     * period frees the whole queue at once, kvm_mmu_commit_zap_page() the whole list, so only a count
     * or a search of them tells, and only a step that reads them (the thread's own list is its own,
     * as its locks).
     */
    private static void queues(VmState s, int t, List<Perturbation> l) {
        if (s.rcuPending.length > 0) {
            l.add(new Perturbation("RCU_PENDING", Resource.RCU_PENDING.bit(), x -> x.rcuPending = withNoTable(x.rcuPending)));
        }
        if (s.threads.length < 2) return;
        l.add(new Perturbation("INVALID_LIST", Resource.INVALID_LIST.bit(), x -> {
            for (int u = 0; u < x.threads.length; u++) {
                if (u != t) x.threadForWrite(u).invalidList = withNoTable(x.threads[u].invalidList);
            }
        }));
    }

    private static int[] withNoTable(int[] ids) {
        int[] r = Arrays.copyOf(reversed(ids), ids.length + 1);
        r[ids.length] = NO_TABLE;
        return r;
    }

    private static int[] reversed(int[] a) {
        int[] r = new int[a.length];
        for (int i = 0; i < a.length; i++) r[i] = a[a.length - 1 - i];
        return r;
    }
}
