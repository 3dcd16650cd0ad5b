package dev.mmu.interp.compile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.interp.run.Loaded;
import dev.mmu.interp.run.ScenarioLoader;
import dev.mmu.runtime.paths.Op;
import dev.mmu.runtime.paths.Program;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * An early return compiles to the ops its else-shaped form compiles to (docs/kernel-model.md,
 * "Early return"): so it is no step of its own, with step merging or without, and the prelude's
 * functions written back in the kernel's shape run as they ran.
 */
class EarlyReturnOpsTest {
    private static final String SCENARIO = """

            scenario "s" {
              vm { MMU }
              memslot 0 { gpa 0x0 size 2M }
              setup { vcpu 0 read 0x1000 }
              thread t { p(spte(0x1000).present) }  # known only while running: both branches are compiled
            }
            """;

    @Test
    void aReturnBeforeTheRestIsTheElseThatHoldsIt() {
        sameOps("""
                path p(c: bool) {
                  lock write
                  if c {
                    unlock
                    return
                  }
                  flush_remote_tlbs()
                  unlock
                }
                """, """
                path p(c: bool) {
                  lock write
                  if c {
                    unlock
                  } else {
                    flush_remote_tlbs()
                    unlock
                  }
                }
                """, "tdp");
    }

    /** A value returned early: the caller's temporary, then the jump its else's end made. */
    @Test
    void aValueReturnedEarly() {
        sameOps("""
                path q(c: bool) -> bool {
                  if c {
                    return true
                  }
                  let x = !c
                  return x
                }

                path p(c: bool) {
                  assert q(c)
                }
                """, """
                path q(c: bool) -> bool {
                  if c {
                    return true
                  } else {
                    let x = !c
                    return x
                  }
                }

                path p(c: bool) {
                  assert q(c)
                }
                """, "tdp");
    }

    /** The jump out of an atomic block runs in its step, as the else's jump past the other branch does. */
    @Test
    void aReturnInAnAtomicBlockStaysInItsStep() {
        sameOps("""
                global g = 0

                path p(c: bool) {
                  atomic {
                    g = 1
                    if c {
                      g = 2
                      return
                    }
                    g = 3
                  }
                }
                """, """
                global g = 0

                path p(c: bool) {
                  atomic {
                    g = 1
                    if c {
                      g = 2
                    } else {
                      g = 3
                    }
                  }
                }
                """, "tdp");
    }

    /** `if (!tdp_mmu_enabled) return;` known when compiling: nothing, as `if tdp_mmu_enabled { }` was. */
    @Test
    void aReturnKnownWhenCompiling() {
        String early = """
                path p(c: bool) {
                  if !vm.tdp_mmu {
                    return
                  }
                  lock write
                  flush_remote_tlbs()
                  unlock
                }
                """;
        String shaped = """
                path p(c: bool) {
                  if vm.tdp_mmu {
                    lock write
                    flush_remote_tlbs()
                    unlock
                  }
                }
                """;
        sameOps(early, shaped, "shadow");
        sameOps(early, shaped, "tdp");
    }

    /**
     * The prelude's functions that return early, against their else-shaped forms: the rest in the
     * else of an empty branch. (The prelude's text before had `if p { rest }` for `if !p { return }`,
     * one op fewer, whose rows EarlyReturnShapesTest compares.)
     */
    @Test
    void thePreludesEarlyReturns() {
        String calls = """
                path p(c: bool) {
                  vcpu 0 write 0x2000
                  kvm_mmu_unload(0)
                  kvm_mmu_reset_context(0)
                  vcpu 0 read 0x3000
                  kvm_mmu_slot_try_split_huge_pages(0)
                  kvm_mmu_free_roots(0, true)
                }

                path vcpu_enter_guest(vcpu_id: int, guest_mode: bool) {
                  if kvm_check_request_free_obsolete_roots(vcpu_id) {
                    kvm_mmu_free_obsolete_roots(vcpu_id)
                  }
                  kvm_mmu_reload(vcpu_id, guest_mode)
                }
                """;
        // The prelude's vcpu_enter_guest pasted on both sides: pasting kvm_mmu_reload (below) makes
        // every guest entry run the root handling (trial10), so the early-return side must too.
        String shaped = calls + """

                path tdp_mmu_map_handle_target_level(fault: fault, iter: iter) {
                  if WARN_ON_ONCE(iter.level != fault.goal_level) {
                  } else if is_shadow_present_pte(iter.old_spte) && is_access_allowed(fault, iter.old_spte) && is_last_spte(iter.old_spte, iter.level) {
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

                path kvm_mmu_reload(vcpu_id: int, guest_mode: bool) {
                  if root_hpa_valid(vcpu_id, guest_mode) {
                  } else {
                    kvm_mmu_load(vcpu_id, guest_mode)
                  }
                }

                path kvm_mmu_free_roots(vcpu_id: int, guest_mmu: bool) {
                  if !root_hpa_valid(vcpu_id, guest_mmu) {
                  } else {
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
                  if !vm.tdp_mmu {
                  } else {
                    if vm.nested_mmu {
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
        sameOps(calls, shaped, "tdp");
        sameOps(calls, shaped, "shadow");
    }

    private static void sameOps(String early, String shaped, String mmu) {
        assertThat(ops(early, mmu)).as("mmu %s", mmu).isEqualTo(ops(shaped, mmu)).isNotEmpty();
    }

    /** Each op of each thread as its kind, text and targets (an assert's position in the file aside). */
    private static List<String> ops(String paths, String mmu) {
        Loaded loaded = ScenarioLoader.load("s.mmu", paths + SCENARIO.replace("MMU", "mmu " + mmu));
        assertThat(loaded.hasErrors()).as("%s", loaded.diagnostics()).isFalse();
        List<String> out = new ArrayList<>();
        for (Program.ThreadProgram t : loaded.scenarios().get(0).program().threads()) {
            Op[] ops = t.ops();
            for (int pc = 0; pc < ops.length; pc++) {
                Op op = ops[pc] instanceof dev.mmu.runtime.paths.Ops.Atomic a ? a.inner() : ops[pc];
                out.add(t.name() + " " + pc + " " + (op == ops[pc] ? "" : "atomic ") + op.getClass().getSimpleName()
                        + " " + op.describe().replaceAll(" \\(s\\.mmu:\\d+:\\d+\\)", "").replaceAll("^at \\S+:\\d+:\\d+ ", "at ") + " -> " + Arrays.toString(ops[pc].targets(pc)));
            }
        }
        return out;
    }
}
