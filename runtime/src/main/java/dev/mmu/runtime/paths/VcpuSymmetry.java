package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.StateWriter;
import dev.mmu.runtime.model.TlbEntry;
import dev.mmu.runtime.model.ThreadState;
import dev.mmu.runtime.model.VmState;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * vCPU symmetry: vCPU threads whose programs are equal except for the vCPU number are
 * interchangeable. A permutation of such threads also permutes their TLBs and every place that
 * names a thread (mmu_lock writer and readers, mutex owners, srcu and rcu readers). The canonical
 * state sorts each class of interchangeable vCPUs by what differs between them.
 *
 * <p>A vCPU that an op or an expectation names by number (its footprint's vCPUs: tlb(2, ..), a
 * kernel thread's `vcpu 2 read`) can be told apart from the others, so it is left out of every
 * class. A thread naming its own vCPU is what makes two threads interchangeable, not an exception.
 */
public final class VcpuSymmetry {
    /** Classes of at least two interchangeable thread ids, each ascending. */
    private final List<int[]> classes = new ArrayList<>();
    private final int[] vcpuOf;
    /** Live locals per thread and pc ({@link LiveLocals}), or null: every local counts. */
    private final java.util.BitSet[][] live;
    /** Why a vCPU with a twin was left out, for the user. */
    private final List<String> leftOut = new ArrayList<>();

    /**
     * @param live live locals per thread and pc, or null: a dead local (which the state key
     *             writes as 0) must not tell two twins apart, else they sort two ways
     */
    VcpuSymmetry(Program program, java.util.BitSet[][] live) {
        this.live = live;
        List<Program.ThreadProgram> threads = program.threads();
        vcpuOf = threads.stream().mapToInt(Program.ThreadProgram::vcpu).toArray();
        String[] namedBy = namedBy(program);
        boolean[] placed = new boolean[threads.size()];
        for (int a = 0; a < threads.size(); a++) {
            if (placed[a] || vcpuOf[a] < 0) continue;
            List<Integer> cls = new ArrayList<>(List.of(a));
            for (int b = a + 1; b < threads.size(); b++) {
                if (!placed[b] && vcpuOf[b] >= 0 && vcpuOf[b] != vcpuOf[a] && sameUpToVcpu(threads.get(a), threads.get(b))) {
                    cls.add(b);
                    placed[b] = true;
                }
            }
            if (cls.size() < 2) continue;
            List<Integer> kept = new ArrayList<>();
            for (int t : cls) {
                String why = vcpuOf[t] < 64 ? namedBy[vcpuOf[t]] : namedBy[64];
                if (why == null) kept.add(t);
                else leftOut.add("vCPU " + vcpuOf[t] + " (thread " + threads.get(t).name() + "): named by " + why);
            }
            if (kept.size() > 1) classes.add(kept.stream().mapToInt(Integer::intValue).toArray());
        }
    }

    /**
     * For each vCPU number (64: any larger one), what names it other than its own thread, or null:
     * the expectations, or an op of a thread.
     */
    private static String[] namedBy(Program program) {
        String[] why = new String[65];
        name(why, program.expectationVcpus(), "an expectation");
        for (Program.ThreadProgram t : program.threads()) {
            for (Op op : t.ops()) {
                long v = op.footprint().vcpus();
                if (t.vcpu() >= 0 && t.vcpu() < 64 && v != -1) v &= ~(1L << t.vcpu());
                name(why, v, "`" + op.describe() + "` in thread " + t.name());
            }
        }
        return why;
    }

    private static void name(String[] why, long vcpus, String by) {
        for (int v = 0; v < why.length; v++) {
            boolean named = vcpus == -1 || (v < 64 && (vcpus & (1L << v)) != 0);
            if (named && why[v] == null) why[v] = by;
        }
    }

    /**
     * What `symmetry vcpus` cannot do for a program, one line each: the vCPUs it leaves out and why,
     * or that no two vCPU threads are interchangeable at all. Empty when it applies in full.
     */
    public static List<String> limits(Program program) {
        VcpuSymmetry sym = new VcpuSymmetry(program, null);
        List<String> l = new ArrayList<>();
        for (String why : sym.leftOut) l.add("leaves out " + why);
        if (sym.trivial() && l.isEmpty()) l.add("has nothing to interchange: no two vCPU threads run the same program");
        return l;
    }

    boolean trivial() {
        return classes.isEmpty();
    }

    /**
     * Conservative: ops must be equal as values (records) or be the same guest access by another
     * vCPU; an op without value equality makes the threads distinct.
     *
     * <p>Up to the names of locals (alpha-equivalence): ops name a local by its slot, and the
     * compiler gives each declaration a fresh slot in source order whatever its name, so two
     * programs equal up to a consistent renaming have equal ops slot for slot; the bijection
     * between their names is the one between equal slots, which the state already keeps in step
     * (a permutation moves a thread's locals array whole). The names survive only in
     * {@link Program.ThreadProgram#localNames} and in the ops' trace texts, both left out here.
     * Locals used differently (`let a = 1; let b = 2; use a` against `use b`) read different slots.
     */
    private static boolean sameUpToVcpu(Program.ThreadProgram a, Program.ThreadProgram b) {
        if (a.ops().length != b.ops().length || a.localNames().size() != b.localNames().size()) return false;
        for (int i = 0; i < a.ops().length; i++) {
            Op x = textless(a.ops()[i]);
            Op y = textless(b.ops()[i]);
            if (x instanceof Ops.Atomic ax && y instanceof Ops.Atomic ay) { // atomic { } on each vCPU
                x = ax.inner();
                y = ay.inner();
            }
            if (x instanceof FaultOps.GuestAccess gx && y instanceof FaultOps.GuestAccess gy) {
                // The same address too: twins touching different pages would need the pages permuted as
                // well (docs/performance.md, "vCPUs whose programs differ only in addresses").
                if (gx.vcpu() != a.vcpu() || gy.vcpu() != b.vcpu() || gx.kind() != gy.kind()
                        || !Objects.equals(gx.gpa(), gy.gpa()) || gx.done() != gy.done()
                        || gx.enterGuest() != gy.enterGuest()) {
                    return false;
                }
            } else if (x instanceof FaultOps.VcpuOp vx && y instanceof FaultOps.VcpuOp vy) {
                if (vx.vcpu() != a.vcpu() || vy.vcpu() != b.vcpu() || !vx.forVcpu(vy.vcpu()).equals(vy)) return false;
            } else if (!x.getClass().isRecord() || !x.equals(y)) {
                return false;
            }
        }
        return true;
    }

    /**
     * The op with its text left out where the text only describes it in traces and messages (it
     * quotes the source: the locals' names, an assert's position), so that it does not tell apart
     * ops that run alike. Inside atomic { } too.
     */
    static Op textless(Op op) {
        if (op instanceof Ops.Atomic a) return new Ops.Atomic(textless(a.inner()));
        if (op instanceof Ops.Assign a) return new Ops.Assign(a.slot(), a.value(), "");
        if (op instanceof Ops.Assert a) return new Ops.Assert(a.cond(), "");
        if (op instanceof Ops.Warn w) return new Ops.Warn(w.cond(), "");
        if (op instanceof Ops.JumpUnless j) return new Ops.JumpUnless(j.cond(), j.target(), "");
        if (op instanceof Ops.SetGlobal g) return new Ops.SetGlobal(g.index(), g.value(), "");
        if (op instanceof Ops.TryCmpxchg c) {
            return new Ops.TryCmpxchg(c.index(), c.oldSlot(), c.value(), c.result(), "", c.unless(), c.negate());
        }
        if (op instanceof Ops.Note) return new Ops.Note("");
        if (op instanceof Nx.FirstEntry f) return new Nx.FirstEntry(f.slot(), "");
        return op;
    }

    /** The representative of s's orbit: each class sorted by its members' signatures. */
    VmState canonical(VmState s) {
        int[] to = canonicalThreads(s);
        for (int t = 0; t < to.length; t++) {
            if (to[t] != t) {
                VmState c = s.copy();
                permute(s, c, to);
                return c;
            }
        }
        return s;
    }

    /**
     * Where canonical(s) takes each thread of s: thread t of s becomes thread [t] of canonical(s).
     * Each class sorts on s itself: the classes are disjoint and a signature names only its own
     * thread and vCPU, which sorting another class does not move.
     */
    int[] canonicalThreads(VmState s) {
        int[] to = new int[s.threads.length];
        for (int t = 0; t < to.length; t++) to[t] = t;
        for (int[] cls : classes) {
            Signatures sig = new Signatures(s, cls);
            int[] order = new int[cls.length];
            for (int i = 0; i < order.length; i++) { // a stable insertion sort: classes are small
                int m = i;
                int at = i;
                for (; at > 0 && sig.compare(order[at - 1], m) > 0; at--) order[at] = order[at - 1];
                order[at] = m;
            }
            // The member now in slot i is the one whose signature sorts i-th.
            for (int i = 0; i < cls.length; i++) to[cls[order[i]]] = cls[i];
        }
        return to;
    }

    /**
     * A class's members' signatures, compared as byte strings ({@link Arrays#compare(byte[], byte[])}).
     * A signature starts with its thread's pc, a varint (no varint is a prefix of another), so
     * members at different pcs compare as their pcs' varints: the signatures are written (all of
     * them, one after the other: member i's ends at end[i]) only when two pcs tie.
     */
    private final class Signatures {
        private final VmState s;
        private final int[] cls;
        private byte[] bytes;
        private int[] end;

        Signatures(VmState s, int[] cls) {
            this.s = s;
            this.cls = cls;
        }

        int compare(int a, int b) {
            int byPc = StateWriter.compareValues(s.threads[cls[a]].pc, s.threads[cls[b]].pc);
            if (byPc != 0) return byPc;
            if (bytes == null) {
                StateWriter w = new StateWriter();
                end = new int[cls.length];
                for (int i = 0; i < cls.length; i++) {
                    signature(w, s, cls[i]);
                    end[i] = w.length();
                }
                bytes = w.toBytes();
            }
            return Arrays.compare(bytes, a == 0 ? 0 : end[a - 1], end[a], bytes, b == 0 ? 0 : end[b - 1], end[b]);
        }
    }

    /** Everything about thread t (and its vCPU) that a permutation moves; its pc first (see {@link Signatures}). */
    private void signature(StateWriter w, VmState s, int t) {
        ThreadState ts = s.threads[t];
        w.value(ts.pc);
        java.util.BitSet l = live == null ? null : live[t][ts.pc];
        for (int j = 0; j < ts.locals.length; j++) w.value(l == null || l.get(j) ? ts.locals[j] : 0);
        w.values(ts.invalidList).value(ts.holdWork | (long) (ts.srcuDepth | ts.rcuDepth << 8 | ts.mmuReadDepth << 12) << 32 | (long) ts.unusedSp << 48
                | (long) (ts.invalidating & 0xff) << 56);
        long bit = 1L << t;
        w.flag(s.mmuWriter == t).flag((s.mmuReaders & bit) != 0).flag((s.srcuReaders & bit) != 0)
                .flag((s.rcuReaders & bit) != 0);
        for (int owner : s.mutexOwner) w.flag(owner == t);
        int queued = -1;
        for (int i = 0; i < s.mmuQueue.length; i++) if (s.mmuQueue[i] == t) queued = i;
        w.value(queued);
        TlbEntry[] tlb = s.tlb[vcpuOf[t]];
        w.value(tlb.length);
        for (TlbEntry e : tlb) {
            w.value(e.gfn()).value(e.level()).value(e.pfn()).flag(e.writable()).flag(e.exec()).flag(e.nested()).flag(e.dirty());
        }
        var psc = s.psc[vcpuOf[t]];
        w.value(psc.length);
        for (var p : psc) w.value(p.regionGfn()).value(p.spId()).value(p.spGfn()).flag(p.nested());
        w.flag((s.smmVcpus & (1L << vcpuOf[t])) != 0); // in SMM: on the other role's root
        w.value(s.vcpuRoots[vcpuOf[t]]).value(s.vcpuNestedRoots[vcpuOf[t]])
                .value(s.parkedTlbRoots[vcpuOf[t]]).value(s.parkedNestedTlbRoots[vcpuOf[t]]).flag((s.freeObsoleteRootsRequests & (1L << vcpuOf[t])) != 0);
    }

    /** Writes into c the state s with thread t moved to slot to[t] (and its vCPU's TLB likewise). */
    private void permute(VmState s, VmState c, int[] to) {
        for (int t = 0; t < to.length; t++) {
            if (to[t] == t) continue;
            c.threads[to[t]] = s.threads[t];
            c.tlb[vcpuOf[to[t]]] = s.tlb[vcpuOf[t]];
            c.psc[vcpuOf[to[t]]] = s.psc[vcpuOf[t]];
            c.vcpuRoots[vcpuOf[to[t]]] = s.vcpuRoots[vcpuOf[t]];
            c.vcpuNestedRoots[vcpuOf[to[t]]] = s.vcpuNestedRoots[vcpuOf[t]];
            c.parkedTlbRoots[vcpuOf[to[t]]] = s.parkedTlbRoots[vcpuOf[t]];
            c.parkedNestedTlbRoots[vcpuOf[to[t]]] = s.parkedNestedTlbRoots[vcpuOf[t]];
        }
        // HF_SMM_MASK and the vCPU's requests move with it (a bit per vCPU number, not per thread).
        c.smmVcpus = permuteVcpuBits(s.smmVcpus, to);
        c.freeObsoleteRootsRequests = permuteVcpuBits(s.freeObsoleteRootsRequests, to);
        c.mmuQueue = s.mmuQueue.clone();
        for (int i = 0; i < c.mmuQueue.length; i++) c.mmuQueue[i] = to[s.mmuQueue[i]];
        c.mmuWriter = s.mmuWriter < 0 ? s.mmuWriter : to[s.mmuWriter];
        c.mmuReaders = permuteBits(s.mmuReaders, to);
        c.srcuReaders = permuteBits(s.srcuReaders, to);
        c.rcuReaders = permuteBits(s.rcuReaders, to);
        for (int i = 0; i < c.mutexOwner.length; i++) {
            c.mutexOwner[i] = s.mutexOwner[i] < 0 ? s.mutexOwner[i] : to[s.mutexOwner[i]];
        }
    }

    private long permuteVcpuBits(long mask, int[] to) {
        long r = mask;
        for (int t = 0; t < to.length; t++) if (to[t] != t) r &= ~(1L << vcpuOf[to[t]]);
        for (int t = 0; t < to.length; t++) {
            if (to[t] != t && (mask & (1L << vcpuOf[t])) != 0) r |= 1L << vcpuOf[to[t]];
        }
        return r;
    }

    private static long permuteBits(long mask, int[] to) {
        long r = 0;
        for (int t = 0; t < to.length; t++) {
            if ((mask & (1L << t)) != 0) r |= 1L << to[t];
        }
        return r;
    }
}
