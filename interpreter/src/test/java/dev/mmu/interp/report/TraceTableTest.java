package dev.mmu.interp.report;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.interp.diag.Wrap;
import dev.mmu.interp.run.Loaded;
import dev.mmu.interp.run.ScenarioLoader;
import dev.mmu.interp.run.ScenarioResult.Step;
import dev.mmu.runtime.explore.Schedule;
import dev.mmu.runtime.paths.MmuSystem;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TraceTableTest {
    private static final List<String> THREE = List.of("recovery", "host", "vcpu 1");
    private static final List<Step> STEPS = List.of(
            new Step(0, "write_lock(mmu_lock)"),
            new Step(0, "tdp_iter: L4 gfn 0x0 is a table covering more than the range: step down; "
                    + "SPTE L2[0] gfn 0x0 table sp3 -> non-present; !! stale_tlb_at_unlock: vCPU 0 caches gfn 0x1; "
                    + "write_unlock(mmu_lock)"),
            new Step(1, "host frees pfn 0x1000"),
            new Step(2, "vCPU 1 read 0x1000: TLB hit -> pfn 0x1001; "
                    + "!! use_after_free: pfn 0x1001 was freed by the host"));

    private static void fits(String table, int width) {
        table.lines().forEach(l -> assertThat(l.length()).as(l).isLessThanOrEqualTo(width));
    }

    @Test
    void threeThreadsInAHundredColumnsGoVerticalAndFit() {
        String t = TraceTable.render(THREE, STEPS, -1, 100, "use_after_free");
        fits(t, 100);
        assertThat(t).startsWith("  step thread    what ran\n")
                .contains("  1    recovery  write_lock(mmu_lock)\n")
                .contains("  4    vcpu 1    vCPU 1 read 0x1000: TLB hit -> pfn 0x1001\n");
    }

    @Test
    void wideTerminalsGetColumnsThatFit() {
        String t = TraceTable.render(THREE, STEPS, -1, 160, "use_after_free");
        fits(t, 160);
        assertThat(t.lines().findFirst().orElseThrow()).contains("recovery").contains("host").contains("vcpu 1");
        assertThat(t).doesNotContain("what ran");
        fits(TraceTable.render(List.of("a", "b"), STEPS.subList(0, 3), -1, 80, null), 80);
    }

    /** The steps of the one-thread scenario's first schedule (setup, then its thread's step), as a trace prints them. */
    private static List<String[]> traced(String scenario) {
        Loaded loaded = ScenarioLoader.load("s.mmu", scenario);
        assertThat(loaded.diagnostics()).isEmpty();
        MmuSystem system = new MmuSystem(loaded.scenarios().get(0).program().readByAnyExpectation());
        return TraceTable.steps(system, Schedule.parse("0.0"));
    }

    /** An rmap handler's step began with its zap, "SPTE L1[1] gfn 0x1 ... -> non-present", naming no function (trial9). */
    @Test
    void aPrimitiveWhoseFirstNoteIsAnSpteChangeIsNamed() {
        List<String[]> steps = traced("""
                scenario "s" {
                  vm { mmu both }
                  memslot 0 { gpa 0x0 size 2M backing 4K }
                  vcpus 1
                  setup { vcpu 0 nested write 0x1000 }
                  thread zap {
                    lock write
                    kvm_zap_rmap(0, 1, 0x1)
                    unlock
                  }
                }
                """);
        assertThat(steps.get(1)[1]).startsWith("kvm_zap_rmap(); SPTE L1[1] gfn 0x1 4K pfn ");
    }

    /** The rmaps' eager split is shadow_mmu_split_huge_page(); the trace called it tdp_mmu_split_huge_page (trial9). */
    @Test
    void theShadowMmusSplitIsNamedSo() {
        List<String[]> steps = traced("""
                scenario "s" {
                  vm { mmu both }
                  memslot 0 { gpa 0x0 size 4M backing 2M }
                  vcpus 1
                  setup { vcpu 0 nested write 0x201000 }
                  thread split {
                    lock write
                    shadow_mmu_try_split_huge_pages(0, 2, 0x200)
                    unlock
                  }
                }
                """);
        assertThat(steps.get(1)[1]).contains("shadow_mmu_split_huge_page: 2M -> 512 x 4K").doesNotContain("tdp_mmu_split");
    }

    /** A walk over a split 2M page noted 512 SPTE changes in one step, 1,000 lines (trial9): a run is cut. */
    @Test
    void aRunOfLikeSpteChangesIsCut() {
        List<String> clauses = new ArrayList<>(List.of("wrprot_gfn_range step"));
        for (int i = 0; i < 512; i++) {
            String gfn = Integer.toHexString(0x200 + i), pfn = Integer.toHexString(0x1200 + i);
            clauses.add("SPTE L1[" + i + "] gfn 0x" + gfn + " 4K pfn 0x" + pfn + " rwx -> 4K pfn 0x" + pfn + " r-x (mmu-writable)");
        }
        clauses.add("SPTE L2[1] gfn 0x200 2M pfn 0x1200 rw- -> table sp6");
        String table = TraceTable.render(List.of("ioctl"), List.of(new Step(0, String.join("; ", clauses))), -1, 90, null);
        assertThat(table).contains("SPTE L1[0] gfn 0x200", "SPTE L1[1] gfn 0x201", "... 509 more SPTEs, L1[2..510], changed the same way",
                "SPTE L1[511] gfn 0x3ff", "SPTE L2[1] gfn 0x200").doesNotContain("L1[2] gfn");
        assertThat(table.lines().count()).isLessThan(12);
        // a short run, or one whose changes differ, is kept whole
        List<String> five = clauses.subList(1, 6);
        assertThat(TraceTable.collapseSpteRuns(five)).isEqualTo(five);
        List<String> mixed = new ArrayList<>(clauses.subList(1, 7));
        mixed.set(3, mixed.get(3).replace("r-x", "---"));
        assertThat(TraceTable.collapseSpteRuns(mixed)).isEqualTo(mixed);
        List<String> gap = new ArrayList<>(clauses.subList(1, 7));
        gap.remove(3);
        gap.add(clauses.get(8));
        assertThat(TraceTable.collapseSpteRuns(gap)).isEqualTo(gap);
        assertThat(TraceTable.collapseSpteRuns(clauses.subList(1, 7))).hasSize(4)
                .element(2).isEqualTo("... 3 more SPTEs, L1[2..4], changed the same way");
    }

    /**
     * A loop spinning within one step (a cmpxchg retried until the silent-op cap) noted the same
     * clause thousands of times, a line each (trial18: 21,910 lines): a run of equal consecutive
     * clauses is printed once with its count; equal clauses apart, or alternating, are each kept.
     */
    @Test
    void aRunOfTheSameClauseIsPrintedOnceWithItsCount() {
        List<String> clauses = new ArrayList<>(List.of("vCPU 1 write 0x1000: EPT violation"));
        for (int i = 0; i < 21_846; i++) clauses.add("fast_pf_fix_direct_spte: cmpxchg lost the race (SPTE changed)");
        clauses.add("srcu_read_unlock(&kvm->srcu)");
        String table = TraceTable.render(List.of("vcpu 1"), List.of(new Step(0, String.join("; ", clauses))), -1, 100, null);
        assertThat(table).isEqualTo("""
                  step thread  what ran
                  1    vcpu 1  vCPU 1 write 0x1000: EPT violation
                               fast_pf_fix_direct_spte: cmpxchg lost the race (SPTE changed) (x 21,846)
                               srcu_read_unlock(&kvm->srcu)
                """);
        List<String> apart = List.of("read_lock(mmu_lock)", "read_unlock(mmu_lock)", "read_lock(mmu_lock)", "read_unlock(mmu_lock)");
        assertThat(ClauseRuns.collapse(apart)).isEqualTo(apart);
        assertThat(ClauseRuns.collapse(List.of("a", "a", "b", "a"))).containsExactly("a (x 2)", "b", "a");
        assertThat(ClauseRuns.collapse("a; a; a")).isEqualTo("a (x 3)");
    }

    /**
     * A thread that ran no step of the trace gets no column: a two-step lockdep trace of the zapper
     * alone had empty host and vCPU columns beside it (trial8); with one thread left, the vertical
     * layout names it; with two, only their columns.
     */
    @Test
    void threadsThatRanNothingGetNoColumn() {
        String one = TraceTable.render(THREE, STEPS.subList(0, 2), -1, 160, "stale_tlb_at_unlock");
        assertThat(one.lines().findFirst().orElseThrow()).isEqualTo("  step thread    what ran");
        assertThat(one).doesNotContain("host").doesNotContain("vcpu 1");
        String two = TraceTable.render(THREE, STEPS.subList(0, 3), -1, 160, null);
        assertThat(two.lines().findFirst().orElseThrow()).contains("recovery").contains("host").doesNotContain("vcpu 1");
        assertThat(two).as("with the idle thread last, the last column that ran takes what is left")
                .contains("host frees pfn 0x1000");
        fits(two, 160);
        // a shown thread's column is as wide as its name, though its steps are shorter
        String named = TraceTable.render(List.of("nx_huge_page_recovery_worker", "host", "vcpu 1"),
                List.of(new Step(0, "x"), new Step(2, "y")), -1, 160, null);
        assertThat(named.lines().findFirst().orElseThrow()).contains("nx_huge_page_recovery_worker  vcpu 1");
    }

    @Test
    void onlyTheCheckedInvariantIsMarkedTheOthersAreListedOnce() {
        String t = TraceTable.render(THREE, STEPS, -1, 100, "use_after_free");
        assertThat(t).contains("!! use_after_free").doesNotContain("!! stale_tlb_at_unlock")
                .contains("also broken in this trace").contains("stale_tlb_at_unlock at step 2: vCPU 0 caches gfn 0x1");
        String all = TraceTable.render(THREE, STEPS, -1, 100, null);
        assertThat(all).contains("!! use_after_free").contains("!! stale_tlb_at_unlock").doesNotContain("also broken");
    }

    /**
     * A step whose only clause is another invariant's violation keeps a row that points below
     * (trial15: a path without write_lock() failed lock_balance, and the table went from step 3 to
     * step 5 while the list below said "lockdep at step 4").
     */
    @Test
    void aStepWhoseOnlyClauseIsSetAsideKeepsItsRow() {
        List<Step> steps = List.of(
                new Step(0, "mutex_lock(slots_lock)"),
                new Step(0, "!! lockdep: for_each_tdp_mmu_root_yield_safe without mmu_lock"),
                new Step(0, "rcu_read_unlock(); !! lock_balance: releases mmu_lock it does not hold"));
        for (int width : new int[] {60, 160}) {
            String t = TraceTable.render(THREE, steps, -1, width, "lock_balance");
            assertThat(t).contains("2    recovery  (lockdep: see below the table)")
                    .contains("lockdep at step 2: for_each_tdp_mmu_root_yield_safe")
                    .doesNotContain("!! lockdep");
        }
    }

    @Test
    void wrapsAtWordBoundariesAndCutsOnlyWordsLongerThanALine() {
        assertThat(Wrap.wrap(List.of("aaa bbb ccc ddd"), 8)).containsExactly("aaa bbb", "  ccc", "  ddd");
        assertThat(Wrap.wrap(List.of("x", "abcdefghijkl"), 6)).containsExactly("x", "abcdef", "  ghij", "  kl");
        // A word that fits the unindented first line but not a continuation line is not cut (it
        // threw StringIndexOutOfBoundsException: `COLUMNS=80 mmu check examples/ad-bits/invalidated-root.mmu`).
        assertThat(Wrap.wrap(List.of("abcde"), 6)).containsExactly("abcde");
        assertThat(Wrap.wrap(List.of("x abcde"), 6)).containsExactly("x", "  abcd", "  e");
    }

    /**
     * The last step ends with the access that broke the checked invariant: a vCPU's two reads
     * merged into one step (no other thread left) printed the second read's whole fault path below
     * the "!!" line, and listed an invariant it broke afterwards as "also broken" (`mmu check` of a copy of
     * kvm_recover_nx_huge_pages without its flush before the yield). `mmu replay` prints it all.
     */
    @Test
    void theLastStepEndsWithTheAccessThatBrokeTheCheckedInvariant() {
        List<Step> steps = List.of(new Step(0, "write_unlock(mmu_lock)"),
                new Step(2, "vCPU 1 read 0x1000: TLB hit -> pfn 0x1001; !! use_after_free: pfn 0x1001 was freed by "
                        + "the host; !! freed_page_table_walk: vCPU 1 read 0x2000 walks sp3; "
                        + "vCPU 1 read 0x2000: EPT violation; srcu_read_lock(&kvm->srcu)"));
        String t = TraceTable.render(THREE, steps, -1, 100, "use_after_free");
        assertThat(t).contains("!! use_after_free: pfn 0x1001 was freed by the host\n");
        assertThat(t.replaceAll("\\s+", " ")) // wrapped in its column: the other threads ran little
                .contains("(then 3 more events of later accesses in this step: mmu replay prints them)")
                .doesNotContain("read 0x2000").doesNotContain("freed_page_table_walk").doesNotContain("also broken");
        String all = TraceTable.render(THREE, steps, -1, 100, null);
        assertThat(all).contains("read 0x2000").contains("!! freed_page_table_walk");
        String last = TraceTable.render(THREE, steps.subList(0, 1), -1, 100, "use_after_free");
        assertThat(last).doesNotContain("more event");
        // The unlock a stale_tlb_at_unlock is noted before is what breaks it: it stays.
        List<Step> unlock = List.of(new Step(0, "rcu_read_unlock(); !! stale_tlb_at_unlock: vCPU 0 caches gfn 0x1 -> "
                + "pfn 0x1001; write_unlock(mmu_lock); RCU grace period: tdp_mmu_free_sp_rcu_callback frees sp3"));
        assertThat(TraceTable.render(THREE, unlock, -1, 100, "stale_tlb_at_unlock"))
                .contains("write_unlock(mmu_lock)", "RCU grace period").doesNotContain("more event");
    }

    /**
     * A kernel thread's ops merged after the violation are cut too, at the op that follows the one
     * that broke the invariant (the cut knew guest accesses only: srcu_read_unlock stayed below a
     * stale_tlb_at_unlock). The breaking op's own clauses stay: the unlock and its grace period.
     */
    @Test
    void theLastStepEndsWithTheKernelOpThatBrokeTheCheckedInvariant() {
        List<Step> steps = List.of(new Step(0, "rcu_read_unlock(); !! stale_tlb_at_unlock: vCPU 0 caches gfn 0x1 -> "
                + "pfn 0x1001; read_unlock(mmu_lock); RCU grace period: tdp_mmu_free_sp_rcu_callback frees sp3; "
                + "srcu_read_unlock(&kvm->srcu)", List.of(1, 4)));
        String t = TraceTable.render(THREE, steps, -1, 100, "stale_tlb_at_unlock");
        assertThat(t).contains("read_unlock(mmu_lock)", "RCU grace period")
                .contains("(then 1 more event later in this step: mmu replay prints it)")
                .doesNotContain("srcu_read_unlock");
        assertThat(TraceTable.render(THREE, steps, -1, 100, null)).contains("srcu_read_unlock");
    }

    /**
     * Columns share the width by need: a thread with one short step leaves the rest to the other,
     * whose kernel names are then not cut (an even split wrapped NX recovery's first column at 39
     * in 90 columns, `possible_nx_huge_pag` / `es[KVM_TDP_MMU])`, beside a vCPU column with little in it).
     */
    @Test
    void aColumnThatNeedsLittleLeavesTheWidthToTheOthers() {
        List<Step> steps = List.of(new Step(0, "sp = list_first_entry(possible_nx_huge_pages[KVM_TDP_MMU])"),
                new Step(0, "unaccount_nx_huge_page(sp3(L1 gfn 0x0)) with KVM_SHADOW_MMU: nx_lpage_splits=0"),
                new Step(1, "vCPU 1 read 0x1000: TLB hit"));
        String t = TraceTable.render(List.of("recovery", "vcpu 1"), steps, -1, 100, null);
        fits(t, 100);
        assertThat(t).contains("  1    sp = list_first_entry(possible_nx_huge_pages[KVM_TDP_MMU])\n")
                .contains("vCPU 1 read 0x1000: TLB hit\n").doesNotContain("what ran");
        // Too narrow for a column to hold its longest name: one step per line, names whole.
        List<Step> names = List.of(new Step(0, "possible_nx_huge_pages[KVM_SHADOW_MMU].nr_pages=18446744073709551615"),
                new Step(1, "vCPU 1 read 0x1000: walk -> 4K pfn 0x1002, TLB filled; srcu_read_unlock(&kvm->srcu)"));
        String v = TraceTable.render(List.of("recovery", "vcpu 1"), names, -1, 90, null);
        fits(v, 90);
        assertThat(v).contains("what ran").contains("possible_nx_huge_pages[KVM_SHADOW_MMU].nr_pages=18446744073709551615\n");
    }

    /**
     * Columns that would wrap the steps into more lines than one step per line are not used: a
     * memslot delete's clauses in a 41-wide column beside a vCPU's one access took ten lines for a
     * step that reads in six (trial7's livelock, 90 columns).
     */
    @Test
    void columnsThatWrapMoreThanOneStepPerLineGoVertical() {
        List<Step> steps = List.of(new Step(1, "vCPU 1 read 0x1000: TLB hit -> pfn 0x1001"),
                new Step(0, "mutex_lock(slots_lock); kvm_invalidate_memslot: memslot 1 KVM_MEMSLOT_INVALID; "
                        + "synchronize_srcu: no srcu readers left; write_lock(mmu_lock); "
                        + "kvm->arch.mmu_valid_gen = 1: every shadow page made before is obsolete; "
                        + "KVM_REQ_MMU_FREE_OBSOLETE_ROOTS made on every vCPU"));
        String t = TraceTable.render(List.of("vmm", "vcpu 1"), steps, -1, 90, null);
        fits(t, 90);
        assertThat(t).contains("what ran").contains("kvm->arch.mmu_valid_gen = 1: every shadow page made before is obsolete\n");
        assertThat(t.lines().count()).isEqualTo(1 + 1 + 6);
    }
}
