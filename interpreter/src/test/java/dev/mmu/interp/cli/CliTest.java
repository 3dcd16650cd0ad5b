package dev.mmu.interp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.paths.Prelude;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

class CliTest {
    @TempDir
    Path dir;

    private String out;
    private String err;

    private int run(String... args) {
        CliRun r = CliRun.of(args);
        out = r.out();
        err = r.err();
        return r.code();
    }

    private static Path seed(String name) {
        return Path.of("src/test/resources/seed", name);
    }

    @Test
    void showPrintsTheKernelPathOfTheChosenVersion() {
        assertThat(run("show", "kvm_recover_nx_huge_pages", "--kernel", "5.10")).isZero();
        assertThat(out).contains("# kvm_recover_nx_lpages() (v5.10").contains("path kvm_recover_nx_huge_pages() {")
                .contains("tdp_zap_range(sp.gfn, sp.gfn_end, flush: false, can_yield: true)");
        // latest, the default, is today's tree: 7.2's recovery takes the MMU type, from kernel/'s files.
        assertThat(run("show", "kvm_recover_nx_huge_pages")).isZero();
        assertThat(out).contains("path kvm_recover_nx_huge_pages(mmu_type: int) {");
        assertThat(run("show", "--kernel", "6.12")).isZero();
        assertThat(out).contains("kvm_recover_nx_huge_pages  (kernel/6.12/mmu.mmu)", "kvm_tdp_mmu_map  (kernel/tdp_mmu.mmu)");
        assertThat(run("show")).isZero();
        assertThat(out).contains("kvm_recover_nx_huge_pages  (kernel/mmu.mmu)", "kvm_tdp_mmu_map  (kernel/tdp_mmu.mmu)");
        // by file, then in the file's order: kvm_tdp_mmu_page_fault calls kvm_tdp_mmu_map below it
        assertThat(out).containsSubsequence("(kernel/kvm_main.mmu)", "(kernel/mmu.mmu)", "(kernel/tdp_mmu.mmu)",
                "(kernel/x86.mmu)");
        assertThat(out.lines().filter(l -> l.endsWith("(kernel/kvm_main.mmu)")).count())
                .isEqualTo(out.lines().takeWhile(l -> l.endsWith("(kernel/kvm_main.mmu)")).count());
        assertThat(run("show", "host_free")).isZero();
        assertThat(out).contains("path host_free(range: range) {", "host_free_pages(range.start, range.end)");
        assertThat(run("show", "vcpu_enter_guest")).isZero();
        assertThat(out).contains("path vcpu_enter_guest(vcpu_id: int, guest_mode: bool) {", "kvm_mmu_reload(vcpu_id, guest_mode)");
        assertThat(run("show", "direct_map")).isZero();
        assertThat(out).contains("path direct_map(fault: fault) {", "for it in for_each_shadow_entry(fault) {",
                "link_shadow_page(fault, it)");
        assertThat(run("show", "kvm_recover_nx_huge_page")).isEqualTo(2);
        assertThat(err).contains("did you mean 'kvm_recover_nx_huge_pages'");
        assertThat(run("show", "kvm_recover_nx_huge_pages", "--kernel", "4.19")).isEqualTo(2);
        assertThat(err).contains("unknown kernel version '4.19'");
    }

    /**
     * The kernel names a patch changes that are primitives here (tdp_mmu_iter_cond_resched) lead to
     * what they model, and to the prelude loop around them; a name close to a prelude path's
     * (kvm_tdp_mmu_zap_leafs) to that path: `show` said "no kernel path" and suggested kvm_tdp_mmu_map.
     */
    @Test
    void showLeadsFromAPrimitivesNameToWhatItModels() {
        assertThat(run("show", "tdp_mmu_iter_cond_resched")).isZero();
        assertThat(out).startsWith("# tdp_mmu_iter_cond_resched is a primitive").contains("tdp_mmu_iter_cond_resched(flush: bool) -> bool");
        assertThat(out.replaceAll("\\s+#\\s+", " ")).contains("as the prelude's tdp_mmu_zap_leafs does (mmu show tdp_mmu_zap_leafs).");
        assertThat(out.lines()).allMatch(l -> l.startsWith("# ") && l.length() <= 100);
        assertThat(run("show", "kvm_tdp_mmu_zap_leafs")).isEqualTo(2);
        assertThat(err.replaceAll("\\s+", " ")).contains("did you mean 'tdp_mmu_zap_leafs'?");
        // The kernel's name of a primitive shows the primitive (it said "did you mean 'kvm_tdp_mmu_map'?").
        assertThat(run("show", "kvm_tdp_mmu_zap_sp")).isZero();
        assertThat(out).startsWith("# kvm_tdp_mmu_zap_sp is the primitive tdp_zap_sp here:\n# tdp_zap_sp is a primitive")
                .contains("tdp_zap_sp(sp: shadow page) -> bool");
    }

    /**
     * A one-step primitive whose kernel function the prelude now writes out (commit_zap, which
     * kvm_mmu_commit_zap_page() replaced) leads to that path, not to "a path calls it".
     */
    @Test
    void showLeadsFromAWrittenOutPrimitiveToItsPath() {
        assertThat(run("show", "commit_zap")).isZero();
        assertThat(out.replaceAll("\\s+#\\s+", " ")).contains("the prelude writes kvm_mmu_commit_zap_page() out as a path;"
                + " a patch edits the copy `mmu show kvm_mmu_commit_zap_page` prints.").doesNotContain("a path calls it");
        assertThat(run("show", "commit_zap", "--kernel", "5.10")).isZero();
        assertThat(out.replaceAll("\\s+#\\s+", " ")).contains("`mmu show kvm_mmu_commit_zap_page --kernel 5.10` prints.");
        assertThat(run("show", "kvm_mmu_commit_zap_page")).isZero();
        assertThat(out).contains("path kvm_mmu_commit_zap_page(");
    }

    /**
     * tdp_mmu_map_handle_target_level() is prelude source a maintainer copies (it was a primitive):
     * 7.2's with v6.13's early return, 6.12's without it and with the flush on a table only.
     */
    @Test
    void showPrintsTdpMmuMapHandleTargetLevelOfEachVersion() {
        assertThat(run("show", "tdp_mmu_map_handle_target_level")).isZero();
        assertThat(out).contains("path tdp_mmu_map_handle_target_level(fault: fault, iter: iter) {")
                .contains("if is_shadow_present_pte(iter.old_spte) && is_access_allowed(fault, iter.old_spte)"
                        + " && is_last_spte(iter.old_spte, iter.level) {")
                .contains("let new_spte = make_spte(fault, iter)")
                .contains("} else if tdp_mmu_set_spte_atomic(iter, new_spte) != 0 {")
                .contains("leaf_spte_change_needs_tlb_flush(iter.old_spte, new_spte)")
                .contains("kvm_flush_remote_tlbs_gfn(iter.gfn, iter.level)");
        assertThat(run("show", "tdp_mmu_map_handle_target_level", "--kernel", "6.12")).isZero();
        assertThat(out).contains("(v6.12, tdp_mmu.c:1017)").doesNotContain("is_access_allowed(fault")
                .contains("} else if is_shadow_present_pte(iter.old_spte) && !is_last_spte(iter.old_spte, iter.level) {");
        assertThat(run("show", "tdp_mmu_map_handle_target_level", "--kernel", "5.10")).isZero();
        assertThat(out).as("5.10 runs 6.12's").contains("(v6.12, tdp_mmu.c:1017)");
    }

    /**
     * kernel 7.3 (v7.3-rc7, for a patch against kvm/next) runs 7.3's text where it differs:
     * tdp_mmu_map_handle_target_level()'s early return asks spte_permission_fault(); a function 7.3
     * did not change is 7.2's, and show says so; an unknown version lists 7.3 among the known.
     */
    @Test
    void showPrintsSevenThreesTextWhereItDiffers() {
        assertThat(run("show", "tdp_mmu_map_handle_target_level", "--kernel", "7.3")).isZero();
        assertThat(out).contains("(v7.3-rc7, tdp_mmu.c:1121)")
                .contains("if is_shadow_present_pte(iter.old_spte) && !spte_permission_fault(iter.old_spte, fault)"
                        + " && is_last_spte(iter.old_spte, iter.level) {")
                .doesNotContain("is_access_allowed(fault, iter.old_spte) &&")
                .contains("kvm_flush_remote_tlbs_gfn(iter.gfn, iter.level)");
        assertThat(err).isEmpty();
        assertThat(run("show", "kvm_tdp_mmu_map", "--kernel", "7.3")).isZero();
        assertThat(out).contains("path kvm_tdp_mmu_map(fault: fault) {");
        assertThat(err).contains("the prelude has no 7.3 variant of kvm_tdp_mmu_map: `vm { kernel 7.3 }` runs 7.2's")
                .contains("\"Kernel 7.3\"");
        assertThat(run("show", "kvm_tdp_mmu_map", "--kernel", "7.4")).isEqualTo(2);
        assertThat(err).contains("unknown kernel version '7.4'").contains("5.10, 5.12, 6.12, 6.18, 7.2, 7.3 and latest (7.2)");
    }

    /**
     * v7.3-rc7's patches change kernel functions the model has inside a primitive or a path
     * (is_access_allowed() became spte_permission_fault(); kvm_rmap_age_gfn_range()): show says
     * where, where it said "no kernel path" with no lead, or "did you mean 'kvm_zap_gfn_range'?".
     */
    @Test
    void showSaysWhichPathOrPrimitiveHasAKernelFunctionInside() {
        assertThat(run("show", "is_access_allowed")).isEqualTo(2);
        // tdp_mmu_map_handle_target_level is prelude source: show prints it, the first
        assertThat(err.replaceAll("\\s+", " ")).contains("mmu: the prelude has no kernel path 'is_access_allowed'; the model"
                + " has it inside tdp_mmu_map_handle_target_level, kvm_tdp_mmu_fast_pf_get_last_sptep (a primitive): `mmu"
                + " show tdp_mmu_map_handle_target_level` prints the first");
        assertThat(err.lines()).allMatch(l -> l.length() <= 100);
        assertThat(run("show", "spte_permission_fault")).isEqualTo(2);
        assertThat(err.replaceAll("\\s+", " ")).contains("inside kvm_tdp_mmu_fast_pf_get_last_sptep (a primitive)");
        // 6.12's rmap aging (kvm_test_age_rmap) is inside its one-step locked walk
        assertThat(run("show", "kvm_test_age_rmap")).isEqualTo(2);
        assertThat(err.replaceAll("\\s+", " ")).contains("inside kvm_tdp_mmu_test_age_gfn (a primitive)")
                .doesNotContain("did you mean");
        // A function a prelude path names in its comment: 7.2 writes this one into the slot zap.
        assertThat(run("show", "kvm_mmu_zap_memslot_pages_and_flush")).isEqualTo(2);
        assertThat(err.replaceAll("\\s+", " ")).contains("inside kvm_mmu_zap_memslot, kvm_arch_flush_shadow_memslot:"
                + " `mmu show kvm_mmu_zap_memslot` prints the first");
        // No path or primitive names it: as before, the nearest spelling.
        assertThat(run("show", "kvm_recover_nx_huge_page")).isEqualTo(2);
        assertThat(err).isEqualTo("mmu: the prelude has no kernel path 'kvm_recover_nx_huge_page'; did you mean"
                + " 'kvm_recover_nx_huge_pages'?\n");
    }

    /**
     * freed_page_mapped is structural, so its counterexample ended at "host frees pfn 0x1000" with
     * no line saying which SPTE still maps the page; the step now says it (in the trace only).
     */
    @Test
    void aFreedPageMappedCounterexampleNamesTheSpte() {
        assertThat(run("check", "--strategy", "bfs", "../examples/invariants/freed_page_mapped.mmu")).isZero();
        assertThat(out).contains("host frees pfn 0x1000", "!! freed_page_mapped: SPTE L1[1] gfn 0x1 maps pfn 0x1000,"
                + " which the host freed");
    }

    /** A kernel function a patch edits prints as source: tdp_mmu_zap_leafs was a primitive until the tenth session. */
    @Test
    void showPrintsTdpMmuZapLeafsAsSource() {
        assertThat(run("show", "tdp_mmu_zap_leafs")).isZero();
        assertThat(out).contains("path tdp_mmu_zap_leafs(root: root, start: int, end: int, can_yield: bool, flush: bool) -> bool {")
                .contains("tdp_mmu_iter_cond_resched(flush)").contains("return flush");
    }

    @Test
    void showSaysWhenAVersionRunsTheSharedFilesSource() {
        assertThat(run("show", "kvm_recover_nx_huge_pages", "--kernel", "5.10")).isZero();
        assertThat(err).isEmpty();
        // kvm_tdp_mmu_map's comment says v7.2: the user asked for 5.10 and must learn it is the same source.
        assertThat(run("show", "kvm_tdp_mmu_map", "--kernel", "5.10")).isZero();
        assertThat(out).contains("path kvm_tdp_mmu_map(");
        assertThat(err).contains("no 5.10 variant of kvm_tdp_mmu_map").contains("runs " + Prelude.SHARED + "'s, printed above");
        // 6.12 runs 7.2's text here: said, with where the 7.2 audit is.
        assertThat(run("show", "kvm_tdp_mmu_map", "--kernel", "6.12")).isZero();
        assertThat(err).contains("no 6.12 variant of kvm_tdp_mmu_map: `vm { kernel 6.12 }` runs 7.2's, printed above")
                .contains("Kernel 7.2 audit");
        // The default is today's tree, whose text kernel/'s files are: nothing to say.
        assertThat(run("show", "kvm_tdp_mmu_map")).isZero();
        assertThat(out).contains("# kvm_tdp_mmu_map(vcpu, fault) (v7.2, tdp_mmu.c:1216)");
        assertThat(err).isEmpty();
    }

    /**
     * 5.10 runs 6.12's locked aging (its folder is laid over 6.12's): show prints 6.12's function and
     * says so; 6.18 runs 7.2's recovery.
     */
    @Test
    void showSaysWhenAVersionRunsItsBasesOrTodaysSource() {
        assertThat(run("show", "kvm_mmu_notifier_clear_young", "--kernel", "5.10")).isZero();
        assertThat(out).contains("# kvm_mmu_notifier_clear_young() (v6.12)").contains("lock write");
        assertThat(err).contains("no 5.10 variant of kvm_mmu_notifier_clear_young").contains("runs 6.12's, printed above")
                .doesNotContain("audit");
        assertThat(run("show", "kvm_recover_nx_huge_pages", "--kernel", "6.18")).isZero();
        assertThat(out).contains("path kvm_recover_nx_huge_pages(mmu_type: int) {");
        assertThat(err).contains("no 6.18 variant of kvm_recover_nx_huge_pages").contains("runs 7.2's, printed above");
        assertThat(run("show", "kvm_recover_nx_huge_pages", "--kernel", "7.2")).isZero();
        assertThat(err).isEmpty();
    }

    /** A name v6.13 renamed: show says which name the version has and how to print each. */
    @Test
    void showNamesTheVersionsOwnNameOfARenamedPrimitive() {
        assertThat(run("show", "kvm_mmu_invalidate_begin")).isEqualTo(2);
        assertThat(err).contains("primitive 'kvm_mmu_invalidate_begin' is the name of kernel 5.10-6.12: kernel 7.2 calls it"
                + " 'kvm_mmu_invalidate_start': `mmu show kvm_mmu_invalidate_start` prints it, `mmu show kvm_mmu_invalidate_begin"
                + " --kernel 6.12` 6.12's");
        assertThat(run("show", "kvm_tdp_mmu_invalidate_roots", "--kernel", "5.10")).isEqualTo(2);
        assertThat(err).contains("kernel 5.10 calls it 'kvm_tdp_mmu_invalidate_all_roots': `mmu show"
                + " kvm_tdp_mmu_invalidate_all_roots --kernel 5.10` prints it");
        assertThat(run("show", "kvm_tdp_mmu_invalidate_all_roots", "--kernel", "6.12")).isZero();
        assertThat(out).contains("models kvm_tdp_mmu_invalidate_all_roots (v6.12)");
        assertThat(run("show", "kvm_tdp_mmu_invalidate_roots")).isZero();
        assertThat(out).contains("models kvm_tdp_mmu_invalidate_roots (v7.2, v7.3)");
    }

    @Test
    void showNamesTheVersionsOwnNameOfARenamedFunction() {
        assertThat(run("show", "kvm_mmu_zap_collapsible_sptes")).isEqualTo(2);
        assertThat(err).contains("kernel path 'kvm_mmu_zap_collapsible_sptes' is the kernel's name before v6.13: kernel 7.2"
                + " calls it 'kvm_mmu_recover_huge_pages': `mmu show kvm_mmu_recover_huge_pages` prints it,"
                + " `mmu show kvm_mmu_zap_collapsible_sptes --kernel 6.12` 6.12's");
        assertThat(run("show", "kvm_mmu_recover_huge_pages", "--kernel", "5.12")).isEqualTo(2);
        assertThat(err).contains("kernel 5.12 calls it 'kvm_mmu_zap_collapsible_sptes': `mmu show kvm_mmu_zap_collapsible_sptes"
                + " --kernel 5.12` prints it");
        assertThat(run("show", "kvm_mmu_zap_collapsible_sptes", "--kernel", "6.12")).isZero();
        assertThat(out).contains("path kvm_mmu_zap_collapsible_sptes(slot: int) {");
    }

    @Test
    void preFixSeedShowsTheUseAfterFreeInKernelWords() {
        int code = run("check", seed("seed-yield-pre-fix.mmu").toString());
        assertThat(code).isZero();
        assertThat(out).contains("PASS    expect violation use_after_free")
                .contains("TLB hit -> pfn 0x1001")
                .contains("!! use_after_free")
                .contains("host frees pfns 0x1000..0x11ff") // a 2M backing page
                .contains("replay: mmu replay");
    }

    /**
     * vCPUs 1 and 2 read other 2M regions and take no part in the stale TLB entry. Once they have
     * read, recovery's zap runs in fewer steps (nothing is left to tell its ops apart), so the
     * fewest steps went through their reads; the trace leaves them out (fewer kernel steps) and replays.
     */
    @Test
    void theShortestTraceLeavesOutVcpusThatTakeNoPart() throws IOException {
        Path f = dir.resolve("bystanders.mmu");
        Files.writeString(f, """
                path recover() {
                  lock read srcu
                  lock write
                  for sp in lpage_disallowed take 1 {
                    tdp_zap_range(sp.gfn, sp.gfn_end, flush: false, can_yield: true)
                  }
                  commit_zap()
                  unlock
                  unlock srcu
                }

                scenario "bystanders" {
                  vm { mmu tdp  nx_huge_pages on  preempt none  kernel 6.12 }
                  memslot 0 { gpa 0x0 size 6M backing 2M }
                  vcpus 3
                  setup {
                    vcpu 0 exec 0x1000
                    vcpu 0 exec 0x201000
                    vcpu 0 exec 0x401000
                    lock write
                    flush_remote_tlbs()
                    unlock
                  }
                  thread recovery { recover }
                  thread vcpu 0 { read 0x1000 }
                  thread vcpu 1 { read 0x401000 }
                  thread vcpu 2 { read 0x201000 }
                  expect never stale_tlb_at_unlock
                }
                """);
        assertThat(run("check", f.toString())).isEqualTo(1);
        assertThat(out).contains("!! stale_tlb_at_unlock").contains("vCPU 0 read 0x1000")
                .doesNotContain("vCPU 1 read").doesNotContain("vCPU 2 read");
        String token = out.replaceAll("(?s).*--schedule (\\S+).*", "$1");
        assertThat(run("replay", f.toString(), "--schedule", token)).as(out).isZero();
        assertThat(out).contains("!! stale_tlb_at_unlock");
    }

    @Test
    void fixedSeedHolds() {
        assertThat(run("check", seed("seed-yield-fixed.mmu").toString())).isZero();
        assertThat(out).contains("PASS    expect never use_after_free").doesNotContain("!!");
    }

    @Test
    void aFailingExpectationExitsOneWithATrace() throws IOException {
        String text = Files.readString(seed("seed-yield-pre-fix.mmu"))
                .replace("expect violation use_after_free", "expect never use_after_free");
        Path f = dir.resolve("broken.mmu");
        Files.writeString(f, text);
        assertThat(run("check", f.toString())).isEqualTo(1);
        assertThat(out).contains("FAIL    expect never use_after_free").contains("counterexample");
    }

    /**
     * examples/tdp/forward-progress.mmu: without the forward-progress guard two write-protect walks
     * livelock (a fair cycle in which both yield and restart), in every preemption build.
     */
    @ParameterizedTest
    @ValueSource(strings = {"full", "voluntary", "none"})
    void unguardedWalksLivelockInEveryPreemptionModel(String preempt) throws IOException {
        String text = Files.readString(Path.of("../examples/tdp/forward-progress.mmu"))
                .replaceFirst(Pattern.quote("expect final !spte(0x0).writable && !spte(0x1000).writable"),
                        "expect terminates")
                .replace("nx_huge_pages off }", "nx_huge_pages off  preempt " + preempt + " }");
        Path f = dir.resolve("livelock.mmu");
        Files.writeString(f, text);
        assertThat(run("check", f.toString())).isEqualTo(1);
        assertThat(out).contains("FAIL    expect terminates  (fair cycle (weak fairness): a, b step in it")
                .contains("PASS    " + f + "  \"with the guard both walks finish\"");
    }

    /**
     * Two threads walking lpage_disallowed under the read lock: one may empty the list between the
     * other's list_empty() check and its list_first_entry(). That crashed the explorer (exit 3); the
     * walk without mmu_lock held for write or tdp_mmu_pages_lock is a lockdep violation.
     */
    @Test
    void racingReadLockWalksOfLpageDisallowedAreALockdepViolation() throws IOException {
        Path f = dir.resolve("walks.mmu");
        String walk = """
                  thread %s {
                    lock read
                    for sp in lpage_disallowed take 1 {
                      unaccount_nx(sp)
                    }
                    unlock
                  }
                """;
        Files.writeString(f, """
                scenario "two readers walk lpage_disallowed" {
                  vm { nx_huge_pages on  nx_recovery_ratio 1  kernel 6.12 }
                  memslot 0 { gpa 0x0  size 4M  backing 2M }
                  setup { vcpu 0 exec 0x1000 }
                """ + walk.formatted("a") + walk.formatted("b") + """
                  expect never stats_consistent
                  expect never lockdep
                }
                """);
        assertThat(run("check", "--strategy", "bfs", f.toString())).isEqualTo(1);
        assertThat(out).contains("PASS    expect never stats_consistent", "FAIL    expect never lockdep")
                .contains("!! lockdep: sp =", "list_first_entry(lpage_disallowed)", "tdp_mmu_pages_lock")
                .doesNotContain("internal error");
    }

    /** unaccount_nx of a page the zap before it unaccounted and freed: nothing (it crashed, exit 3). */
    @Test
    void unaccountOfAZappedPageDoesNothing() throws IOException {
        Path f = dir.resolve("unaccount.mmu");
        Files.writeString(f, """
                path zap_then_unaccount() {
                  lock write
                  for sp in lpage_disallowed take 1 {
                    let flush = tdp_zap_sp(sp)
                    unaccount_nx(sp)
                  }
                  flush_remote_tlbs()
                  unlock
                }
                scenario "unaccount_nx of a page that was just zapped" {
                  vm { nx_huge_pages on  kernel 6.12 }
                  memslot 0 { gpa 0x0 size 2M backing 2M }
                  setup { vcpu 0 exec 0x0 }
                  thread t { zap_then_unaccount() }
                  expect never stats_consistent
                  expect final lpage_disallowed.len == 0 && stat.nx_lpage_splits == 0
                }
                """);
        assertThat(run("check", f.toString())).isZero();
    }

    /** Expectation texts in reports kept their operators but dropped the parentheses (D12). */
    @Test
    void reportsPrintExpressionsWithTheirParentheses() throws IOException {
        Path f = dir.resolve("parens.mmu");
        Files.writeString(f, """
                scenario "p" {
                  memslot 0 { gpa 0x0 size 2M }
                  thread vcpu 0 { read 0x1000 }
                  expect always !(stat.pages_4k == 1 && false)
                  expect final -(1 - 2) == 1
                }
                """);
        assertThat(run("check", f.toString())).isZero();
        assertThat(out).contains("PASS    expect always !(stat.pages_4k == 1 && false)")
                .contains("PASS    expect final -(1 - 2) == 1");
    }

    @Test
    void badInputGetsFileLineColAndCaretAndExitTwo() throws IOException {
        Path f = dir.resolve("bad.mmu");
        Files.writeString(f, "scenario \"s\" {\n  vcpus 1\n  thread t { kvm_recover_nx_lpagez }\n}\n");
        assertThat(run("check", f.toString())).isEqualTo(2);
        assertThat(err).contains(f + ":3:14: error:").contains("kvm_recover_nx_lpages").contains("^");
        assertThat(err).doesNotContain("Exception");
    }

    @Test
    void aFileWithNoScenarioIsNotASilentPass() throws IOException {
        Path f = dir.resolve("paths-only.mmu");
        Files.writeString(f, "# kvm_recover_nx_huge_pages() as `mmu show` printed it\npath p() {\n  lock write\n  unlock\n}\n");
        assertThat(run("check", f.toString())).isEqualTo(2);
        // At the path, with what runs one: `mmu show NAME > patch.mmu; mmu check patch.mmu` is how one starts.
        assertThat(err).startsWith(f + ":2:6: error: no scenario to check in this file").contains("thread")
                .contains("examples/nx/patch-check.mmu").contains("\npath p() {\n     ^\n");
    }

    @Test
    void replayPrintsTheSameTrace() {
        run("check", seed("seed-yield-pre-fix.mmu").toString());
        String token = out.lines().filter(l -> l.contains("--schedule")).findFirst().orElseThrow()
                .replaceAll(".*--schedule ", "");
        String checkOut = out;
        assertThat(run("replay", seed("seed-yield-pre-fix.mmu").toString(), "--schedule", token)).isZero();
        assertThat(out).contains("!! use_after_free");
        String lastStep = checkOut.lines().filter(l -> l.contains("TLB hit")).findFirst().orElseThrow();
        assertThat(out).contains(lastStep.strip());
    }

    @Test
    void replayOfOneStepSaysStep() {
        assertThat(run("replay", seed("seed-yield-pre-fix.mmu").toString(), "--schedule", "0")).isZero();
        assertThat(out).contains("1 step after setup:").doesNotContain("1 steps");
    }

    @Test
    void badScheduleIsBadInput() {
        assertThat(run("replay", seed("seed-yield-pre-fix.mmu").toString(), "--schedule", "9.9.9")).isEqualTo(2);
        assertThat(err).contains("bad schedule");
    }

    @Test
    void fmtCheckNamesFilesThatWouldChangeAndExitsOne() throws IOException {
        Path messy = dir.resolve("messy.mmu");
        Path tidy = dir.resolve("tidy.mmu");
        Files.writeString(messy, "scenario \"s\" {\n    vcpus   1   # one\n}\n");
        Files.writeString(tidy, "scenario \"s\" {\n  vcpus 1  # one\n}\n");
        assertThat(run("fmt", "--check", messy.toString(), tidy.toString())).isEqualTo(1);
        assertThat(out).contains(messy.toString()).doesNotContain(tidy.toString());
        assertThat(Files.readString(messy)).contains("vcpus   1");
    }

    @Test
    void fmtCheckSearchesFoldersLikeMmuTest() throws IOException {
        Path sub = Files.createDirectories(dir.resolve("nx"));
        Files.writeString(sub.resolve("messy.mmu"), "scenario \"s\" {\n    vcpus   1\n}\n");
        Files.writeString(dir.resolve("tidy.mmu"), "scenario \"s\" {\n  vcpus 1\n}\n");
        Files.createDirectories(dir.resolve("target"));
        Files.writeString(dir.resolve("target/skipped.mmu"), "scenario \"s\" {\n    vcpus   1\n}\n");
        assertThat(run("fmt", "--check", dir.toString())).isEqualTo(1);
        assertThat(out).isEqualTo(sub.resolve("messy.mmu") + "\n");
        assertThat(run("fmt", "--check", Files.createDirectories(dir.resolve("empty")).toString())).isEqualTo(2);
        assertThat(err).contains("no .mmu files");
    }

    @Test
    void fmtRewritesInPlaceAndThenChecksClean() throws IOException {
        Path messy = dir.resolve("messy.mmu");
        Files.writeString(messy, "scenario \"s\" {\n    vcpus   1   # one\n}\n");
        var perms = java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--");
        Files.setPosixFilePermissions(messy, perms);
        assertThat(run("fmt", messy.toString())).isZero();
        assertThat(Files.readString(messy)).isEqualTo("scenario \"s\" {\n  vcpus 1  # one\n}\n");
        assertThat(Files.getPosixFilePermissions(messy)).isEqualTo(perms);
        assertThat(run("fmt", "--check", messy.toString())).isZero();
        try (var files = Files.list(dir)) {
            assertThat(files).containsExactly(messy); // no temporary file left behind
        }
    }

    /**
     * trial18: `mmu fmt FILE` rewrote the file without a word, so a user who ran it to see the
     * canonical form had their file changed unawares. Now each file rewritten is named on stderr
     * and the ones already formatted are counted; stdout stays empty (it is --check's list), the
     * exit code 0, and --check says what it said before.
     */
    @Test
    void fmtSaysWhichFilesItRewrote() throws IOException {
        Path messy = dir.resolve("messy.mmu");
        Path tidy = dir.resolve("tidy.mmu");
        Path tidier = dir.resolve("tidier.mmu");
        Files.writeString(messy, "scenario \"s\" {\n    vcpus   1\n}\n");
        Files.writeString(tidy, "scenario \"s\" {\n  vcpus 1\n}\n");
        Files.writeString(tidier, "scenario \"t\" {\n  vcpus 2\n}\n");
        assertThat(run("fmt", messy.toString(), tidy.toString(), tidier.toString())).isZero();
        assertThat(out).isEmpty();
        assertThat(err).isEqualTo("mmu fmt: reformatted " + messy + "\nmmu fmt: 2 files already formatted\n");
        assertThat(run("fmt", messy.toString())).isZero();
        assertThat(out).isEmpty();
        assertThat(err).isEqualTo("mmu fmt: 1 file already formatted\n");
        Files.writeString(messy, "scenario \"s\" {\n    vcpus   1\n}\n");
        assertThat(run("fmt", "--check", messy.toString(), tidy.toString())).isEqualTo(1);
        assertThat(out).isEqualTo(messy + "\n");
        assertThat(err).isEmpty();
    }

    @Test
    void fmtRefusesAFileWithSyntaxErrors() throws IOException {
        Path bad = dir.resolve("bad.mmu");
        String text = "scenario \"s\" {\n  vcpus\n";
        Files.writeString(bad, text);
        assertThat(run("fmt", bad.toString())).isEqualTo(2);
        assertThat(err).contains(bad + ":").contains("error:");
        assertThat(Files.readString(bad)).isEqualTo(text);
    }

    @Test
    void explainPrintsTheCheckedScenarioAndExitsZero() {
        assertThat(run("explain", seed("seed-yield-pre-fix.mmu").toString())).isZero();
        assertThat(out).contains("slot 0  gpa 0x0 .. 0x400000  gfn 0x0 .. 0x400")
                .contains("mmu_notifier_invalidate: kernel path, models kvm_mmu_notifier_invalidate_range_start")
                .contains("path recover_nx_lpages_pre_fix() {");
        // fitted to the terminal (100 columns without one), as the reports are: lines ran to 200
        assertThat(out.lines()).allSatisfy(l -> assertThat(l.length()).as(l).isLessThanOrEqualTo(100));
    }

    @Test
    void explainOfABadFileIsBadInput() throws IOException {
        Path f = dir.resolve("bad.mmu");
        Files.writeString(f, "scenario \"s\" {\n  thread t { kvm_recover_nx_lpagez }\n}\n");
        assertThat(run("explain", f.toString())).isEqualTo(2);
        assertThat(err).contains(f + ":2:14: error:");
    }

    @Test
    void explainOfAFileOfPathsSaysSo() throws IOException {
        Path f = dir.resolve("lib.mmu");
        Files.writeString(f, "path p() { lock write; unlock }\n");
        assertThat(run("explain", f.toString())).isZero();
        assertThat(out).contains("declares no scenario");
    }

    @Test
    void everySubcommandPrintsItsHelp() {
        for (String cmd : new String[] {"check", "test", "merge", "replay", "fmt", "explain"}) {
            assertThat(run(cmd, "--help")).as(cmd).isZero();
            assertThat(out).as(cmd).startsWith("Usage: mmu " + cmd);
            // A value is named as the help's other options name theirs (N, DIR, DURATION): it
            // read --max-states=<maxStates>, the Java field's name.
            assertThat(out).as(cmd).doesNotContainPattern("<[a-z]+[A-Z][A-Za-z]*>|=<[a-z]+>");
            assertThat(run("help", cmd)).as("help " + cmd).isZero();
            assertThat(out).as("help " + cmd).startsWith("Usage: mmu " + cmd);
        }
    }

    @Test
    void helpListsTheExitCodes() {
        for (String[] args : new String[][] {{"--help"}, {"check", "--help"}, {"test", "--help"}}) {
            assertThat(run(args)).isZero();
            assertThat(out).as(String.join(" ", args)).contains("Exit codes:").contains("1   an expectation failed")
                    .contains("2   bad input").contains("4   UNKNOWN");
        }
    }

    @Test
    void aMistypedSubcommandGetsDidYouMean() {
        assertThat(run("chek", "x.mmu")).isEqualTo(2);
        assertThat(err).contains("Did you mean").contains("check");
    }

    /**
     * A yield in a TDP walk says where the walk is and whether it flushed (a bare
     * "tdp_mmu_iter_cond_resched" step did not: maintainer-workflow review), and a walk that
     * does not yield says why (the forward-progress guard before the walk moved).
     */
    @Test
    void condReschedStepsSayWhereTheWalkIsAndWhetherItFlushed() {
        assertThat(run("check", "--strategy", "bfs", "../examples/tdp/zap-leafs-yield.mmu")).isZero();
        String flat = out.replaceAll("\\s+", " ");
        assertThat(flat).contains("tdp_mmu_iter_cond_resched at gfn 0x0 level 4: no yield (next_last_level_gfn == yielded_gfn)")
                .contains("tdp_mmu_iter_cond_resched at gfn 0x1 level 1: need_resched, no flush owed, yield rcu_read_unlock()");
        assertThat(run("check", "--strategy", "bfs", "../examples/tdp/notifier-yields.mmu")).isZero();
        assertThat(out.replaceAll("\\s+", " ")).contains(
                "tdp_mmu_iter_cond_resched at gfn 0x200 level 2: need_resched, flush owed, yield kvm_flush_remote_tlbs");
    }

}
