package dev.mmu.bench;

import dev.mmu.interp.run.ScenarioLoader;
import dev.mmu.runtime.explore.ExploreOptions;
import dev.mmu.runtime.explore.ExploreResult;
import dev.mmu.runtime.explore.Explorer;
import dev.mmu.runtime.explore.ForwardingSystem;
import dev.mmu.runtime.model.PscEntry;
import dev.mmu.runtime.model.ShadowPage;
import dev.mmu.runtime.model.Spte;
import dev.mmu.runtime.model.StateWriter;
import dev.mmu.runtime.model.ThreadState;
import dev.mmu.runtime.model.TlbEntry;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.Host;
import dev.mmu.runtime.paths.LiveLocals;
import dev.mmu.runtime.paths.MmuSystem;
import dev.mmu.runtime.paths.Program;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Which parts of the state multiply the states: for every distinct state the plain search keys
 * (the scenario's own symmetry; no partial-order reduction, as the default check's BFS probe), the
 * states left once a component is projected out of the key, a component at a time, then the pairs
 * and groups asked for. A component whose projection leaves as many states is a function of the
 * rest: leaving it out of the key gains nothing. Same live locals and unread stats as the key.
 * Usage: StateCensus FILE [A,B,C (their pairs)] [GROUP=A,B,C ...]; bench/census.sh runs it.
 */
public final class StateCensus {
    /** The state's components; a component named in {@link #parent} is a part of its parent. */
    static final List<String> COMPONENTS = List.of(
            "page_tables", "spte_values", "spte_ad", "sp_meta", "sp_ids", "roots", "nx_lists",
            "tlb", "tlb_flags", "tlb_finished", "psc", "host", "mmu_lock_holders", "mmu_lock_queue",
            "mmu_lock_queue_order", "mutexes", "srcu_readers", "rcu_readers", "rcu_pending", "mmu_invalidate",
            "stats_kept", "metrics", "violations", "dirty_slots_globals", "invalid_lists",
            "kthread", "kthread_pc", "kthread_locals", "vcpu_threads", "vcpu_pcs", "vcpu_locals");

    static String parent(String c) {
        return switch (c) {
            case "spte_values", "spte_ad", "sp_meta", "sp_ids" -> "page_tables";
            case "tlb_flags", "tlb_finished" -> "tlb";
            case "mmu_lock_queue_order" -> "mmu_lock_queue";
            case "kthread_pc", "kthread_locals" -> "kthread";
            case "vcpu_pcs", "vcpu_locals" -> "vcpu_threads";
            default -> c.startsWith("local:") ? "vcpu_locals" : null;
        };
    }

    private final long unreadStats;
    private final BitSet[][] live;
    private final int[] vcpuOf;
    private final int[] threadOfVcpu;
    private final int[] end;
    private final List<String> vcpuLocalNames;
    private final List<String> labels = new ArrayList<>();
    private final List<Set<String>> projections = new ArrayList<>();
    private final LongSet states = new LongSet();
    private final LongSet[] left;
    private final LongSet[] values;
    /** While encoding: the components left out, or (only != null) the one component kept. */
    private Set<String> skip = Set.of();
    private String only;

    StateCensus(Program p, List<String> pairs, List<List<String>> groups) {
        unreadStats = p.unreadStatsMask();
        live = LiveLocals.of(p);
        int n = p.threads().size();
        vcpuOf = new int[n];
        end = new int[n];
        threadOfVcpu = new int[p.config().vcpus()];
        Arrays.fill(threadOfVcpu, -1);
        List<String> names = List.of();
        for (int t = 0; t < n; t++) {
            vcpuOf[t] = p.threads().get(t).vcpu();
            end[t] = p.threads().get(t).ops().length;
            if (vcpuOf[t] >= 0) {
                threadOfVcpu[vcpuOf[t]] = t;
                names = p.threads().get(t).localNames();
            }
        }
        vcpuLocalNames = names;
        for (String c : COMPONENTS) add(c, Set.of(c));
        for (String name : new LinkedHashSet<>(vcpuLocalNames)) add("vcpu local " + name, Set.of("local:" + name));
        for (int i = 0; i < pairs.size(); i++) {
            for (int j = i + 1; j < pairs.size(); j++) add(pairs.get(i) + "+" + pairs.get(j), Set.of(pairs.get(i), pairs.get(j)));
        }
        if (pairs.size() > 2) add(String.join("+", pairs), Set.copyOf(pairs));
        for (List<String> g : groups) add("group " + String.join("+", g), Set.copyOf(g));
        left = new LongSet[projections.size()];
        for (int i = 0; i < left.length; i++) left[i] = new LongSet();
        values = new LongSet[COMPONENTS.size()];
        for (int i = 0; i < values.length; i++) values[i] = new LongSet();
    }

    private void add(String label, Set<String> projection) {
        for (String c : projection) {
            if (!COMPONENTS.contains(c) && !c.startsWith("local:")) throw new IllegalArgumentException("no component " + c + "; " + COMPONENTS);
        }
        labels.add(label);
        projections.add(projection);
    }

    /** A state the search keyed: counted once, with every projection of it. */
    void offer(VmState s) {
        skip = Set.of();
        if (!states.add(hash(s))) return;
        for (int i = 0; i < projections.size(); i++) {
            skip = projections.get(i);
            left[i].add(hash(s));
        }
        skip = Set.of();
        for (int i = 0; i < COMPONENTS.size(); i++) {
            only = COMPONENTS.get(i);
            values[i].add(hash(s));
        }
        only = null;
    }

    /** Whether component c is written: not left out (nor its parent), or the one kept, its parts or its parent. */
    private boolean keep(String c) {
        if (only != null) return only.equals(c) || only.equals(parent(c)) || c.equals(parent(only));
        for (String x = c; x != null; x = parent(x)) {
            if (skip.contains(x)) return false;
        }
        return true;
    }

    private long hash(VmState s) {
        StateWriter w = new StateWriter();
        encode(s, w);
        byte[] b = w.toBytes();
        long h = 0x9E3779B97F4A7C15L;
        long g = 0xC2B2AE3D27D4EB4FL;
        for (byte x : b) {
            h = (h ^ (x & 0xff)) * 0x100000001B3L;
            g = Long.rotateLeft(g ^ (x & 0xff), 11) * 0x9E3779B97F4A7C15L;
        }
        return (h ^ (h >>> 29)) * 0xBF58476D1CE4E5B9L ^ g;
    }

    /** VmState#encode's fields, each written only where its component is kept. */
    private void encode(VmState s, StateWriter w) {
        encodePageTables(s, w);
        if (keep("roots")) {
            w.value(s.root).value(s.nestedRoot).value(s.smmRoot).value(s.smmVcpus).values(s.vcpuRoots).values(s.vcpuNestedRoots)
                    .value(s.freeObsoleteRootsRequests).value(s.mmuValidGen).values(s.invalidRoots).values(s.tdpMmuRoots);
        }
        if (keep("nx_lists")) {
            w.values(s.lpageDisallowed).values(s.tdpMmuNxHugePages).value(s.shadowMmuNxNrPages).value(s.tdpMmuNxNrPages);
        }
        if (keep("tlb")) {
            boolean entries = only == null || !only.equals("tlb_flags") && !only.equals("tlb_finished");
            for (int v = 0; v < s.tlb.length; v++) {
                int t = threadOfVcpu[v];
                boolean finished = t >= 0 && s.threads[t].pc >= end[t]; // no access of its own reads it again
                if (only == null ? !keep(finished ? "tlb_finished" : "tlb") : "tlb_finished".equals(only) && !finished) continue;
                w.value(s.tlb[v].length);
                for (TlbEntry e : s.tlb[v]) {
                    if (entries) w.value(e.gfn()).value(e.level()).value(e.pfn());
                    if (keep("tlb_flags")) w.flag(e.writable()).flag(e.exec()).flag(e.nested()).flag(e.dirty());
                }
            }
        }
        if (keep("psc")) {
            for (PscEntry[] entries : s.psc) {
                w.value(entries.length);
                for (PscEntry e : entries) w.value(e.regionGfn()).value(e.spId()).value(e.spGfn()).flag(e.nested());
            }
        }
        if (keep("host")) {
            int pages = Host.backingPages(s.config);
            for (int i = 0; i < pages; i++) w.value(s.hostPfn(i));
            w.deltas(s.freedPfns).deltas(s.unmappedPfns).deltas(s.hvaUnmapped).deltas(s.pfnOwners).value(s.nextPfn);
        }
        if (keep("mmu_lock_holders")) w.value(s.mmuWriter).value(s.mmuReaders);
        if (keep("mmu_lock_queue")) {
            int[] q = s.mmuQueue;
            if (!keep("mmu_lock_queue_order")) {
                q = q.clone();
                Arrays.sort(q); // who waits, not in which order
            }
            w.values(q);
        }
        if (keep("mutexes")) w.values(s.mutexOwner);
        if (keep("srcu_readers")) w.value(s.srcuReaders);
        if (keep("rcu_readers")) w.value(s.rcuReaders);
        if (keep("rcu_pending")) w.values(s.rcuPending);
        if (keep("mmu_invalidate")) {
            w.value(s.mmuInvalidateSeq).value(s.mmuInvalidateInProgress).value(s.mmuInvalidateRangeStart)
                    .value(s.mmuInvalidateRangeEnd).value(s.mnActiveInvalidateCount);
        }
        if (keep("stats_kept")) {
            for (int i = 0; i < s.stats.length; i++) w.value((unreadStats & (1L << i)) != 0 ? 0 : s.stats[i]);
        }
        if (keep("metrics")) w.value(s.commitBatch).value(s.lockHoldWork);
        if (keep("violations")) w.value(s.violations).flag(s.assertFailed);
        if (keep("dirty_slots_globals")) {
            for (int slot = 0; slot < s.config.memslots().size(); slot++) {
                for (int k = 0; k < s.dirtyWords(slot); k++) w.value(s.dirtyWord(slot, k));
            }
            w.value(s.slotLogging).value(s.slotInvalid).value(s.slotDeleted).value(s.dirtyLogBusy).values(s.slotBase)
                    .values(s.goneRanges).values(s.globals);
        }
        for (int t = 0; t < s.threads.length; t++) encodeThread(s, w, t);
    }

    private void encodePageTables(VmState s, StateWriter w) {
        if (!keep("page_tables")) return;
        boolean sptes = keep("spte_values");
        boolean ad = keep("spte_ad");
        boolean meta = keep("sp_meta");
        boolean ids = keep("sp_ids");
        List<byte[]> pages = new ArrayList<>();
        for (int id = 0; id < s.spCapacity(); id++) {
            ShadowPage sp = s.sp(id);
            if (ids) w.flag(sp != null);
            if (sp == null) continue;
            StateWriter p = ids ? w : StateWriter.detached();
            if (ids) p.value(sp.id).value(sp.parent);
            if (meta) {
                p.value(sp.level).value(sp.gfn).flag(sp.tdp).flag(sp.invalid).flag(sp.nxHugePageDisallowed).value(sp.status)
                        .value(sp.rootCount).value(sp.gen).value(sp.parentIndex);
            }
            if (sptes || ad) {
                for (int i : sp.usedIndexes()) {
                    long v = sp.spte(i);
                    if (!sptes) v &= Spte.ACCESSED | Spte.DIRTY;
                    else if (!ad) v &= ~(Spte.ACCESSED | Spte.DIRTY);
                    if (!ids && Spte.present(v) && !Spte.leaf(v)) v &= 0xff; // the child's id left out too
                    p.value(i).value(v);
                }
                p.value(-1);
            }
            if (!ids) pages.add(p.toBytes());
        }
        pages.sort(Arrays::compare); // without ids: the page tables as a multiset
        for (byte[] b : pages) w.raw(b);
    }

    private void encodeThread(VmState s, StateWriter w, int t) {
        boolean vcpu = vcpuOf[t] >= 0;
        if (!keep(vcpu ? "vcpu_threads" : "kthread") && !keep("invalid_lists") && !keep("metrics")) return;
        ThreadState ts = s.threads[t];
        if (keep(vcpu ? "vcpu_pcs" : "kthread_pc")) w.value(ts.pc);
        if (keep(vcpu ? "vcpu_locals" : "kthread_locals")) {
            BitSet l = live == null ? null : live[t][ts.pc];
            for (int j = 0; j < ts.locals.length; j++) {
                boolean kept = l == null || l.get(j);
                if (vcpu && only == null && !keep("local:" + vcpuLocalNames.get(j))) kept = false;
                w.value(kept ? ts.locals[j] : 0);
            }
        }
        if (keep("invalid_lists")) w.values(ts.invalidList);
        if (keep("metrics")) w.value(ts.holdWork);
    }

    void report(ExploreResult<VmState> result) {
        long n = states.size;
        System.out.printf("%,d states, %,d transitions (plain search, the scenario's symmetry, no partial-order reduction);"
                + " %,d distinct for the census%n", result.stats().statesStored(), result.stats().transitions(), n);
        System.out.printf("| projected out | states left | x | distinct values |%n|---|---:|---:|---:|%n");
        for (int i = 0; i < projections.size(); i++) {
            long m = left[i].size;
            String vals = i < COMPONENTS.size() ? String.format("%,d", values[i].size) : "";
            System.out.printf("| %s | %,d | %.3f | %s |%n", labels.get(i), m, (double) n / m, vals);
        }
        if (n != result.stats().statesStored()) {
            throw new IllegalStateException("the census's own key tells " + n + " states apart, the search "
                    + result.stats().statesStored() + ": it no longer mirrors VmState#encode");
        }
    }

    /** Open addressing set of 64-bit hashes (0 kept apart). */
    static final class LongSet {
        private long[] table = new long[1 << 12];
        long size;
        private boolean zero;

        boolean add(long v) {
            if (v == 0) {
                if (zero) return false;
                zero = true;
                size++;
                return true;
            }
            int mask = table.length - 1;
            int i = (int) (v ^ (v >>> 32)) * 0x9E3779B9 & mask;
            while (table[i] != 0) {
                if (table[i] == v) return false;
                i = (i + 1) & mask;
            }
            table[i] = v;
            if (++size * 4 > table.length * 3L) grow();
            return true;
        }

        private void grow() {
            long[] old = table;
            table = new long[old.length * 2];
            int mask = table.length - 1;
            for (long v : old) {
                if (v == 0) continue;
                int i = (int) (v ^ (v >>> 32)) * 0x9E3779B9 & mask;
                while (table[i] != 0) i = (i + 1) & mask;
                table[i] = v;
            }
        }
    }

    public static void main(String[] args) throws Exception {
        var scenario = ScenarioLoader.load(Path.of(args[0])).scenarios().get(0);
        List<String> pairs = args.length > 1 && !args[1].isEmpty() ? List.of(args[1].split(",")) : List.of();
        List<List<String>> groups = new ArrayList<>();
        for (int i = 2; i < args.length; i++) groups.add(List.of(args[i].split(",")));
        StateCensus census = new StateCensus(scenario.program(), pairs, groups);
        var counted = new ForwardingSystem<VmState>(new MmuSystem(scenario.program())) {
            @Override
            public Object key(VmState s) { // the canonical state, under symmetry
                census.offer(s);
                return inner.key(s);
            }
        };
        ExploreOptions options = scenario.options().toBuilder().strategy(ExploreOptions.Strategy.DFS)
                .partialOrder(false).workers(1).shortestCounterexample(false).portfolioFallback(false)
                .maxStates(Long.MAX_VALUE).build();
        census.report(Explorer.explore(counted, List.of(), options));
    }
}
