package dev.mmu.examples;

import dev.mmu.interp.run.ScenarioLoader;
import dev.mmu.runtime.paths.Prelude;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * An early return is no step of its own (docs/kernel-model.md, "Early return"): the prelude's
 * functions written with the kernel's early returns give the states, transitions, depth and
 * verdicts that their else-shaped forms gave (the prelude's text before early returns existed),
 * pasted as user paths that replace them, on the examples of the folders that run them most
 * (faults, root loads and frees, dirty-log splits, patches) that run one kernel's version.
 * (states.sh compares every example's row against the table before.)
 */
class EarlyReturnShapesTest {
    /** 7.2's tdp_mmu_map_handle_target_level(), its returns as empty branches. */
    private static final String TARGET_LEVEL_7_2 = """
            path tdp_mmu_map_handle_target_level(fault: fault, iter: iter) {
              if is_shadow_present_pte(iter.old_spte) && is_access_allowed(fault, iter.old_spte) && is_last_spte(iter.old_spte, iter.level) {
                WARN_ON_ONCE(fault.pfn != spte_to_pfn(iter.old_spte))
              } else {
                let new_spte = make_spte(fault, iter)
                if new_spte == iter.old_spte {
                } else if tdp_mmu_set_spte_atomic(iter, new_spte) != 0 {
                } else if is_shadow_present_pte(iter.old_spte) {
                  if !is_last_spte(iter.old_spte, iter.level) {
                    kvm_flush_remote_tlbs_gfn(iter.gfn, iter.level)
                  } else if WARN_ON_ONCE(leaf_spte_change_needs_tlb_flush(iter.old_spte, new_spte)) {
                    kvm_flush_remote_tlbs_gfn(iter.gfn, iter.level)
                  }
                }
              }
            }
            """;
    /** 6.12's, the same (5.10 and 5.12 run it too). */
    private static final String TARGET_LEVEL_6_12 = """
            path tdp_mmu_map_handle_target_level(fault: fault, iter: iter) {
              let new_spte = make_spte(fault, iter)
              if new_spte == iter.old_spte {
              } else if tdp_mmu_set_spte_atomic(iter, new_spte) != 0 {
              } else if is_shadow_present_pte(iter.old_spte) && !is_last_spte(iter.old_spte, iter.level) {
                kvm_flush_remote_tlbs_gfn(iter.gfn, iter.level)
              }
            }
            """;
    /** The functions every kernel runs, with the rest of the body in the branch that does not return. */
    private static final String EVERY_KERNEL = """
            path kvm_mmu_reload(vcpu_id: int, guest_mode: bool) {
              if root_hpa_valid(vcpu_id, guest_mode) {
              } else {
                kvm_mmu_load(vcpu_id, guest_mode)
              }
            }

            path kvm_mmu_free_roots(vcpu_id: int, guest_mmu: bool) {
              if root_hpa_valid(vcpu_id, guest_mmu) {
                if guest_mmu {
                  lock write
                  mmu_free_root_page(vcpu_id, true)
                  kvm_mmu_commit_zap_page()
                  unlock
                } else {
                  if vm.tdp_mmu {
                    lock read
                    mmu_free_root_page(vcpu_id)
                    unlock
                  } else {
                    lock write
                    mmu_free_root_page(vcpu_id)
                    kvm_mmu_commit_zap_page()
                    unlock
                  }
                }
              }
            }

            path kvm_mmu_slot_try_split_huge_pages(slot: int) {
              if vm.tdp_mmu {
                if vm.has_rmaps {
                  lock write
                  let level = 3
                  while level > 1 {
                    let gfn = id_to_memslot(slot).base_gfn
                    while gfn >= 0 {
                      shadow_mmu_try_split_huge_pages(slot, level, gfn)
                      if need_resched {
                        unlock
                        lock write
                      }
                      gfn = slot_rmap_walk_next(slot, level, gfn)
                    }
                    level = level - 1
                  }
                  unlock
                }
                lock read
                kvm_tdp_mmu_try_split_huge_pages(slot, true)
                unlock
              }
            }
            """;
    private static final Set<String> FOLDERS = Set.of("tdp", "roots", "dirty-log", "patches");
    private static final List<String> NAMES = List.of("tdp_mmu_map_handle_target_level", "kvm_mmu_reload",
            "kvm_mmu_free_roots", "kvm_mmu_slot_try_split_huge_pages");

    @TestFactory
    Stream<DynamicTest> elseShapedFormsGiveTheSameRows() throws Exception {
        return Scenarios.examples().stream().filter(f -> FOLDERS.contains(f.getName(f.getNameCount() - 2).toString()))
                .filter(EarlyReturnShapesTest::replaceable)
                .map(f -> DynamicTest.dynamicTest(f.toString(), () -> sameRows(f)));
    }

    /** No path of the file has one of the names (a copy of its own), and its scenarios run one target level. */
    private static boolean replaceable(Path f) {
        String text = SameRows.read(f);
        return NAMES.stream().noneMatch(n -> text.contains("path " + n + "(")) && targetLevel(f, text) != null;
    }

    /** The target-level function its scenarios' kernel runs: 7.2's, or 6.12's (5.10's and 5.12's too); null if both. */
    private static String targetLevel(Path f, String text) {
        Set<Boolean> latest = ScenarioLoader.load(f.toString(), text).scenarios().stream()
                .map(sc -> sc.source().machine().kernel().equals(Prelude.LATEST)).collect(Collectors.toSet());
        return latest.size() != 1 ? null : latest.contains(true) ? TARGET_LEVEL_7_2 : TARGET_LEVEL_6_12;
    }

    /** The prelude's vcpu_enter_guest() (x86.mmu, every kernel's), pasted on both sides. */
    private static final String ENTER_GUEST = """
            path vcpu_enter_guest(vcpu_id: int, guest_mode: bool) {
              if kvm_check_request_free_obsolete_roots(vcpu_id) {
                kvm_mmu_free_obsolete_roots(vcpu_id)
              }
              kvm_mmu_reload(vcpu_id, guest_mode)
            }
            """;

    /**
     * A pasted kvm_mmu_reload or kvm_mmu_free_roots makes every guest entry run the root handling
     * (trial10), so the file as written gets the prelude's vcpu_enter_guest pasted too: both sides
     * then enter alike, and only the shapes differ (states.sh keeps the file's own rows).
     */
    private static void sameRows(Path f) {
        String text = SameRows.read(f);
        String base = text.contains("path vcpu_enter_guest(") ? text : text + "\n" + ENTER_GUEST;
        SameRows.check(f, base, base + "\n" + targetLevel(f, text) + "\n" + EVERY_KERNEL, "the prelude's functions else-shaped");
    }
}
