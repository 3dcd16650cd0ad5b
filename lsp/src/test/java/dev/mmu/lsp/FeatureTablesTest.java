package dev.mmu.lsp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.interp.check.Builtins;
import dev.mmu.interp.check.Builtins.Kind;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The server's own word lists stay keywords of Mmu.g4, and every built-in has a hover. */
class FeatureTablesTest {
    /** The document the features answer for: a user file, not a prelude copy. */
    private static final String FILE = "file:///tmp/t.mmu";

    @Test
    void contextWordsAreLexerKeywords() {
        assertThat(Completions.allKeywords())
                .containsAll(Completions.EXPECTATION_WORDS)
                .containsAll(Completions.LOCK_NAMES)
                .containsAll(Completions.PREEMPT_MODELS)
                .contains("scenario", "path", "mmu_lock");
        // the words offered by context are statement words: a typo would keep one offered everywhere
        assertThat(Completions.STATEMENT_WORDS).containsAll(Completions.PATH_WORDS).containsAll(Completions.LOOP_WORDS)
                .containsAll(Completions.CHOICE_WORDS);
    }

    @Test
    void everyBuiltinHasAHoverNamingWhatItModels() {
        for (Kind kind : Kind.values()) {
            for (String name : Builtins.namesOf(kind)) {
                String text = "# hover\n" + name + "\n";
                String function = Builtins.lookup(name).orElseThrow().kernelFunction();
                // an invariant's or a query's "(invariant)", "(model state)" is no kernel function
                String models = function.startsWith("(") ? "" : "Models `" + function + "`";
                assertThat(Hovers.at(FILE, text, 1, 0))
                        .as("hover on %s", name)
                        .hasValueSatisfying(h -> assertThat(h.getContents().getRight().getValue())
                                .contains("**" + name + "**", Hovers.kindLabel(kind), models));
            }
        }
    }

    /**
     * A doc that starts with a kernel name keeps it as code ("Kvm->stat.nx_lpage_splits: ..." was
     * shown for stat.nx_lpage_splits), and every other doc starts with a capital.
     */
    @Test
    void aHoverNeverCapitalisesAKernelName() {
        assertThat(Hovers.at(FILE, "# hover\nnx_lpage_splits\n", 1, 0).orElseThrow().getContents().getRight().getValue())
                .contains("`kvm->stat.nx_lpage_splits`: huge pages split for NX.").doesNotContain("Kvm->");
        assertThat(Hovers.capitalised("kvm->stat.pages[PG_LEVEL_4K]: 4K leaf SPTEs"))
                .isEqualTo("`kvm->stat.pages[PG_LEVEL_4K]`: 4K leaf SPTEs");
        assertThat(Hovers.capitalised("whether a shadow page belongs to the TDP MMU"))
                .isEqualTo("Whether a shadow page belongs to the TDP MMU");
        for (Kind kind : Kind.values()) {
            for (String name : Builtins.namesOf(kind)) {
                String doc = Hovers.capitalised(Builtins.lookup(name).orElseThrow().doc());
                assertThat(doc.charAt(0) == '`' || !Character.isLowerCase(doc.charAt(0))).as("%s: %s", name, doc).isTrue();
                assertThat(doc).as(name).doesNotStartWith("Kvm").doesNotStartWith("Vcpu");
            }
        }
    }

    /** The statements whose kernel meaning is not in their name have a hover too (need_resched had none). */
    @Test
    void needReschedAndYieldHaveHovers() {
        assertThat(Hovers.at(FILE, "path p() {\n  lock write\n  if need_resched { yield }\n  unlock\n}\n", 2, 8).orElseThrow()
                .getContents().getRight().getValue()).contains("**need_resched** · statement",
                        "rwlock_needbreak(&kvm->mmu_lock)", "both answers");
        assertThat(Hovers.at(FILE, "path p() {\n  lock write\n  if need_resched { yield }\n  unlock\n}\n", 2, 22).orElseThrow()
                .getContents().getRight().getValue()).contains("**yield** · statement", "cond_resched_rwlock");
    }

    /**
     * Hovers of some kernel paths against what docs/language.md §5 says they model, written out by
     * hand rather than read from Builtins (primitives: {@link #PRIMITIVES}).
     */
    @Test
    void hoversNameTheDocumentedKernelFunction() {
        Map<String, String> documented = Map.of(
                "kvm_tdp_mmu_zap_gfn_range", "kvm_tdp_mmu_zap_gfn_range",
                "memslot_delete", "kvm_set_memslot",
                "eager_split", "kvm_mmu_slot_try_split_huge_pages");
        documented.forEach((name, function) -> assertThat(Hovers.at(FILE, "# hover\n" + name + "\n", 1, 0))
                .as("hover on %s", name)
                .hasValueSatisfying(h -> assertThat(h.getContents().getRight().getValue())
                        .contains("**" + name + "** · kernel path", "Models `" + function)
                        .doesNotContain("Needs ")));
    }

    /**
     * Every primitive, written out by hand from docs/language.md §6 (not read from Builtins or the
     * runtime's registry): the kernel function it models and the sentence on the lock it asserts
     * ("" for none). A primitive added to, lost from or changed in the registry fails here until
     * this list is updated with it.
     */
    static final Map<String, String[]> PRIMITIVES = Map.ofEntries(
            Map.entry("tdp_zap_range", new String[] {"zap_gfn_range", "Needs `mmu_lock` held for write."}),
            Map.entry("tdp_zap_sp", new String[] {"kvm_tdp_mmu_zap_sp", "Needs `mmu_lock` held for write."}),
            Map.entry("prepare_zap", new String[] {"kvm_mmu_prepare_zap_page", "Needs `mmu_lock` held for write."}),
            Map.entry("commit_zap", new String[] {"kvm_mmu_commit_zap_page", ""}),
            Map.entry("remote_flush_or_zap", new String[] {"kvm_mmu_remote_flush_or_zap", ""}),
            Map.entry("flush_remote_tlbs", new String[] {"kvm_flush_remote_tlbs", ""}),
            Map.entry("kvm_flush_remote_tlbs_gfn", new String[] {"kvm_flush_remote_tlbs_gfn", ""}),
            Map.entry("kvm_flush_remote_tlbs_range", new String[] {"kvm_flush_remote_tlbs_range", ""}),
            Map.entry("unaccount_nx_huge_page", new String[] {"unaccount_nx_huge_page",
                    "Needs `mmu_lock` held for write or `tdp_mmu_pages_lock` held."}),
            Map.entry("unaccount_nx", new String[] {"unaccount_nx_huge_page", // its earlier name, an alias
                    "Needs `mmu_lock` held for write or `tdp_mmu_pages_lock` held."}),
            Map.entry("untrack_possible_nx_huge_page", new String[] {"untrack_possible_nx_huge_page",
                    "Needs `mmu_lock` held for write or `tdp_mmu_pages_lock` held."}),
            Map.entry("is_tdp_mmu_page", new String[] {"is_tdp_mmu_page", ""}),
            Map.entry("nx_huge_page_disallowed", new String[] {"nx_huge_page_disallowed", ""}),
            Map.entry("track_possible_nx_huge_page", new String[] {"track_possible_nx_huge_page",
                    "Needs `mmu_lock` held for write or `tdp_mmu_pages_lock` held."}),
            Map.entry("fast_pf_fix_direct_spte", new String[] {"fast_pf_fix_direct_spte", ""}),
            Map.entry("kvm_tdp_mmu_fast_pf_get_last_sptep", new String[] {"kvm_tdp_mmu_fast_pf_get_last_sptep", ""}),
            Map.entry("fast_pf_get_last_sptep", new String[] {"fast_pf_get_last_sptep", ""}),
            Map.entry("is_page_fault_stale", new String[] {"is_page_fault_stale", ""}),
            Map.entry("mmu_invalidate_retry_gfn", new String[] {"mmu_invalidate_retry_gfn", ""}),
            Map.entry("tdp_mmu_link_sp", new String[] {"tdp_mmu_link_sp", "Needs `mmu_lock` held for read."}),
            Map.entry("tdp_mmu_free_unused_sp", new String[] {"tdp_mmu_free_unused_sp", ""}),
            Map.entry("make_spte", new String[] {"make_spte", ""}),
            Map.entry("tdp_mmu_set_spte_atomic", new String[] {"tdp_mmu_set_spte_atomic", "Needs `mmu_lock` held for read."}),
            Map.entry("link_shadow_page", new String[] {"link_shadow_page", "Needs `mmu_lock` held for write."}),
            Map.entry("mmu_set_spte", new String[] {"mmu_set_spte", "Needs `mmu_lock` held for write."}),
            Map.entry("account_nx_huge_page", new String[] {"account_nx_huge_page", "Needs `mmu_lock` held for write."}),
            Map.entry("kvm_tdp_mmu_age_gfn_range", new String[] {"kvm_tdp_mmu_age_gfn_range", "Needs `mmu_lock` held for write."}),
            Map.entry("kvm_tdp_mmu_test_age_gfn", new String[] {"kvm_tdp_mmu_test_age_gfn", "Needs `mmu_lock` held for write."}),
            Map.entry("kvm_rmap_age_gfn_range", new String[] {"kvm_rmap_age_gfn_range", ""}),
            Map.entry("__tdp_mmu_set_spte_atomic", new String[] {"__tdp_mmu_set_spte_atomic", "Needs `rcu_read_lock()`."}),
            Map.entry("kvm_tdp_mmu_write_spte", new String[] {"kvm_tdp_mmu_write_spte", ""}),
            Map.entry("kvm_tdp_mmu_read_spte", new String[] {"kvm_tdp_mmu_read_spte", ""}),
            Map.entry("tdp_mmu_set_spte", new String[] {"tdp_mmu_set_spte", "Needs `mmu_lock` held for write."}),
            Map.entry("__tdp_mmu_set_spte", new String[] {"__tdp_mmu_set_spte", "Needs `mmu_lock` held for write."}),
            Map.entry("tdp_mmu_iter_set_spte", new String[] {"tdp_mmu_iter_set_spte", "Needs `mmu_lock` held for write."}),
            Map.entry("rcu_read_lock", new String[] {"rcu_read_lock", ""}),
            Map.entry("try_cmpxchg", new String[] {"try_cmpxchg", ""}),
            Map.entry("kvm_mmu_sp_dirty_logging_enabled", new String[] {"kvm_mmu_sp_dirty_logging_enabled", ""}),
            Map.entry("tdp_mmu_zap_possible_nx_huge_page",
                    new String[] {"kvm_tdp_mmu_zap_possible_nx_huge_page", "Needs `mmu_lock` held for read and `rcu_read_lock()`."}),
            Map.entry("kvm_handle_hva_range_unmap", new String[] {"kvm_handle_hva_range", "Needs `mmu_lock` held for write."}),
            Map.entry("kvm_mmu_invalidate_start", new String[] {"kvm_mmu_invalidate_start", "Needs `mmu_lock` held for write."}),
            Map.entry("kvm_mmu_invalidate_end", new String[] {"kvm_mmu_invalidate_end", "Needs `mmu_lock` held for write."}),
            Map.entry("host_unmap", new String[] {"zap_page_range_single", ""}),
            Map.entry("host_free_pages", new String[] {"free_pages_and_swap_cache", ""}),
            Map.entry("rcu_read_unlock", new String[] {"rcu_read_unlock", ""}),
            Map.entry("lockdep_assert_held", new String[] {"lockdep_assert_held", ""}),
            Map.entry("lockdep_assert_held_read", new String[] {"lockdep_assert_held_read", ""}),
            Map.entry("lockdep_assert_held_write", new String[] {"lockdep_assert_held_write", ""}),
            Map.entry("lockdep_assert_not_held", new String[] {"lockdep_assert_not_held", ""}),
            Map.entry("kvm_lockdep_assert_mmu_lock_held", new String[] {"kvm_lockdep_assert_mmu_lock_held", ""}),
            Map.entry("split_huge", new String[] {"tdp_mmu_split_huge_page", "Needs `mmu_lock` held."}),
            Map.entry("set_spte", new String[] {"tdp_mmu_set_spte", "Needs `mmu_lock` held for write."}),
            Map.entry("cmpxchg_spte", new String[] {"fast_pf_fix_direct_spte", ""}),
            Map.entry("tdp_mmu_iter_cond_resched", new String[] {"tdp_mmu_iter_cond_resched", "Needs `mmu_lock` held."}),
            Map.entry("tdp_mmu_iter_cond_resched_unguarded",
                    new String[] {"tdp_mmu_iter_cond_resched", "Needs `mmu_lock` held."}),
            Map.entry("kvm_mmu_toggle_valid_gen", new String[] {"kvm_mmu_zap_all_fast", "Needs `mmu_lock` held for write."}),
            Map.entry("kvm_tdp_mmu_invalidate_roots",
                    new String[] {"kvm_tdp_mmu_invalidate_roots", "Needs `mmu_lock` held for write."}),
            Map.entry("kvm_make_all_cpus_request_free_obsolete_roots", new String[] {"kvm_make_all_cpus_request", ""}),
            Map.entry("__kvm_mmu_prepare_zap_page",
                    new String[] {"__kvm_mmu_prepare_zap_page", "Needs `mmu_lock` held for write."}),
            Map.entry("__tdp_mmu_zap_root", new String[] {"__tdp_mmu_zap_root", "Needs `mmu_lock` held and `rcu_read_lock()`."}),
            Map.entry("__tdp_mmu_zap_root_advancing", new String[] {"__tdp_mmu_zap_root", "Needs `mmu_lock` held and `rcu_read_lock()`."}),
            Map.entry("kvm_tdp_mmu_put_root", new String[] {"kvm_tdp_mmu_put_root", ""}),
            Map.entry("kvm_tdp_mmu_get_root", new String[] {"kvm_tdp_mmu_get_root", ""}),
            Map.entry("kvm_mmu_put_root", new String[] {"kvm_mmu_put_root", "Needs `mmu_lock` held."}),
            Map.entry("kvm_vcpu_set_smm", new String[] {"kvm_smm_changed", ""}),
            Map.entry("kvm_set_smram_region", new String[] {"kvm_set_memory_region", ""}),
            Map.entry("kvm_check_request_free_obsolete_roots", new String[] {"kvm_check_request", ""}),
            Map.entry("is_obsolete_root", new String[] {"is_obsolete_root", ""}),
            Map.entry("mmu_free_root_page", new String[] {"mmu_free_root_page", "Needs `mmu_lock` held."}),
            Map.entry("root_hpa_valid", new String[] {"kvm_mmu_reload", ""}),
            Map.entry("tdp_mmu_get_or_alloc_root", new String[] {"kvm_tdp_mmu_alloc_root", "Needs `mmu_lock` held."}),
            Map.entry("mmu_alloc_root", new String[] {"mmu_alloc_root", "Needs `mmu_lock` held."}),
            Map.entry("flush_tlb_current", new String[] {"vmx_flush_tlb_current", ""}),
            Map.entry("memslot_set_invalid", new String[] {"kvm_invalidate_memslot", ""}),
            Map.entry("memslot_remove", new String[] {"kvm_delete_memslot", ""}),
            Map.entry("memslot_set_base", new String[] {"kvm_move_memslot", ""}),
            Map.entry("synchronize_srcu", new String[] {"synchronize_srcu_expedited", ""}),
            Map.entry("kfree_memslot", new String[] {"kvm_set_memslot", ""}),
            Map.entry("kvm_check_memslot_overlap", new String[] {"kvm_check_memslot_overlap", ""}),
            Map.entry("memslot_set_flags", new String[] {"kvm_update_flags_memslot", ""}),
            Map.entry("kvm_flush_remote_tlbs_memslot", new String[] {"kvm_flush_remote_tlbs_memslot", "Needs `slots_lock` held."}),
            Map.entry("kvm_arch_mmu_enable_log_dirty_pt_masked",
                    new String[] {"kvm_arch_mmu_enable_log_dirty_pt_masked", "Needs `mmu_lock` held for write."}),
            Map.entry("slot_rmap_write_protect", new String[] {"slot_rmap_write_protect", "Needs `mmu_lock` held for write."}),
            Map.entry("__rmap_clear_dirty", new String[] {"__rmap_clear_dirty", "Needs `mmu_lock` held for write."}),
            Map.entry("kvm_zap_rmap", new String[] {"kvm_zap_rmap", "Needs `mmu_lock` held for write."}),
            Map.entry("shadow_mmu_try_split_huge_pages",
                    new String[] {"shadow_mmu_try_split_huge_pages", "Needs `mmu_lock` held for write."}),
            Map.entry("kvm_mmu_zap_collapsible_spte",
                    new String[] {"kvm_mmu_zap_collapsible_spte", "Needs `mmu_lock` held for write."}),
            Map.entry("slot_rmap_walk_next", new String[] {"slot_rmap_walk_next", ""}),
            Map.entry("slot_rmap_walk_last", new String[] {"slot_rmap_walk_next", ""}),
            Map.entry("kvm_memslot_iter_start", new String[] {"kvm_memslot_iter_start", ""}),
            Map.entry("kvm_mmu_free_shadow_page", new String[] {"kvm_mmu_free_shadow_page", ""}),
            Map.entry("kvm_memslot_hva_iter_start", new String[] {"kvm_for_each_memslot_in_hva_range", ""}),
            Map.entry("wrprot_gfn_range", new String[] {"wrprot_gfn_range", "Needs `mmu_lock` held."}),
            Map.entry("clear_dirty_gfn_range", new String[] {"clear_dirty_gfn_range", "Needs `mmu_lock` held."}),
            Map.entry("tdp_mmu_split_huge_pages_root", new String[] {"tdp_mmu_split_huge_pages_root", "Needs `mmu_lock` held."}),
            Map.entry("zap_collapsible_spte_range", new String[] {"zap_collapsible_spte_range", "Needs `mmu_lock` held."}),
            Map.entry("recover_huge_pages_range",
                    new String[] {"recover_huge_pages_range", "Needs `mmu_lock` held for read."}));

    @Test
    void completionOffersEveryPrimitiveWithTheKernelFunctionItModels() {
        String text = "path p() {\n  \n}\n";
        Map<String, String> offered = new java.util.TreeMap<>();
        Completions.at(FILE, text, 1, 2).stream().filter(i -> i.getDetail() != null && i.getDetail().startsWith("primitive: "))
                .forEach(i -> offered.put(i.getLabel(), i.getDetail()));
        Map<String, String> documented = new java.util.TreeMap<>();
        PRIMITIVES.forEach((name, want) -> documented.put(name, "primitive: " + want[0]));
        assertThat(offered).isEqualTo(documented);
    }

    @Test
    void hoverOfEveryPrimitiveNamesItsKernelFunctionAndLock() {
        PRIMITIVES.forEach((name, want) -> {
            String hover = Hovers.at(FILE, "# hover\n" + name + "\n", 1, 0).orElseThrow().getContents().getRight().getValue();
            assertThat(hover).as("hover on %s", name).contains("**" + name + "** · primitive", "Models `" + want[0] + "`");
            if (want[1].isEmpty()) {
                assertThat(hover).as("hover on %s", name).doesNotContain("Needs ");
            } else {
                assertThat(hover).as("hover on %s", name).contains(want[1]);
            }
        });
    }
}
