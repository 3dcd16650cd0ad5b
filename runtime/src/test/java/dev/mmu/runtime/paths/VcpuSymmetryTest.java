package dev.mmu.runtime.paths;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.model.Invariant;
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
        KernelPaths.guestAccess(b, VM, v, kind, Expr.constant(gpa));
        return ThreadProgram.of("vcpu " + v, v, b);
    }

    /** A zapper (thread 0, not a vCPU) and vCPUs 0 and 1 (threads 1 and 2). */
    static Program race(ThreadProgram v0, ThreadProgram v1) {
        PathBuilder setup = new PathBuilder();
        KernelPaths.guestAccess(setup, VM, 0, Access.READ, Expr.constant(GPA));
        PathBuilder zap = new PathBuilder();
        KernelPaths.tdpMmuZapGfnRange(zap, Expr.constant(Stepper.HPAGE_GPA), Expr.constant(Stepper.HPAGE_GPA + Stepper.SZ_2M));
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
            assertThat(m.canonical(w)).isEqualTo(c);
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
                ThreadProgram.of("kernel", -1, pathOf(b -> KernelPaths.guestAccess(b, VM, 1, Access.READ, Expr.constant(GPA)))));
        MmuSystem m = new MmuSystem(p);
        for (VmState s : SeedModelTest.reachable(m)) assertThat(m.canonical(s)).isSameAs(s);
    }

    static PathBuilder pathOf(java.util.function.Consumer<PathBuilder> body) {
        PathBuilder b = new PathBuilder();
        body.accept(b);
        return b;
    }
}
