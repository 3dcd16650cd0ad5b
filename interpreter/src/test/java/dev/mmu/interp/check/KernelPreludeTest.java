package dev.mmu.interp.check;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.interp.diag.Diagnostics;
import dev.mmu.interp.fmt.Formatter;
import dev.mmu.interp.parse.SourceParser;
import dev.mmu.runtime.paths.Prelude;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class KernelPreludeTest {
    private final Frontend frontend = new Frontend();

    @Test
    void everyVersionOfThePreludeParsesAndChecks() {
        for (String v : Prelude.VERSIONS) {
            assertThat(KernelPrelude.paths(v)).as(v).containsKeys("kvm_recover_nx_huge_pages", "kvm_recover_nx_lpages",
                    "kvm_flush_remote_tlbs");
        }
    }

    @Test
    void preludeFilesAreInCanonicalForm() {
        List<Prelude.Source> all = new ArrayList<>(Prelude.shared());
        Prelude.VERSIONS.forEach(v -> all.addAll(Prelude.overrides(v)));
        for (Prelude.Source s : all) {
            var file = SourceParser.parse(s.name(), s.text(), new Diagnostics()).orElseThrow();
            assertThat(Formatter.format(file, s.text())).as(s.name()).isEqualTo(s.text());
        }
    }

    @Test
    void aVersionFolderReplacesOnlyWhatChanged() {
        assertThat(KernelPrelude.paths("5.10").get("kvm_recover_nx_huge_pages").pos().file())
                .isEqualTo("kernel/5.10/mmu.mmu");
        assertThat(KernelPrelude.paths("5.10").get("kvm_flush_remote_tlbs").pos().file())
                .isEqualTo("kernel/kvm_main.mmu");
        assertThat(KernelPrelude.paths(Prelude.SHARED).get("kvm_recover_nx_huge_pages").pos().file())
                .isEqualTo("kernel/mmu.mmu");
    }

    /**
     * kernel/'s files are 7.2's text: every 7.2 (and 6.18) function comes from them, with 7.2's
     * NX recovery, lockless aging and in-place huge page recovery; 6.12 runs its folder's locked
     * aging, collapsible zap and one-list recovery over them, and the rest of 7.2's text. 7.2 is
     * latest, the default.
     */
    @Test
    void kernel72IsTheSharedFilesAndSixTwelveHasAFolder() {
        assertThat(KernelPrelude.paths(Prelude.LATEST)).isSameAs(KernelPrelude.paths("7.2"));
        for (String v : new String[] {"7.2", "6.18"}) {
            assertThat(KernelPrelude.paths(v).values()).as(v).extracting(p -> p.pos().file())
                    .allMatch(f -> f.matches("kernel/[a-z_0-9]+\\.mmu"));
        }
        var paths72 = KernelPrelude.paths("7.2");
        assertThat(paths72.get("kvm_recover_nx_huge_pages").pos().file()).isEqualTo("kernel/mmu.mmu");
        assertThat(paths72.get("kvm_mmu_notifier_clear_flush_young").pos().file()).isEqualTo("kernel/kvm_main.mmu");
        assertThat(KernelPrelude.source("7.2", "kvm_recover_nx_huge_pages").orElseThrow())
                .startsWith("# kvm_recover_nx_huge_pages(kvm, mmu_type) (v7.2, mmu.c:7952");
        assertThat(KernelPrelude.source("7.2", "kvm_mmu_notifier_clear_young").orElseThrow())
                .contains("kvm_age_hva_range(range.start .. range.end, false)").doesNotContain("lock write");
        assertThat(KernelPrelude.source("7.2", "kvm_age_hva_range").orElseThrow())
                .contains("kvm_age_gfn(start_gfn, end_gfn)").doesNotContain("lock write");
        // v7.2's aging is source (the lockless walk); 6.12's folder keeps the one-step locked primitives
        assertThat(paths72.get("kvm_age_gfn").pos().file()).isEqualTo("kernel/mmu.mmu");
        assertThat(paths72.get("__kvm_tdp_mmu_age_gfn_range").pos().file()).isEqualTo("kernel/tdp_mmu.mmu");
        assertThat(KernelPrelude.source("7.2", "__kvm_tdp_mmu_age_gfn_range").orElseThrow())
                .contains("for root in valid_tdp_mmu_roots_rcu").contains("tdp_root_for_each_leaf_pte(root, start, end)")
                .doesNotContain("lock read");
        var paths612 = KernelPrelude.paths("6.12");
        assertThat(paths612.get("kvm_recover_nx_huge_pages").pos().file()).isEqualTo("kernel/6.12/mmu.mmu");
        assertThat(paths612.get("kvm_nx_huge_page_recovery_worker").pos().file()).isEqualTo("kernel/6.12/mmu.mmu");
        assertThat(paths612.get("kvm_mmu_notifier_clear_flush_young").pos().file()).isEqualTo("kernel/6.12/kvm_main.mmu");
        assertThat(paths612.get("kvm_tdp_mmu_zap_collapsible_sptes").pos().file()).isEqualTo("kernel/6.12/tdp_mmu.mmu");
        assertThat(paths612.get("kvm_mmu_slot_apply_flags").pos().file()).isEqualTo("kernel/6.12/x86.mmu");
        assertThat(paths612.get("kvm_tdp_mmu_map").pos().file()).isEqualTo("kernel/tdp_mmu.mmu");
        assertThat(KernelPrelude.source("6.12", "kvm_mmu_notifier_clear_young").orElseThrow())
                .contains("lock write").contains("kvm_age_gfn(range.start, range.end)");
        assertThat(paths612.get("kvm_age_gfn").pos().file()).isEqualTo("kernel/6.12/mmu.mmu");
        assertThat(KernelPrelude.source("6.12", "kvm_age_gfn").orElseThrow()).contains("kvm_tdp_mmu_age_gfn_range(start, end)");
    }

    /**
     * 5.10 and 5.12 are laid over 6.12's folder: their own NX loop, 6.12's locked aging, one-list
     * worker and collapsible zap, and 7.2's text for the rest, which 6.12 reads the same as.
     */
    @Test
    void fiveTenRunsItsFolderOverSixTwelves() {
        for (String v : new String[] {"5.10", "5.12"}) {
            var paths = KernelPrelude.paths(v);
            assertThat(paths.get("kvm_recover_nx_huge_pages").pos().file()).as(v).isEqualTo("kernel/" + v + "/mmu.mmu");
            assertThat(paths.get("kvm_nx_huge_page_recovery_worker").pos().file()).as(v).isEqualTo("kernel/6.12/mmu.mmu");
            assertThat(paths.get("kvm_mmu_notifier_clear_young").pos().file()).as(v).isEqualTo("kernel/6.12/kvm_main.mmu");
            assertThat(paths.get("kvm_tdp_mmu_zap_collapsible_sptes").pos().file()).as(v).isEqualTo("kernel/6.12/tdp_mmu.mmu");
            assertThat(paths.get("kvm_tdp_mmu_map").pos().file()).as(v).isEqualTo("kernel/tdp_mmu.mmu");
        }
    }

    /**
     * A function v6.13 renamed has each version's own name only: 7.2's kernel/ files have
     * kvm_mmu_recover_huge_pages, 6.12's folder kvm_mmu_zap_collapsible_sptes in its place (5.10
     * and 5.12 through it). A call of the other name, or a copy under it, is an error naming the
     * right one; with the right name it checks.
     */
    @Test
    void aPrimitiveThatSaysOnlySixTwelveIsCalledByOlderTextOnly() {
        // Primitives.mirrors: "v6.12" for a primitive only 5.10-6.12's text calls (7.2 has another),
        // "v7.2" or "v6.12, v7.2" for one 7.2 has (its text may still not call it: is_tdp_mmu_page). host_unmap and host_free_pages say v6.12 as the
        // mm/ they model was not re-read; tdp_mmu_map_handle_target_level is left to its helper;
        // zap_collapsible_spte_range is 6.12's walk that 7.2's text keeps for mmu shadow.
        java.util.Set<String> notRead = java.util.Set.of("host_unmap", "host_free_pages", "tdp_mmu_map_handle_target_level",
                "zap_collapsible_spte_range");
        java.util.function.Function<String, String> text = v -> String.join("\n", KernelPrelude.paths(v).keySet().stream()
                .map(n -> KernelPrelude.source(v, n).orElse("").replaceAll("(?m)#.*$", "")).toList());
        String today = text.apply("7.2");
        String old = text.apply("6.12");
        for (dev.mmu.runtime.paths.Primitive p : dev.mmu.runtime.paths.Primitives.all().values()) {
            java.util.regex.Pattern call = java.util.regex.Pattern.compile("\\b" + p.name() + "\\(");
            if (p.version().equals("v6.12") && !notRead.contains(p.name())) {
                assertThat(call.matcher(today).find()).as(p.name() + " says v6.12 only, and 7.2's text calls it").isFalse();
                assertThat(call.matcher(old).find()).as(p.name() + " says v6.12, and 6.12's text does not call it").isTrue();
            }
        }
    }

    @Test
    void aRenamedPrimitiveHasItsKernelsNameOnly() {
        // The prelude of each version calls its own name: 7.2's text the new one, 6.12's folder the old.
        assertThat(KernelPrelude.source("7.2", "kvm_zap_gfn_range").orElseThrow()).contains("  kvm_mmu_invalidate_start(gfn_start");
        assertThat(KernelPrelude.source("7.2", "__kvm_mmu_zap_all_fast").orElseThrow()).contains("  kvm_tdp_mmu_invalidate_roots()");
        for (String v : new String[] {"6.12", "5.10", "5.12"}) {
            assertThat(KernelPrelude.source(v, "kvm_zap_gfn_range").orElseThrow()).as(v).contains("  kvm_mmu_invalidate_begin(gfn_start");
            assertThat(KernelPrelude.source(v, "kvm_handle_hva_range").orElseThrow()).as(v).contains("  kvm_mmu_invalidate_begin(range.start");
            assertThat(KernelPrelude.source(v, "__kvm_mmu_zap_all_fast").orElseThrow()).as(v)
                    .contains("  kvm_tdp_mmu_invalidate_all_roots()");
        }
        String text = """
                scenario "s" {
                  vm { %s }
                  memslot 0 { gpa 0x0 size 2M backing 4K }
                  thread t { lock write; %s; unlock }
                }
                """;
        assertThat(frontend.load("k.mmu", text.formatted("", "kvm_mmu_invalidate_begin(0, 4K)")).diagnostics())
                .extracting(d -> d.pos().line() + ":" + d.pos().column() + " " + d.message()).containsExactly(
                        "4:26 primitive 'kvm_mmu_invalidate_begin' is the name of kernel 5.10-6.12: kernel 7.2 calls it"
                                + " 'kvm_mmu_invalidate_start'; call that, or select a kernel of the older name (`vm { kernel 6.12 }`)");
        assertThat(frontend.load("k.mmu", text.formatted("kernel 6.12", "kvm_tdp_mmu_invalidate_roots()")).diagnostics())
                .extracting(d -> d.message()).containsExactly("primitive 'kvm_tdp_mmu_invalidate_roots' is the name of kernel"
                        + " 6.18-7.3: kernel 6.12 calls it 'kvm_tdp_mmu_invalidate_all_roots'; call that, or leave the kernel"
                        + " out for today's (7.2)");
        assertThat(frontend.load("k.mmu", text.formatted("", "kvm_mmu_invalidate_start(0, 4K)")).diagnostics()).isEmpty();
        assertThat(frontend.load("k.mmu", text.formatted("kernel 5.12", "kvm_tdp_mmu_invalidate_all_roots()")).diagnostics()).isEmpty();
        // A file-level path is held to the kernel of the file's scenarios.
        assertThat(frontend.load("k.mmu", "path p() {\n  kvm_tdp_mmu_invalidate_all_roots()\n}\n"
                + text.formatted("", "p()")).diagnostics()).extracting(d -> d.pos().line() + ":" + d.pos().column())
                .containsExactly("2:3");
    }

    @Test
    void aRenamedFunctionHasItsKernelsNameOnly() {
        assertThat(KernelPrelude.paths("7.2")).containsKeys("kvm_mmu_recover_huge_pages", "kvm_tdp_mmu_recover_huge_pages")
                .doesNotContainKeys("kvm_mmu_zap_collapsible_sptes", "kvm_tdp_mmu_zap_collapsible_sptes");
        assertThat(KernelPrelude.paths("6.18")).containsKey("kvm_mmu_recover_huge_pages");
        for (String v : new String[] {"6.12", "5.10", "5.12"}) {
            assertThat(KernelPrelude.paths(v)).as(v).containsKeys("kvm_mmu_zap_collapsible_sptes", "kvm_tdp_mmu_zap_collapsible_sptes")
                    .doesNotContainKeys("kvm_mmu_recover_huge_pages", "kvm_tdp_mmu_recover_huge_pages");
            assertThat(KernelPrelude.paths(v).get("kvm_mmu_zap_collapsible_sptes").pos().file()).isEqualTo("kernel/6.12/mmu.mmu");
        }
        String text = """
                scenario "s" {
                  vm { %s }
                  memslot 0 { gpa 0x0 size 2M backing 2M flags dirty_log }
                  thread t { %s(0) }
                }
                """;
        assertThat(frontend.load("k.mmu", text.formatted("", "kvm_mmu_zap_collapsible_sptes")).diagnostics())
                .extracting(d -> d.pos().line() + ":" + d.pos().column() + " " + d.message()).containsExactly(
                        "4:14 kernel path 'kvm_mmu_zap_collapsible_sptes' is the kernel's name before v6.13: kernel 7.2"
                                + " calls it 'kvm_mmu_recover_huge_pages'; call that, or select a kernel of the older name"
                                + " (`vm { kernel 6.12 }`)");
        assertThat(frontend.load("k.mmu", text.formatted("kernel 5.10", "kvm_mmu_recover_huge_pages")).diagnostics())
                .extracting(d -> d.message()).singleElement().asString()
                .startsWith("kernel path 'kvm_mmu_recover_huge_pages' is the kernel's name since v6.13: kernel 5.10 calls it"
                        + " 'kvm_mmu_zap_collapsible_sptes'");
        assertThat(frontend.load("k.mmu", text.formatted("", "kvm_mmu_recover_huge_pages")).diagnostics()).isEmpty();
        assertThat(frontend.load("k.mmu", text.formatted("kernel 6.12", "kvm_mmu_zap_collapsible_sptes")).diagnostics()).isEmpty();
        LoadResult copy = frontend.load("k.mmu", """
                scenario "s" {
                  memslot 0 { gpa 0x0 size 2M backing 2M flags dirty_log }
                  path kvm_tdp_mmu_zap_collapsible_sptes(slot: int) {
                    recover_huge_pages_range(slot)
                  }
                  thread t { dirty_log_disable 0 }
                }
                """);
        assertThat(copy.diagnostics()).extracting(d -> d.pos().line() + ": " + d.message()).singleElement().asString()
                .startsWith("3: path 'kvm_tdp_mmu_zap_collapsible_sptes' is the kernel's name before v6.13: kernel 7.2 calls it"
                        + " 'kvm_tdp_mmu_recover_huge_pages': name the copy 'kvm_tdp_mmu_recover_huge_pages'");
    }

    @Test
    void showGivesThePathWithItsCommentBlock() {
        String text = KernelPrelude.source("5.12", "kvm_recover_nx_lpages").orElseThrow();
        assertThat(text).startsWith("# kvm_recover_nx_lpages() (v5.12)").contains("path kvm_recover_nx_huge_pages() {")
                .endsWith("\n}\n");
        assertThat(KernelPrelude.source("6.12", "no_such_path")).isEmpty();
    }

    @Test
    void aUserPathWithAKernelPathsNameReplacesItUnderEveryAlias() {
        LoadResult r = frontend.load("patch.mmu", """
                path kvm_recover_nx_huge_pages() {
                  lock write
                  unlock
                }
                scenario "patched" {
                  memslot 0 { gpa 0x0 size 2M }
                  thread t { kvm_recover_nx_lpages }
                }
                """);
        assertThat(r.diagnostics()).isEmpty();
        var paths = r.scenarios().get(0).paths();
        assertThat(paths.get("kvm_recover_nx_lpages").pos().file()).isEqualTo("patch.mmu");
        assertThat(paths.get("kvm_recover_nx_huge_pages").pos().file()).isEqualTo("patch.mmu");
    }

    /**
     * README's recipe: what `mmu show NAME` prints, pasted at file level, checks in every version,
     * alone or with a scenario that runs it (22 of the 51 paths did not: a file-level path saw only
     * the kernel paths of the language table, not the prelude's helpers such as
     * kvm_tdp_mmu_zap_invalidated_roots).
     */
    @Test
    void everyPathMmuShowPrintsChecksWhenPastedAtFileLevel() {
        for (String v : Prelude.VERSIONS) {
            for (String name : KernelPrelude.paths(v).keySet()) {
                String copy = KernelPrelude.source(v, name).orElseThrow();
                LoadResult r = frontend.load("patch.mmu", copy + """
                        scenario "patched" {
                          vm { kernel %s }
                          memslot 0 { gpa 0x0 size 2M }
                          thread t { vcpu 0 read 0x0 }
                        }
                        """.formatted(v));
                assertThat(r.diagnostics()).as("%s of %s", name, v).isEmpty();
            }
        }
    }

    @Test
    void convertedKernelPathsComeFromThePreludeFiles() {
        var paths = KernelPrelude.paths(Prelude.LATEST);
        assertThat(paths.get("kvm_tdp_mmu_zap_gfn_range").pos().file()).isEqualTo("kernel/tdp_mmu.mmu");
        assertThat(paths.get("mmu_notifier_invalidate").pos().file()).isEqualTo("kernel/kvm_main.mmu");
        assertThat(paths.get("kvm_mmu_notifier_invalidate_range_start").pos().file()).isEqualTo("kernel/kvm_main.mmu");
    }

    @Test
    void aRangeParameterIsPassedAsARangeAndReadAsStartAndEnd() {
        LoadResult r = frontend.load("range.mmu", """
                path zap_twice(r: range) {
                  kvm_tdp_mmu_zap_gfn_range(r.start .. r.end)
                  kvm_tdp_mmu_zap_gfn_range(r.start .. r.end)
                }
                scenario "ranges" {
                  memslot 0 { gpa 0x0 size 2M }
                  thread t { zap_twice(0x0 .. 0x200000) }
                  thread u { zap_twice(0x0) }
                  thread v { kvm_tdp_mmu_zap_gfn_range 0x0 .. 0x400000 }
                }
                """);
        assertThat(r.diagnostics()).extracting(d -> d.pos().line() + ": " + d.message()).containsExactly(
                "8: argument 'r' of path 'zap_twice' must be a range 'start .. end'",
                "9: range end 0x400000 is outside every memslot (memslot 0 is [0x0, 0x200000))");
    }

    @Test
    void aPrimitiveCannotBeReplaced() {
        LoadResult r = frontend.load("p.mmu", "path tdp_zap_sp(sp: sp) { }\n");
        assertThat(r.diagnostics()).singleElement()
                .satisfies(d -> assertThat(d.message()).isEqualTo("path 'tdp_zap_sp' has the name of a built-in primitive"
                        + " (Java, which a path cannot replace; `mmu show tdp_zap_sp` says what it models)"));
    }

    /** Callers are calls in a body, not names in a comment; mentions are both. */
    @Test
    void callersAndMentionsOfAKernelFunction() {
        assertThat(KernelPrelude.callers(Prelude.LATEST, "tdp_mmu_map_handle_target_level")).containsExactly("kvm_tdp_mmu_map");
        assertThat(KernelPrelude.callers(Prelude.LATEST, "kvm_tdp_mmu_map")).containsExactly("kvm_tdp_mmu_page_fault");
        // named only in comments (7.2 writes it into kvm_arch_flush_shadow_memslot's quirk-off branch)
        assertThat(KernelPrelude.callers(Prelude.LATEST, "kvm_mmu_zap_memslot_pages_and_flush")).isEmpty();
        assertThat(KernelPrelude.mentioning(Prelude.LATEST, "kvm_mmu_zap_memslot_pages_and_flush"))
                .containsExactly("kvm_mmu_zap_memslot", "kvm_arch_flush_shadow_memslot");
        // a path does not call itself by its header, and a longer name is not a call of a shorter one
        assertThat(KernelPrelude.callers(Prelude.LATEST, "kvm_mmu_zap_all_fast")).doesNotContain("kvm_mmu_zap_all_fast");
        assertThat(KernelPrelude.callers(Prelude.LATEST, "kvm_mmu_zap_all_fast")).doesNotContain("__kvm_mmu_zap_all_fast");
    }

    @Test
    void theKernelSettingSelectsAVersion() {
        LoadResult r = frontend.load("k.mmu", """
                scenario "old" {
                  vm { kernel 5.10 }
                  memslot 0 { gpa 0x0 size 2M }
                  thread t { kvm_recover_nx_huge_pages }
                }
                """);
        assertThat(r.diagnostics()).isEmpty();
        assertThat(r.scenarios().get(0).machine().kernel()).isEqualTo("5.10");
        assertThat(r.scenarios().get(0).paths().get("kvm_recover_nx_huge_pages").pos().file())
                .isEqualTo("kernel/5.10/mmu.mmu");
    }

    /**
     * latest is 7.2: a scenario that calls the NX recovery without the MMU type, as 6.12 took it,
     * gets an error that says what 7.2 takes; the same call with `kernel 6.12`, or the worker, checks.
     */
    @Test
    void theRecoveryWithoutAnMmuTypeSaysWhatTodaysKernelTakes() {
        String text = """
                scenario "old call" {
                  vm { nx_huge_pages on %s }
                  memslot 0 { gpa 0x0 size 2M backing 2M }
                  thread t { %s }
                }
                """;
        assertThat(frontend.load("k.mmu", text.formatted("", "kvm_recover_nx_lpages")).diagnostics())
                .extracting(d -> d.message()).singleElement().asString()
                .startsWith("kernel path 'kvm_recover_nx_lpages' needs 'mmu_type'")
                .contains("KVM_TDP_MMU", "kvm_nx_huge_page_recovery_worker", "`vm { kernel 6.12 }`");
        assertThat(frontend.load("k.mmu", text.formatted("", "kvm_recover_nx_huge_pages")).diagnostics())
                .extracting(d -> d.message()).singleElement().asString() // the name written, not the alias's
                .startsWith("kernel path 'kvm_recover_nx_huge_pages' needs 'mmu_type'");
        assertThat(frontend.load("k.mmu", text.formatted("kernel 6.12", "kvm_recover_nx_lpages")).diagnostics()).isEmpty();
        assertThat(frontend.load("k.mmu", text.formatted("", "kvm_nx_huge_page_recovery_worker")).diagnostics()).isEmpty();
        assertThat(frontend.load("k.mmu", text.formatted("", "kvm_recover_nx_huge_pages(KVM_TDP_MMU)")).diagnostics())
                .isEmpty();
    }

    /**
     * kernel 7.3 (v7.3-rc7) is 7.2's text but for the function 7.3 changed in a way the prelude
     * writes: tdp_mmu_map_handle_target_level()'s early return asks spte_permission_fault(). Every
     * other path is 7.2's, the same declaration; a scenario pinning 7.3 checks.
     */
    @Test
    void kernel73ReplacesOnlyTheTargetLevel() {
        var seven3 = KernelPrelude.paths("7.3");
        var seven2 = KernelPrelude.paths("7.2");
        assertThat(seven3.keySet()).isEqualTo(seven2.keySet());
        for (String name : seven2.keySet()) {
            if (name.equals("tdp_mmu_map_handle_target_level")) {
                assertThat(seven3.get(name).pos().file()).isEqualTo("kernel/7.3/tdp_mmu.mmu");
                assertThat(KernelPrelude.source("7.3", name).orElseThrow())
                        .contains("is_shadow_present_pte(iter.old_spte) && !spte_permission_fault(iter.old_spte, fault) &&")
                        .doesNotContain("is_access_allowed(fault, iter.old_spte) &&");
                // Apart from that test, the statements are 7.2's: its WARN_ON_ONCEs are source too.
                assertThat(statements(KernelPrelude.source("7.3", name).orElseThrow())
                        .replace("!spte_permission_fault(iter.old_spte, fault)", "is_access_allowed(fault, iter.old_spte)"))
                        .isEqualTo(statements(KernelPrelude.source("7.2", name).orElseThrow()))
                        .contains("WARN_ON_ONCE(fault.pfn != spte_to_pfn(iter.old_spte))");
            } else {
                assertThat(seven3.get(name).pos().file()).as(name).isEqualTo(seven2.get(name).pos().file());
                assertThat(KernelPrelude.source("7.3", name)).as(name).isEqualTo(KernelPrelude.source("7.2", name));
            }
        }
        LoadResult r = frontend.load("k.mmu", """
                scenario "rc" {
                  vm { kernel 7.3 }
                  memslot 0 { gpa 0x0 size 2M }
                  thread vcpu 0 { write 0x1000 }
                }
                """);
        assertThat(r.diagnostics()).isEmpty();
    }

    /** A path's text without its comments and blank lines. */
    private static String statements(String source) {
        return source.lines().map(l -> l.replaceAll("\\s*#.*$", "")).filter(l -> !l.isBlank())
                .collect(java.util.stream.Collectors.joining("\n"));
    }

    @Test
    void anUnknownVersionIsAnError() {
        LoadResult r = frontend.load("k.mmu", """
                scenario "unknown" {
                  vm { kernel 4.19 }
                  memslot 0 { gpa 0x0 size 2M }
                }
                """);
        assertThat(r.diagnostics()).extracting(d -> d.message()).containsExactly(
                "unknown kernel version '4.19': the prelude models 5.10, 5.12, 6.12, 6.18, 7.2, 7.3 and latest (7.2)");
    }

    /**
     * 6.18 keeps one NX list per MMU, so it runs on every MMU (until the fourteenth session it
     * needed mmu tdp): its worker runs kvm_recover_nx_huge_pages(mmu_type) per list.
     */
    @Test
    void kernel618RunsOnEveryMmuWithOnePassPerList() {
        for (String mmu : new String[] {"tdp", "shadow", "both"}) {
            LoadResult r = frontend.load("k.mmu", """
                    scenario "6.18" {
                      vm { mmu %s  kernel 6.18 }
                      memslot 0 { gpa 0x0 size 2M }
                      thread t { kvm_nx_huge_page_recovery_worker }
                      thread u { kvm_recover_nx_huge_pages(KVM_TDP_MMU) }
                    }
                    """.formatted(mmu));
            assertThat(r.diagnostics()).as(mmu).isEmpty();
            assertThat(r.scenarios().get(0).paths().get("kvm_nx_huge_page_recovery_worker").pos().file())
                    .isEqualTo("kernel/mmu.mmu");
        }
    }
}
