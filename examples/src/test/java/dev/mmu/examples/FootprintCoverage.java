package dev.mmu.examples;

import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.Footprint;
import dev.mmu.runtime.paths.MmuSystem;
import dev.mmu.runtime.paths.Op;
import dev.mmu.runtime.paths.Ops;
import dev.mmu.runtime.paths.Resource;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What {@link FootprintsTest}'s checks would catch of a footprint that lies by one resource, per
 * kind of op (its class; a primitive call: the primitive): on each step, for each resource the op
 * declares it writes (reads, and does not write) and no step caught yet, whether the same checks
 * with that resource left out of the op's footprint would fail there. A lie is caught where the op
 * changes what it says it writes, and where changing what it says it reads changes what it does
 * (a perturbation of it, {@link FootprintsTest}'s unread check; or two states that differ only
 * there, its read check). An op reached only where it changes nothing hides a write lie.
 *
 * <p>The lie is told in the op's narrowest footprint ({@link Op#footprint(VmState, int)}), as
 * {@link FootprintChecksFireTest}'s lying ops tell it; a primitive call's arguments keep theirs.
 * A read of a resource the op also writes is not asked for: the write already conflicts with
 * every other access of it, and the read check counts a write as a read (an update).
 */
final class FootprintCoverage {
    /** Per kind: the resources it declares it writes, and those whose lie some step caught. */
    final Map<String, Set<Resource>> writes = new TreeMap<>();
    final Map<String, Set<Resource>> writesCaught = new TreeMap<>();
    /** Per kind: the resources it declares it reads and does not write, and those whose lie some step caught. */
    final Map<String, Set<Resource>> reads = new TreeMap<>();
    final Map<String, Set<Resource>> readsCaught = new TreeMap<>();
    /** The kinds stepped, and the classes of the ops stepped (an atomic block's and a call's own). */
    final Set<String> stepped = new TreeSet<>();
    final Set<String> classes = new TreeSet<>();

    /** Per program: a lie's key of the read check (hashed) to the effect it saw first (new values, what changed). */
    private final Map<Long, long[]> lieEffects = new HashMap<>();

    void startProgram() {
        lieEffects.clear();
    }

    /** The kind of an op: its class as Outer.Inner, a primitive call's primitive, an atomic block's op's. */
    static String kind(Op op) {
        if (op instanceof Ops.Atomic a) return kind(a.inner());
        if (op instanceof Ops.Call c) return "primitive " + c.primitive().name();
        if (op instanceof Ops.VcpuCall c) return "primitive " + c.primitive().name();
        return className(op.getClass());
    }

    static String className(Class<?> c) {
        String n = c.getName();
        return n.substring(n.lastIndexOf('.') + 1).replace('$', '.');
    }

    /** The resources of a footprint's bits, HOST and STATS as their parts: what a lie by one leaves out. */
    static Set<Resource> groups(long bits) {
        EnumSet<Resource> r = Resource.in(bits);
        if (r.remove(Resource.HOST)) r.addAll(EnumSet.of(Resource.HOST_PFNS, Resource.HOST_ALLOC, Resource.FREED_PFNS));
        if (r.remove(Resource.STATS)) {
            r.addAll(EnumSet.of(Resource.STAT_PAGES, Resource.STAT_NX_LPAGE_SPLITS, Resource.STAT_REMOTE_TLB_FLUSH,
                    Resource.STAT_MMU_SHADOW_ZAPPED));
        }
        return r;
    }

    /** What the op itself declares: a primitive call's primitive (not its arguments'), an atomic block's op's. */
    private static Footprint declared(Op op, VmState s) {
        Op o = op instanceof Ops.Atomic a ? a.inner() : op;
        if (o instanceof Ops.Call c) return c.primitive().footprint();
        if (o instanceof Ops.VcpuCall c) return c.primitive().footprint(c.vcpu());
        return o.footprint(s.config).union(o.footprint());
    }

    /** f with r's bits left out of its reads (or writes): the lie. */
    private static Footprint drop(Footprint f, Resource r, boolean write) {
        long b = r.bit();
        return write ? new Footprint(f.reads(), f.writes() & ~b, f.vcpus(), f.heldReads(), f.heldWrites() & ~b)
                : new Footprint(f.reads() & ~b, f.writes(), f.vcpus(), f.heldReads() & ~b, f.heldWrites());
    }

    /** One of op's footprints, told with the lie: a primitive call's arguments keep what they read. */
    private static Footprint lie(Op op, Footprint f, Resource r, boolean write) {
        Op o = op instanceof Ops.Atomic a ? a.inner() : op;
        Footprint l = drop(f, r, write);
        if (o instanceof Ops.Call c) l = l.union(Footprint.of(c.args()));
        if (o instanceof Ops.VcpuCall c) l = l.union(Footprint.of(c.args()));
        return l;
    }

    /**
     * The step of thread t at pc from s (choice c) to n, whose honest footprint f passed every
     * check: the op's lies, and those of the atomic-block ops whose footprints the step takes
     * (which count as stepped: their footprints were checked).
     */
    void step(MmuSystem system, Op[] ops, int pc, VmState s, VmState n, int t, int c, Footprint f, String keyPrefix) {
        List<Integer> sites = new ArrayList<>();
        sites.add(pc);
        sites.addAll(FootprintsTest.atomicFollowers(ops, pc));
        Object[] before = null;
        Object[] after = null;
        List<ResourceView.Unit> units = null;
        for (int at : sites) {
            Op op = ops[at];
            String kind = kind(op);
            stepped.add(kind);
            classes.add(className(op.getClass()));
            if (op instanceof Ops.Atomic a) classes.add(className(a.inner().getClass()));
            Footprint d = declared(op, s);
            Set<Resource> w = writes.computeIfAbsent(kind, k -> new TreeSet<>());
            Set<Resource> r = reads.computeIfAbsent(kind, k -> new TreeSet<>());
            Set<Resource> wd = groups(d.writes());
            w.addAll(wd);
            for (Resource x : groups(d.reads())) if (!wd.contains(x)) r.add(x);
            Set<Resource> wc = writesCaught.computeIfAbsent(kind, k -> new TreeSet<>());
            Set<Resource> rc = readsCaught.computeIfAbsent(kind, k -> new TreeSet<>());
            List<Resource> askW = new ArrayList<>();
            for (Resource x : wd) if (!wc.contains(x)) askW.add(x);
            List<Resource> askR = new ArrayList<>();
            for (Resource x : r) if (!rc.contains(x) && !wd.contains(x)) askR.add(x);
            if (askW.isEmpty() && askR.isEmpty()) continue;
            if (units == null) {
                units = ResourceView.units(s);
                before = new Object[units.size()];
                after = new Object[units.size()];
                for (int i = 0; i < units.size(); i++) {
                    before[i] = units.get(i).view().apply(s);
                    after[i] = units.get(i).view().apply(n);
                }
            }
            for (Resource x : askW) {
                if (writeCaught(units, before, after, s, n, told(system, ops, pc, at, s, n, t, x, true))) wc.add(x);
            }
            if (askR.isEmpty()) continue;
            // As checkReads: the new values, and what changed (FootprintsTest#written); caught if both differ
            long effect = fnv(FootprintsTest.effectPrefix(n, t));
            long delta = effect;
            for (int i = 0; i < units.size(); i++) {
                if ((f.writes() & units.get(i).bits()) != 0 || ResourceView.mayFill(units.get(i), f)) {
                    effect = mix(effect, fnv(units.get(i).name() + "=" + after[i]));
                    delta = mix(delta, fnv(units.get(i).name() + "=" + (after[i].equals(before[i]) ? "unchanged" : after[i])));
                }
            }
            long prefix = mix(fnv(keyPrefix), at);
            for (Resource x : askR) {
                Footprint fl = told(system, ops, pc, at, s, n, t, x, false);
                if (unreadCaught(system, ops[pc], s, n, t, c, f, fl, at == pc ? x : null)) {
                    rc.add(x);
                    continue;
                }
                long key = mix(prefix, x.ordinal() + 1);
                for (int i = 0; i < units.size(); i++) {
                    if ((fl.reads() & units.get(i).bits()) != 0) key = mix(key, fnv(units.get(i).name() + "=" + before[i]));
                }
                long[] seen = lieEffects.putIfAbsent(key, new long[] {effect, delta});
                if (seen != null && seen[0] != effect && seen[1] != delta) rc.add(x);
            }
        }
    }

    /** The step's footprint with the op at `at` lying by x: the narrowest for the step's own op, the static one for an atomic-block op. */
    private static Footprint told(MmuSystem system, Op[] ops, int pc, int at, VmState s, VmState n, int t, Resource x, boolean write) {
        Footprint own = ops[pc].footprint(s, t);
        if (at == pc) return FootprintsTest.stepFootprint(system, ops, pc, s, n, t, lie(ops[pc], own, x, write));
        return FootprintsTest.stepFootprint(system, ops, pc, s, n, t, own, (q, g) -> q == at ? lie(ops[q], g, x, write) : g);
    }

    /** Whether the write check fails with fl: a unit it does not say it writes changed. */
    private static boolean writeCaught(List<ResourceView.Unit> units, Object[] before, Object[] after, VmState s,
                                       VmState n, Footprint fl) {
        for (int i = 0; i < units.size(); i++) {
            ResourceView.Unit u = units.get(i);
            if ((fl.writes() & u.bits()) != 0) continue;
            if (ResourceView.mayFill(u, fl)) {
                if (!ResourceView.onlyFilled(s, n)) return true;
            } else if (!before[i].equals(after[i])) {
                return true;
            }
        }
        return false;
    }

    /** Whether the unread check fails with fl (r left out of the reads): a unit it now changes changes the step. */
    private static boolean unreadCaught(MmuSystem system, Op op, VmState s, VmState n, int t, int c, Footprint f,
                                        Footprint fl, Resource r) {
        // The lie of an atomic-block op (r null) leaves the step's own op's narrowest footprint as it is
        java.util.function.UnaryOperator<Footprint> told = g -> r == null ? g : lie(op, g, r, false);
        Set<String> honest = new HashSet<>();
        for (Perturbation p : Perturbation.untouched(s, t, f.reads(), f.writes())) honest.add(p.name());
        List<Perturbation> ps = Perturbation.untouched(s, t, fl.reads(), fl.writes());
        if (ps.stream().allMatch(p -> honest.contains(p.name()))) return false;
        Footprint narrow = told.apply(op.footprint(s, t));
        if (!narrow.equals(told.apply(op.footprint(s.config).union(op.footprint())))) {
            ps.removeIf(p -> {
                VmState x = s.copy();
                p.apply().accept(x);
                return !told.apply(op.footprint(x, t)).equals(narrow);
            });
        }
        return !ps.isEmpty() && !FootprintsTest.agrees(system, op, s, n, t, c, ps);
    }

    /** The lies by one resource no step caught: "kind writes R", "kind reads R". */
    List<String> uncaught() {
        List<String> l = new ArrayList<>();
        writes.forEach((k, rs) -> {
            for (Resource x : rs) if (!writesCaught.get(k).contains(x)) l.add(k + " writes " + x);
        });
        reads.forEach((k, rs) -> {
            for (Resource x : rs) if (!readsCaught.get(k).contains(x)) l.add(k + " reads " + x);
        });
        return l;
    }

    int declaredLies() {
        return writes.values().stream().mapToInt(Set::size).sum() + reads.values().stream().mapToInt(Set::size).sum();
    }

    private static long fnv(String text) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < text.length(); i++) {
            h ^= text.charAt(i);
            h *= 0x100000001b3L;
        }
        return h;
    }

    private static long mix(long h, long v) {
        h ^= v + 0x9e3779b97f4a7c15L + (h << 6) + (h >>> 2);
        return h * 0xbf58476d1ce4e5b9L;
    }
}
