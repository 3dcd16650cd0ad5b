package dev.mmu.runtime.paths;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.model.Level;
import dev.mmu.runtime.model.Memslot;
import dev.mmu.runtime.model.Mmu;
import dev.mmu.runtime.model.ShadowPage;
import dev.mmu.runtime.model.Spte;
import dev.mmu.runtime.model.VmConfig;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.Program.ThreadProgram;
import java.util.ArrayList;
import java.util.List;

/**
 * Drives a Program one atomic step at a time through {@link MmuSystem#step}, so a test can check
 * the state between two steps of a kernel path. Each step first checks which op it is about to run
 * (by its describe()), so a change in how a path is cut into steps fails loudly.
 */
final class Stepper {
    /** The nx_huge_pages_test layout: gpa 4G (gfn 0x100000), 6M of 2M hugetlb pages. */
    static final long HPAGE_GPA = 0x100000000L;
    static final long HPAGE_GFN = HPAGE_GPA >>> 12;
    static final long SZ_2M = 0x200000L;

    final MmuSystem system;
    VmState s;
    final List<String> trace = new ArrayList<>();

    Stepper(Program p) {
        system = new MmuSystem(p);
        s = system.initial();
    }

    static VmConfig vm(Mmu mmu, int vcpus) {
        return new VmConfig(mmu, true, 1, false, 4, List.of(new Memslot(0, HPAGE_GFN, 3 * 512, 2, false, false)), vcpus);
    }

    static Program program(VmConfig c, PathBuilder setup, ThreadProgram... threads) {
        return new Program(c, ThreadProgram.of("setup", -1, setup), List.of(threads), false);
    }

    /** The op thread t runs next. */
    String next(int t) {
        Op[] ops = system.program().threads().get(t).ops();
        int pc = s.threads[t].pc;
        return pc < ops.length ? ops[pc].describe() : "<done>";
    }

    /** Runs one step of thread t with choice 0, after checking that its next op is `op`. */
    VmState step(int t, String op) {
        return step(t, op, 0);
    }

    VmState step(int t, String op, int choice) {
        assertThat(next(t)).as("next op of thread %d (trace so far %s)", t, trace).isEqualTo(op);
        Op o = system.program().threads().get(t).ops()[s.threads[t].pc];
        assertThat(o.choices(s, t)).as("%s can run", op).isGreaterThan(choice);
        StringBuilder sb = new StringBuilder();
        s = system.step(s, t, choice, sb);
        trace.add(t + ": " + sb);
        return s;
    }

    /** Runs kvm_tdp_mmu_map()'s steps (is_page_fault_stale to rcu_read_unlock) up to the fault's unlock. */
    void map(int t) {
        for (int i = 0; i < 20 && !next(t).equals("unlock mmu_lock, srcu"); i++) step(t, next(t));
        assertThat(next(t)).isEqualTo("unlock mmu_lock, srcu");
    }

    boolean done(int t) {
        return s.threads[t].pc >= system.program().threads().get(t).ops().length;
    }

    /** The SPTE at `level` on the walk to gfn (0 if the walk stops above it). */
    long spteAt(long gfn, int level) {
        Walk w = Walk.to(s, s.root, gfn, level);
        return w != null && w.level() == level ? w.spte() : 0;
    }

    /** The table that holds the level-`level` SPTE for gfn, or null. */
    ShadowPage tableAt(long gfn, int level) {
        Walk w = Walk.to(s, s.root, gfn, level);
        return w != null && w.level() == level ? s.sp(w.spId()) : null;
    }

    /** Live page tables (not freed), including the root. */
    int liveTables() {
        int n = 0;
        for (int i = 0; i < s.spCapacity(); i++) if (s.sp(i) != null) n++;
        return n;
    }

    static boolean isLeaf(long spte) {
        return Spte.present(spte) && Spte.leaf(spte);
    }

    static boolean isTable(long spte) {
        return Spte.present(spte) && !Spte.leaf(spte);
    }

    static long pagesPer(int level) {
        return Level.pagesPerHpage(level);
    }
}
