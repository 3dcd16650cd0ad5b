package dev.mmu.runtime.paths;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.LockId;
import dev.mmu.runtime.model.Mmu;
import dev.mmu.runtime.model.VmConfig;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.MmuOps.Access;
import dev.mmu.runtime.paths.Program.ThreadProgram;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * vCPU symmetry: two vCPU threads running the same accesses are interchangeable, so a state and
 * the state with the two vCPUs swapped (their threads, TLBs, paging-structure caches, and every
 * lock and queue entry that names them) are one state for the search. The swap is written here
 * independently of VcpuSymmetry, and checked on every reachable state of a race with a zap.
 */
class VcpuSymmetryTest {
    static final VmConfig VM = Stepper.vm(Mmu.TDP, 2);
    static final long GPA = Stepper.HPAGE_GPA + 0x1000;

    static ThreadProgram vcpu(int v, Access kind, long gpa) {
        PathBuilder b = new PathBuilder();
        FaultPaths.guestAccess(b, VM, v, kind, Expr.constant(gpa));
        return ThreadProgram.of("vcpu " + v, v, b);
    }

    /** A zapper (thread 0, not a vCPU) and vCPUs 0 and 1 (threads 1 and 2). */
    static Program race(ThreadProgram v0, ThreadProgram v1) {
        PathBuilder setup = new PathBuilder();
        FaultPaths.guestAccess(setup, VM, 0, Access.READ, Expr.constant(GPA));
        PathBuilder zap = new PathBuilder();
        KernelFixtures.tdpMmuZapGfnRange(zap, Expr.constant(Stepper.HPAGE_GPA), Expr.constant(Stepper.HPAGE_GPA + Stepper.SZ_2M));
        return Stepper.program(VM, setup, ThreadProgram.of("zap", -1, zap), v0, v1);
    }

    static long swapBits(long mask) {
        long a = (mask >>> 1) & 1;
        long b = (mask >>> 2) & 1;
        return (mask & ~0b110L) | (a << 2) | (b << 1);
    }

    static int swapThread(int t) {
        return t == 1 ? 2 : t == 2 ? 1 : t;
    }

    /** s with vCPU threads 1 and 2 (vCPUs 0 and 1) exchanged. */
    static VmState swap(VmState s) {
        VmState c = s.copy();
        c.threads[1] = s.copy().threads[2];
        c.threads[2] = s.copy().threads[1];
        c.tlb[0] = s.tlb[1];
        c.tlb[1] = s.tlb[0];
        c.psc[0] = s.psc[1];
        c.psc[1] = s.psc[0];
        c.vcpuRoots[0] = s.vcpuRoots[1];
        c.vcpuRoots[1] = s.vcpuRoots[0];
        c.vcpuNestedRoots[0] = s.vcpuNestedRoots[1];
        c.vcpuNestedRoots[1] = s.vcpuNestedRoots[0];
        c.parkedTlbRoots[0] = s.parkedTlbRoots[1];
        c.parkedTlbRoots[1] = s.parkedTlbRoots[0];
        c.parkedNestedTlbRoots[0] = s.parkedNestedTlbRoots[1];
        c.parkedNestedTlbRoots[1] = s.parkedNestedTlbRoots[0];
        c.freeObsoleteRootsRequests = swapBits(s.freeObsoleteRootsRequests << 1) >>> 1; // vCPU bits 0 and 1
        c.smmVcpus = swapBits(s.smmVcpus << 1) >>> 1;
        c.mmuWriter = swapThread(s.mmuWriter);
        c.mmuReaders = swapBits(s.mmuReaders);
        c.srcuReaders = swapBits(s.srcuReaders);
        c.rcuReaders = swapBits(s.rcuReaders);
        c.mmuQueue = s.mmuQueue.clone();
        for (int i = 0; i < c.mmuQueue.length; i++) c.mmuQueue[i] = swapThread(s.mmuQueue[i]);
        for (int i = 0; i < c.mutexOwner.length; i++) c.mutexOwner[i] = swapThread(s.mutexOwner[i]);
        return c;
    }

    @Test
    void aStateAndItsSwapHaveOneRepresentativeWhichIsOneOfThem() {
        MmuSystem m = new MmuSystem(race(vcpu(0, Access.READ, GPA), vcpu(1, Access.READ, GPA)));
        Set<VmState> all = SeedModelTest.reachable(m);
        Set<VmState> canonical = new HashSet<>();
        boolean sawAsymmetric = false;
        for (VmState s : all) {
            VmState c = m.canonical(s);
            VmState w = swap(s);
            assertThat(c).isIn(s, w);
            assertThat(m.key(m.canonical(w))).as("one key per orbit").isEqualTo(m.key(c));
            sawAsymmetric |= !w.equals(s);
            canonical.add(c);
            for (Invariant inv : Invariant.values()) {
                assertThat(Invariants.violated(inv, c)).isEqualTo(Invariants.violated(inv, s));
            }
        }
        assertThat(sawAsymmetric).isTrue();
        assertThat(canonical.size()).isLessThan(all.size());
        // A vCPU mid-fault holds srcu and mmu_lock for read, or waits in the queue: those moved too.
        assertThat(all).anyMatch(s -> s.mmuQueue.length > 0 && s.mmuQueue[0] != 0);
        assertThat(all).anyMatch(s -> (s.mmuReaders & 0b110L) == 0b010L);
    }

    /**
     * mmu both: a new generation and KVM_REQ_MMU_FREE_OBSOLETE_ROOTS race two vCPUs' L2 reads; each
     * frees its obsolete L2 root and loads a new one at its own entry, so their guest_mmu roots
     * differ for a while, and each moves with its vCPU (thread, TLB, root_mmu root, request bit).
     */
    @Test
    void eachVcpusL2RootMovesWithItsVcpu() {
        VmConfig both = Stepper.vm(Mmu.BOTH, 2);
        PathBuilder setup = new PathBuilder();
        FaultPaths.guestAccess(setup, both, 0, Access.READ, Expr.constant(GPA), true);
        PathBuilder gen = new PathBuilder();
        gen.emit(new Ops.Acquire(LockId.mmu_lock, Lock.Mode.WRITE));
        gen.emit(InvariantsTest.call("kvm_mmu_toggle_valid_gen"));
        gen.emit(InvariantsTest.call("kvm_make_all_cpus_request_free_obsolete_roots"));
        gen.emit(new Ops.Release(LockId.mmu_lock));
        ThreadProgram[] vcpus = new ThreadProgram[2];
        for (int v = 0; v < 2; v++) {
            PathBuilder b = new PathBuilder();
            FaultPaths.guestAccess(b, both, v, Access.READ, Expr.constant(GPA), true);
            vcpus[v] = ThreadProgram.of("vcpu " + v, v, b);
        }
        MmuSystem m = new MmuSystem(Stepper.program(both, setup, ThreadProgram.of("gen", -1, gen), vcpus[0], vcpus[1]));
        boolean sawSplit = false;
        for (VmState s : SeedModelTest.reachable(m)) {
            VmState c = m.canonical(s);
            VmState w = swap(s);
            assertThat(c).isIn(s, w);
            assertThat(m.key(m.canonical(w))).as("one key per orbit").isEqualTo(m.key(c));
            sawSplit |= s.vcpuNestedRoots[0] != s.vcpuNestedRoots[1] && s.vcpuNestedRoots[0] >= 0 && s.vcpuNestedRoots[1] >= 0;
        }
        assertThat(sawSplit).as("vCPU 0 on the new L2 root while vCPU 1 still holds the old one, or the reverse").isTrue();
    }

    /** Different pages are not twins: see docs/performance.md, "vCPUs whose programs differ only in addresses". */
    @Test
    void vcpusRunningDifferentAccessesAreNotInterchangeable() {
        for (Program p : new Program[] {
            race(vcpu(0, Access.READ, GPA), vcpu(1, Access.READ, GPA + 0x1000)),
            race(vcpu(0, Access.READ, GPA), vcpu(1, Access.WRITE, GPA)),
        }) {
            MmuSystem m = new MmuSystem(p);
            for (VmState s : SeedModelTest.reachable(m)) assertThat(m.canonical(s)).isSameAs(s);
        }
    }

    @Test
    void aKernelThreadIsNeverPermutedWithAVcpu() {
        // The zapper and the vCPUs differ; with one vCPU thread there is nothing to permute.
        PathBuilder setup = new PathBuilder();
        Program p = Stepper.program(VM, setup, vcpu(0, Access.READ, GPA),
                ThreadProgram.of("kernel", -1, pathOf(b -> FaultPaths.guestAccess(b, VM, 1, Access.READ, Expr.constant(GPA)))));
        MmuSystem m = new MmuSystem(p);
        for (VmState s : SeedModelTest.reachable(m)) assertThat(m.canonical(s)).isSameAs(s);
    }

    // ---- which vCPUs are interchangeable, and what the user is told ----

    static final VmConfig VM3 = Stepper.vm(Mmu.TDP, 3);

    /** vCPU v's thread: lock and unlock slots_lock, an rcu read section, then a read of GPA. */
    static ThreadProgram locking(int v) {
        return locking(VM3, v);
    }

    static ThreadProgram locking(VmConfig c, int v) {
        return ThreadProgram.of("vcpu " + v, v, pathOf(b -> {
            b.emit(new Ops.Acquire(LockId.slots_lock, Lock.Mode.WRITE));
            b.emit(new Ops.Release(LockId.slots_lock));
            b.emit(new Ops.Acquire(LockId.rcu, Lock.Mode.READ));
            b.emit(new Ops.Release(LockId.rcu));
            FaultPaths.guestAccess(b, c, v, Access.READ, Expr.constant(GPA));
        }));
    }

    /** A kernel thread reading tlb(v, GPA) into a local: it names vCPU v. */
    static ThreadProgram watcher(int v) {
        return ThreadProgram.of("watcher", -1, pathOf(b -> {
            int x = b.local("x");
            b.emit(new Ops.Assign(x, Expr.of(Footprint.reads(Resource.TLB).naming(v), (s, t) -> Queries.tlb(s, v, GPA)),
                    "x = tlb(" + v + ", ..)"));
        }));
    }

    static Program of(VmConfig c, long expectationVcpus, ThreadProgram... threads) {
        return new Program(c, ThreadProgram.of("setup", -1, new PathBuilder()), java.util.List.of(threads), false,
                java.util.EnumSet.allOf(dev.mmu.runtime.model.Stat.class), expectationVcpus);
    }

    @Test
    void theLimitsSayWhichVcpusSymmetryLeavesOutAndWhy() {
        assertThat(VcpuSymmetry.limits(of(VM3, 0, locking(0), locking(1)))).as("a thread naming its own vCPU").isEmpty();
        assertThat(VcpuSymmetry.limits(of(VM3, 0, locking(1), locking(0)))).as("in any thread order").isEmpty();
        assertThat(VcpuSymmetry.limits(of(VM3, 0, locking(0))))
                .containsExactly("has nothing to interchange: no two vCPU threads run the same program");
        assertThat(VcpuSymmetry.limits(of(VM3, 0b10, locking(0), locking(1))))
                .containsExactly("leaves out vCPU 1 (thread vcpu 1): named by an expectation");
        assertThat(VcpuSymmetry.limits(of(VM3, -1, locking(0), locking(1)))).containsExactly(
                "leaves out vCPU 0 (thread vcpu 0): named by an expectation",
                "leaves out vCPU 1 (thread vcpu 1): named by an expectation");
        assertThat(VcpuSymmetry.limits(of(VM3, 0, locking(0), locking(1), locking(2), watcher(2))))
                .containsExactly("leaves out vCPU 2 (thread vcpu 2): named by `x = tlb(2, ..)` in thread watcher");
        assertThat(VcpuSymmetry.limits(of(VM3, 0, locking(0), locking(1), watcher(0))))
                .containsExactly("leaves out vCPU 0 (thread vcpu 0): named by `x = tlb(0, ..)` in thread watcher");
    }

    @Test
    void threadsThatDifferInMoreThanTheirVcpuAreNotInterchangeable() {
        String none = "has nothing to interchange: no two vCPU threads run the same program";
        // each vCPU thread runs the other vCPU's access
        ThreadProgram crossed0 = ThreadProgram.of("vcpu 0", 0, pathOf(b -> FaultPaths.guestAccess(b, VM3, 1, Access.READ, Expr.constant(GPA))));
        ThreadProgram crossed1 = ThreadProgram.of("vcpu 1", 1, pathOf(b -> FaultPaths.guestAccess(b, VM3, 0, Access.READ, Expr.constant(GPA))));
        assertThat(VcpuSymmetry.limits(of(VM3, 0, crossed0, crossed1))).containsExactly(none);
        ThreadProgram twice = ThreadProgram.of("vcpu 1", 1, pathOf(b -> {
            FaultPaths.guestAccess(b, VM3, 1, Access.READ, Expr.constant(GPA));
            FaultPaths.guestAccess(b, VM3, 1, Access.READ, Expr.constant(GPA));
        }));
        assertThat(VcpuSymmetry.limits(of(VM3, 0, vcpu(0, Access.READ, GPA), twice))).containsExactly(none);
        ThreadProgram x = ThreadProgram.of("vcpu 0", 0, pathOf(b -> b.emit(new Ops.Assign(b.local("x"), Expr.constant(1), "x = 1"))));
        ThreadProgram y = ThreadProgram.of("vcpu 1", 1, pathOf(b -> b.emit(new Ops.Assign(b.local("y"), Expr.constant(1), "x = 1"))));
        ThreadProgram two = ThreadProgram.of("vcpu 1", 1, pathOf(b -> b.emit(new Ops.Assign(b.local("x"), Expr.constant(2), "x = 1"))));
        ThreadProgram x1 = ThreadProgram.of("vcpu 1", 1, pathOf(b -> b.emit(new Ops.Assign(b.local("x"), Expr.constant(1), "x = 1"))));
        assertThat(VcpuSymmetry.limits(of(VM3, 0, x, y))).as("other local names: the same program").isEmpty();
        assertThat(VcpuSymmetry.limits(of(VM3, 0, x, two))).as("another value").containsExactly(none);
        assertThat(VcpuSymmetry.limits(of(VM3, 0, x, x1))).isEmpty();
        assertThat(VcpuSymmetry.limits(of(VM3, 0, x, new ThreadProgram("vcpu 0 again", 0, x1.ops(), x1.localNames()))))
                .as("two threads of the same vCPU").containsExactly(none);
    }

    /**
     * Two vCPUs whose guest accesses differ in one field of the access op only: where it goes
     * once done, its kind, its address, where vcpu_enter_guest() runs, whether it is the L2
     * guest's: not twins. The same op unchanged: twins (the check compares the copies field by field).
     */
    @Test
    void guestAccessesThatDifferInOneFieldAreNotTwins() {
        String none = "has nothing to interchange: no two vCPU threads run the same program";
        ThreadProgram v0 = ThreadProgram.of("vcpu 0", 0, pathOf(b -> FaultPaths.guestAccess(b, VM3, 0, Access.READ, Expr.constant(GPA))));
        ThreadProgram v1 = ThreadProgram.of("vcpu 1", 1, pathOf(b -> FaultPaths.guestAccess(b, VM3, 1, Access.READ, Expr.constant(GPA))));
        int at = -1;
        for (int i = 0; i < v1.ops().length; i++) if (v1.ops()[i] instanceof FaultOps.GuestAccess) at = i;
        FaultOps.GuestAccess g = (FaultOps.GuestAccess) v1.ops()[at];
        java.util.List<FaultOps.GuestAccess> variants = java.util.List.of(
                new FaultOps.GuestAccess(g.vcpu(), g.kind(), g.gpa(), g.done() + 1, g.nested(), g.fastPf(), g.oldSpte(), g.slotFlags(), g.enterGuest()),
                new FaultOps.GuestAccess(g.vcpu(), Access.WRITE, g.gpa(), g.done(), g.nested(), g.fastPf(), g.oldSpte(), g.slotFlags(), g.enterGuest()),
                new FaultOps.GuestAccess(g.vcpu(), g.kind(), Expr.constant(GPA + 0x1000), g.done(), g.nested(), g.fastPf(), g.oldSpte(), g.slotFlags(), g.enterGuest()),
                new FaultOps.GuestAccess(g.vcpu(), g.kind(), g.gpa(), g.done(), g.nested(), g.fastPf(), g.oldSpte(), g.slotFlags(), g.enterGuest() + 1));
        assertThat(VcpuSymmetry.limits(of(VM3, 0, v0, v1))).isEmpty();
        for (FaultOps.GuestAccess changed : variants) {
            dev.mmu.runtime.paths.Op[] ops = v1.ops().clone();
            ops[at] = changed;
            assertThat(VcpuSymmetry.limits(of(VM3, 0, v0, new ThreadProgram("vcpu 1", 1, ops, v1.localNames()))))
                    .as(changed.toString()).containsExactly(none);
        }
    }

    /**
     * A vCPU thread with two locals, named n + "a" and n + "b", running op (quoting the names in
     * its text): for the alpha-equivalence tests below.
     */
    static ThreadProgram twoLocals(int v, String n, Op op) {
        return ThreadProgram.of("vcpu " + v, v, pathOf(b -> {
            b.local(n + "a");
            b.local(n + "b");
            b.emit(op);
        }));
    }

    /**
     * Programs equal up to a consistent renaming of their locals are interchangeable: every op
     * that quotes its source (so the locals' names) in its text, written with each thread's names,
     * and in atomic { }; the same op with a real difference (another slot, value, target) is not.
     * Slots 0 and 1 are the locals a and b.
     */
    @Test
    void threadsEqualUpToTheNamesOfTheirLocalsAreInterchangeable() {
        String none = "has nothing to interchange: no two vCPU threads run the same program";
        java.util.function.Function<String, Op[]> quoting = n -> new Op[] {
            new Ops.Assign(0, Expr.local(1), n + "a = " + n + "b"),
            new Ops.Assert(Expr.local(0), n + "a (file.mmu:" + n.length() + ":3)"),
            new Ops.JumpUnless(Expr.local(0), 1, n + "a"),
            new Ops.SetGlobal(0, Expr.local(0), "g = " + n + "a"),
            new Ops.TryCmpxchg(0, 0, Expr.local(1), 1, "try_cmpxchg(g, " + n + "a, " + n + "b)"),
            new Ops.TryCmpxchg(0, 0, Expr.local(1), 1, "try_cmpxchg(g, " + n + "a, " + n + "b)").branch(1, true),
            new Ops.Note(n + "a"),
            new Nx.FirstEntry(0, n + "a = list_first_entry(lpage_disallowed)"),
            new Ops.Atomic(new Ops.Assign(0, Expr.local(1), n + "a = " + n + "b")),
            new Ops.Assign(0, Ops.global(0), "load g into " + n + "a"),
        };
        Op[] different = {
            new Ops.Assign(1, Expr.local(1), "a = b"),
            new Ops.Assert(Expr.local(1), "a (file.mmu:0:3)"),
            new Ops.JumpUnless(Expr.local(0), 0, "a"),
            new Ops.SetGlobal(1, Expr.local(0), "g = a"),
            new Ops.TryCmpxchg(0, 1, Expr.local(1), 1, "try_cmpxchg(g, a, b)"),
            new Ops.TryCmpxchg(0, 0, Expr.local(1), 1, "try_cmpxchg(g, a, b)").branch(1, false),
            new Ops.Assign(0, Expr.local(1), "a"),
            new Nx.FirstEntry(1, "a = list_first_entry(lpage_disallowed)"),
            new Ops.Atomic(new Ops.Assign(0, Expr.local(0), "a = b")),
            new Ops.Assign(0, Ops.global(1), "load g"),
        };
        Op[] first = quoting.apply("");
        Op[] second = quoting.apply("other_");
        for (int i = 0; i < first.length; i++) {
            assertThat(first[i]).as("the texts differ").isNotEqualTo(second[i]);
            assertThat(VcpuSymmetry.limits(of(VM3, 0, twoLocals(0, "", first[i]), twoLocals(1, "other_", second[i]))))
                    .as(first[i] + " against " + second[i]).isEmpty();
            assertThat(VcpuSymmetry.limits(of(VM3, 0, twoLocals(0, "", first[i]), twoLocals(1, "", different[i]))))
                    .as(first[i] + " against " + different[i]).containsExactly(none);
        }
        ThreadProgram threeLocals = ThreadProgram.of("vcpu 1", 1, pathOf(b -> {
            b.local("a");
            b.local("b");
            b.local("c");
            b.emit(first[0]);
        }));
        assertThat(VcpuSymmetry.limits(of(VM3, 0, twoLocals(0, "", first[0]), threeLocals)))
                .as("another number of locals").containsExactly(none);
    }

    /** s with vCPU thread i (thread i, vCPU i) moved to slot p[i], for three vCPU threads. */
    static VmState permute(VmState s, int[] p) {
        VmState c = s.copy();
        VmState o = s.copy();
        for (int i = 0; i < 3; i++) {
            c.threads[p[i]] = o.threads[i];
            c.tlb[p[i]] = s.tlb[i];
            c.psc[p[i]] = s.psc[i];
        }
        java.util.function.IntUnaryOperator to = t -> t >= 0 && t < 3 ? p[t] : t;
        c.mmuWriter = to.applyAsInt(s.mmuWriter);
        c.mmuQueue = s.mmuQueue.clone();
        for (int i = 0; i < c.mmuQueue.length; i++) c.mmuQueue[i] = to.applyAsInt(s.mmuQueue[i]);
        for (int i = 0; i < c.mutexOwner.length; i++) c.mutexOwner[i] = to.applyAsInt(s.mutexOwner[i]);
        c.mmuReaders = bits(s.mmuReaders, p);
        c.srcuReaders = bits(s.srcuReaders, p);
        c.rcuReaders = bits(s.rcuReaders, p);
        return c;
    }

    static long bits(long mask, int[] p) {
        long r = mask & ~0b111L;
        for (int i = 0; i < 3; i++) if ((mask & (1L << i)) != 0) r |= 1L << p[i];
        return r;
    }

    @Test
    void threeInterchangeableVcpusHaveOneRepresentativePerOrbit() {
        // TDP faults hold mmu_lock for read, shadow faults for write: both are permuted.
        for (Mmu mmu : new Mmu[] {Mmu.TDP, Mmu.SHADOW}) {
            VmConfig c = Stepper.vm(mmu, 3);
            oneRepresentativePerOrbit(new MmuSystem(of(c, 0, locking(c, 0), locking(c, 1), locking(c, 2))));
        }
    }

    static void oneRepresentativePerOrbit(MmuSystem m) {
        int[][] perms = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
        Set<VmState> all = SeedModelTest.reachable(m);
        boolean sawMutex = false;
        boolean sawRcu = false;
        for (VmState s : all) {
            VmState c = m.canonical(s);
            java.util.List<VmState> orbit = new java.util.ArrayList<>();
            for (int[] p : perms) orbit.add(permute(s, p));
            assertThat(c).isIn(orbit);
            for (VmState w : orbit) assertThat(m.key(m.canonical(w))).as("one key per orbit").isEqualTo(m.key(c));
            sawMutex |= java.util.Arrays.stream(s.mutexOwner).anyMatch(o -> o > 0);
            sawRcu |= (s.rcuReaders & 0b110) != 0;
        }
        assertThat(sawMutex).isTrue();
        assertThat(sawRcu).isTrue();
    }

    @Test
    void aNamedVcpuStaysInPlaceWhileItsTwinsAreSorted() {
        MmuSystem m = new MmuSystem(of(VM3, 0b100, locking(0), locking(1), locking(2)));
        boolean sorted = false;
        for (VmState s : SeedModelTest.reachable(m)) {
            VmState c = m.canonical(s);
            assertThat(c.threads[2]).isEqualTo(s.threads[2]);
            assertThat(c.tlb[2]).isEqualTo(s.tlb[2]);
            assertThat(c).isIn(s, permute(s, new int[] {1, 0, 2}));
            sorted |= !c.equals(s);
        }
        assertThat(sorted).isTrue();
    }

    static PathBuilder pathOf(java.util.function.Consumer<PathBuilder> body) {
        PathBuilder b = new PathBuilder();
        body.accept(b);
        return b;
    }

    // ---- the representative of any state, built by hand: only who holds what tells twins apart ----

    /** Threads 0 and 1 run the same ops as vCPUs 0 and 1; nothing has run yet (no TLB entries). */
    static MmuSystem twins() {
        return new MmuSystem(of(VM3, 0, locking(0), locking(1)));
    }

    /** s with threads 0 and 1 (vCPUs 0 and 1) exchanged, everything that names them included. */
    static VmState swapFirstTwo(VmState s) {
        VmState c = s.copy();
        c.threads[0] = s.copy().threads[1];
        c.threads[1] = s.copy().threads[0];
        c.tlb[0] = s.tlb[1];
        c.tlb[1] = s.tlb[0];
        c.psc[0] = s.psc[1];
        c.psc[1] = s.psc[0];
        c.vcpuRoots[0] = s.vcpuRoots[1];
        c.vcpuRoots[1] = s.vcpuRoots[0];
        c.vcpuNestedRoots[0] = s.vcpuNestedRoots[1];
        c.vcpuNestedRoots[1] = s.vcpuNestedRoots[0];
        c.parkedTlbRoots[0] = s.parkedTlbRoots[1];
        c.parkedTlbRoots[1] = s.parkedTlbRoots[0];
        c.parkedNestedTlbRoots[0] = s.parkedNestedTlbRoots[1];
        c.parkedNestedTlbRoots[1] = s.parkedNestedTlbRoots[0];
        c.freeObsoleteRootsRequests = swapBits(s.freeObsoleteRootsRequests << 1) >>> 1; // vCPU bits 0 and 1
        c.smmVcpus = swapBits(s.smmVcpus << 1) >>> 1;
        c.mmuWriter = s.mmuWriter == 0 ? 1 : s.mmuWriter == 1 ? 0 : s.mmuWriter;
        c.mmuReaders = swapLow(s.mmuReaders);
        c.srcuReaders = swapLow(s.srcuReaders);
        c.rcuReaders = swapLow(s.rcuReaders);
        c.mmuQueue = s.mmuQueue.clone();
        for (int i = 0; i < c.mmuQueue.length; i++) c.mmuQueue[i] = 1 - s.mmuQueue[i];
        for (int i = 0; i < c.mutexOwner.length; i++) c.mutexOwner[i] = s.mutexOwner[i] < 0 ? -1 : 1 - s.mutexOwner[i];
        return c;
    }

    static long swapLow(long mask) {
        return (mask & ~0b11L) | (mask & 1) << 1 | (mask >>> 1 & 1);
    }

    @Test
    void twinsThatDifferOnlyInALockTheyHoldHaveOneRepresentative() {
        MmuSystem m = twins();
        VmState base = m.initial();
        assertThat(base.threads[0].pc).isEqualTo(base.threads[1].pc);
        java.util.List<java.util.function.Consumer<VmState>> holds = java.util.List.of(
                s -> s.mmuWriter = 0, s -> s.mmuReaders = 1, s -> s.srcuReaders = 1, s -> s.rcuReaders = 1,
                s -> s.mutexOwner[0] = 0, s -> s.mmuQueue = new int[] {0},
                s -> s.threadForWrite(0).unusedSp = 1, // and a failed link's sp, which its signature carries
                s -> s.threadForWrite(0).invalidating = 1); // and an invalidation it began
        for (int i = 0; i < holds.size(); i++) {
            VmState s = base.copy();
            holds.get(i).accept(s);
            VmState w = swapFirstTwo(s);
            assertThat(w).isNotEqualTo(s);
            assertThat(m.canonical(w)).as("lock state %d", i).isEqualTo(m.canonical(s)).isIn(s, w);
        }
    }

    /** A fault step of the thread's own vCPU, equal up to it: twins; another vCPU's, or another gpa: not. */
    @Test
    void vcpuOpsAreComparedUpToTheirVcpu() {
        String none = "has nothing to interchange: no two vCPU threads run the same program";
        java.util.function.BiFunction<Integer, TdpMap.Start, ThreadProgram> thread = (v, op) ->
                new ThreadProgram("vcpu " + v, v, new Op[] {op}, java.util.List.of("m"));
        TdpMap.Start start0 = new TdpMap.Start(0, Expr.constant(GPA), 0, 0, false);
        assertThat(VcpuSymmetry.limits(of(VM3, 0, thread.apply(0, start0), thread.apply(1, start0.forVcpu(1))))).isEmpty();
        assertThat(VcpuSymmetry.limits(of(VM3, 0, thread.apply(0, start0), thread.apply(1, start0))))
                .as("vCPU 1's thread faulting in vCPU 0's root").containsExactly(none);
        assertThat(VcpuSymmetry.limits(of(VM3, 0, thread.apply(0, start0.forVcpu(1)), thread.apply(1, start0.forVcpu(1)))))
                .as("vCPU 0's thread faulting in vCPU 1's root").containsExactly(none);
        assertThat(VcpuSymmetry.limits(of(VM3, 0, thread.apply(0, start0),
                thread.apply(1, new TdpMap.Start(1, Expr.constant(GPA + 0x1000), 0, 0, false))))).as("another gpa").containsExactly(none);
    }

    /**
     * vCPU 0 in SMM, or with KVM_REQ_MMU_FREE_OBSOLETE_ROOTS pending, and vCPU 1 not: the twins
     * sort by it (one representative for the state and its swap), and vCPU 2, no twin, keeps its
     * own bit wherever the twins go.
     */
    @Test
    void twinsThatDifferOnlyInAVcpuBitHaveOneRepresentativeAndOtherVcpusKeepTheirs() {
        ThreadProgram writer = ThreadProgram.of("vcpu 2", 2, pathOf(b -> FaultPaths.guestAccess(b, VM3, 2, Access.WRITE, Expr.constant(GPA))));
        MmuSystem m = new MmuSystem(of(VM3, 0, locking(0), locking(1), writer));
        java.util.List<java.util.function.Consumer<VmState>> bits = java.util.List.of(
                s -> s.smmVcpus = 0b101, s -> s.freeObsoleteRootsRequests = 0b101);
        for (int i = 0; i < bits.size(); i++) {
            VmState s = m.initial().copy();
            bits.get(i).accept(s);
            VmState w = swapFirstTwo(s);
            assertThat(w).isNotEqualTo(s);
            VmState c = m.canonical(s);
            assertThat(m.canonical(w)).as("bit %d", i).isEqualTo(c).isIn(s, w);
            long mask = i == 0 ? c.smmVcpus : c.freeObsoleteRootsRequests;
            assertThat(Long.bitCount(mask)).isEqualTo(2);
            assertThat(mask & 0b100).as("vCPU 2's bit stays").isEqualTo(0b100);
        }
    }

    @Test
    void aSortedStateIsItsOwnRepresentativeNotACopy() {
        MmuSystem m = twins();
        VmState s = m.initial().copy();
        s.srcuReaders = 1;
        VmState w = swapFirstTwo(s);
        VmState sorted = m.canonical(s) == s ? s : w;
        assertThat(m.canonical(sorted)).isSameAs(sorted);
    }

    @Test
    void aKernelThreadRunningTheSameOpsAsTwoVcpusIsLeftOutOfTheirClass() {
        java.util.function.Consumer<PathBuilder> slotsLock = b -> {
            b.emit(new Ops.Acquire(LockId.slots_lock, Lock.Mode.WRITE));
            b.emit(new Ops.Release(LockId.slots_lock));
        };
        ThreadProgram kernel = ThreadProgram.of("kernel", -1, pathOf(slotsLock));
        ThreadProgram v0 = ThreadProgram.of("vcpu 0", 0, pathOf(slotsLock));
        ThreadProgram v1 = ThreadProgram.of("vcpu 1", 1, pathOf(slotsLock));
        MmuSystem m = new MmuSystem(of(VM3, 0, kernel, v0, v1));
        VmState one = m.initial().copy();
        one.mutexOwner[0] = 1;
        VmState two = m.initial().copy();
        two.mutexOwner[0] = 2;
        assertThat(m.canonical(one)).as("vCPUs 0 and 1 are twins").isEqualTo(m.canonical(two));
        VmState k = m.initial().copy();
        k.mutexOwner[0] = 0;
        assertThat(m.canonical(k)).as("the kernel thread stays where it is").isSameAs(k);
    }
}
