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
 * A goto compiles to the ops of its structured form (docs/kernel-model.md, "Goto"): `if c { goto
 * out }; X; out:` is `if !c { X }`, a goto out of a loop is its break, one at the end of a branch
 * runs into its label; so it is no step of its own, and the prelude's functions in the kernel's goto
 * form run as their if/break forms ran.
 */
class GotoOpsTest {
    private static final String SCENARIO = """

            scenario "s" {
              vm { MMU }
              memslot 0 { gpa 0x0 size 2M }
              setup { vcpu 0 read 0x1000 }
              thread t { p(spte(0x1000).present, spte(0x2000).present) }  # known only while running
            }
            """;

    @Test
    void aGotoPastTheRestIsTheIfOfItsNegation() {
        sameOps("""
                path p(c: bool, d: bool) {
                  lock write
                  if c {
                    goto out_unlock
                  }
                  flush_remote_tlbs()
                out_unlock:
                  unlock
                }
                """, """
                path p(c: bool, d: bool) {
                  lock write
                  if !c {
                    flush_remote_tlbs()
                  }
                  unlock
                }
                """, "tdp");
    }

    /** `x != y` negated is `x == y`, `!c` is c; an else runs where the test goes on. */
    @Test
    void theNegationAReaderWrites() {
        sameOps("""
                path p(c: bool, d: bool) {
                  let n = 0
                  if !c {
                    goto out
                  }
                  if n != 3 {
                    goto out
                  } else {
                    n = 4
                  }
                  n = 5
                out:
                  assert n < 6
                }
                """, """
                path p(c: bool, d: bool) {
                  let n = 0
                  if c {
                    if n == 3 {
                      n = 4
                      n = 5
                    }
                  }
                  assert n < 6
                }
                """, "tdp");
    }

    /** Two gotos to one label, one after work in its branch: that one's jump is the else's jump past the rest. */
    @Test
    void aGotoAfterWorkInABranch() {
        sameOps("""
                global g = 0

                path p(c: bool, d: bool) {
                  if c {
                    g = 1
                    goto out
                  }
                  if d {
                    goto out
                  }
                  g = 2
                out:
                  g = 3
                }
                """, """
                global g = 0

                path p(c: bool, d: bool) {
                  if c {
                    g = 1
                  } else {
                    if !d {
                      g = 2
                    }
                  }
                  g = 3
                }
                """, "tdp");
    }

    /** A goto at the end of a branch whose if its label follows: no jump of its own. */
    @Test
    void aGotoIntoTheLabelAfterItsIf() {
        sameOps("""
                global g = 0

                path p(c: bool, d: bool) {
                  if c {
                    g = 1
                    goto out
                  } else {
                    g = 2
                  }
                out:
                  g = 3
                }
                """, """
                global g = 0

                path p(c: bool, d: bool) {
                  if c {
                    g = 1
                  } else {
                    g = 2
                  }
                  g = 3
                }
                """, "tdp");
    }

    /** Out of a loop to the label after it: the loop's break (the if's test and a jump, not fused). */
    @Test
    void aGotoOutOfALoopIsItsBreak() {
        sameOps("""
                global g = 0

                path p(c: bool, d: bool) {
                  let i = 0
                  while i < 3 {
                    if i == 1 && c {
                      goto done
                    }
                    i = i + 1
                  }
                done:
                  g = i
                }
                """, """
                global g = 0

                path p(c: bool, d: bool) {
                  let i = 0
                  while i < 3 {
                    if i == 1 && c {
                      break
                    }
                    i = i + 1
                  }
                  g = i
                }
                """, "tdp");
    }

    /** Out of an atomic block: its jump runs in the block's step, as the else's jump past the other branch does. */
    @Test
    void aGotoOutOfAnAtomicBlockStaysInItsStep() {
        sameOps("""
                global g = 0

                path p(c: bool, d: bool) {
                  atomic {
                    g = 1
                    if c {
                      g = 2
                      goto out
                    }
                    g = 3
                  }
                out:
                }
                """, """
                global g = 0

                path p(c: bool, d: bool) {
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

    /** A goto known when compiling: only the branch taken, and nothing up to its label. */
    @Test
    void aGotoKnownWhenCompiling() {
        String jumps = """
                path p(c: bool, d: bool) {
                  if !vm.tdp_mmu {
                    goto out
                  }
                  lock write
                  flush_remote_tlbs()
                  unlock
                out:
                  lock read
                  unlock
                }
                """;
        String shaped = """
                path p(c: bool, d: bool) {
                  if vm.tdp_mmu {
                    lock write
                    flush_remote_tlbs()
                    unlock
                  }
                  lock read
                  unlock
                }
                """;
        sameOps(jumps, shaped, "shadow");
        sameOps(jumps, shaped, "tdp");
    }

    /** The prelude's goto forms against the text they replaced: direct_page_fault, kvm_tdp_mmu_page_fault, kvm_tdp_mmu_map. */
    @Test
    void thePreludesGotos() {
        String calls = """
                path p(c: bool, d: bool) {
                  vcpu 0 write 0x2000
                  vcpu 0 read 0x3000
                  vcpu 0 exec 0x4000
                }
                """;
        String shaped = calls + """

                path direct_page_fault(fault: fault) {
                  lock write
                  if !is_page_fault_stale(fault) {
                    direct_map(fault)
                  }
                }

                path kvm_tdp_mmu_page_fault(fault: fault) {
                  lock read
                  if !is_page_fault_stale(fault) {
                    kvm_tdp_mmu_map(fault)
                  }
                }

                path kvm_tdp_mmu_map(fault: fault) {
                  rcu_read_lock()
                  for iter in tdp_mmu_for_each_pte(fault) {
                    if is_frozen_spte(iter.old_spte) {
                      break
                    }
                    if iter.level == fault.goal_level {
                      tdp_mmu_map_handle_target_level(fault, iter)
                      break
                    }
                    if tdp_mmu_link_sp(fault, iter) != 0 {
                      tdp_mmu_free_unused_sp()
                      break
                    }
                    if fault.huge_page_disallowed && fault.req_level >= iter.level {
                      lock write tdp_mmu_pages_lock
                      if nx_huge_page_disallowed(iter.sp) {
                        track_possible_nx_huge_page(iter.sp)
                      }
                      unlock tdp_mmu_pages_lock
                    }
                  }
                  rcu_read_unlock()
                }
                """;
        // The prelude's kvm_tdp_mmu_map() WARNs where its walk runs out, which the gotos skip and no
        // break can: its goto form is compared without the WARN (WarnOnOnceTest checks the WARN).
        String gotos = calls + """

                path kvm_tdp_mmu_map(fault: fault) {
                  rcu_read_lock()
                  for iter in tdp_mmu_for_each_pte(fault) {
                    if is_frozen_spte(iter.old_spte) {
                      goto retry
                    }
                    if iter.level == fault.goal_level {
                      tdp_mmu_map_handle_target_level(fault, iter)
                      goto retry
                    }
                    if tdp_mmu_link_sp(fault, iter) != 0 {
                      tdp_mmu_free_unused_sp()
                      goto retry
                    }
                    if fault.huge_page_disallowed && fault.req_level >= iter.level {
                      lock write tdp_mmu_pages_lock
                      if nx_huge_page_disallowed(iter.sp) {
                        track_possible_nx_huge_page(iter.sp)
                      }
                      unlock tdp_mmu_pages_lock
                    }
                  }
                retry:
                  rcu_read_unlock()
                }
                """;
        sameOps(gotos, shaped, "tdp");
        sameOps(gotos, shaped, "shadow");
    }

    /** A goto back at the end of an if's branch is the while of its condition: the jump back to the test. */
    @Test
    void aGotoBackIsTheWhileItSpells() {
        sameOps("""
                path p(c: bool, d: bool) {
                  let n = 0
                again:
                  if n < 3 {
                    n = n + 1
                    if d {
                      flush_remote_tlbs()
                    }
                    goto again
                  }
                }
                """, """
                path p(c: bool, d: bool) {
                  let n = 0
                  while n < 3 {
                    n = n + 1
                    if d {
                      flush_remote_tlbs()
                    }
                  }
                }
                """, "tdp");
    }

    /** `if c { goto again }` after the label is the if's own test, jumping back to the label's op. */
    @Test
    void aFusedGotoBackJumpsToItsLabel() {
        List<String> ops = ops("""
                path p(c: bool, d: bool) {
                  let n = 0
                again:
                  n = n + 1
                  if n < 3 {
                    goto again
                  }
                }
                """, "tdp");
        int label = indexOf(ops, "n = n + 1");
        assertThat(ops.get(label + 1)).contains("JumpUnless").endsWith("-> [" + (label + 2) + ", " + label + "]");
        assertThat(ops).hasSize(label + 2);
    }

    /** Back out of a loop and out of atomic: the jump back to the label before them, in the atomic block's step. */
    @Test
    void aGotoBackOutOfALoopAndOutOfAtomic() {
        List<String> ops = ops("""
                path p(c: bool, d: bool) {
                  let n = 0
                again:
                  n = n + 1
                  while c {
                    if n < 3 {
                      goto again
                    }
                  }
                  atomic {
                    if n < 5 {
                      goto again
                    }
                  }
                }
                """, "tdp");
        int label = indexOf(ops, "n = n + 1");
        // the while's if jumps to the goto past it, which jumps back (no op of atomic's, out of no atomic)
        assertThat(ops).as("%s", ops).anyMatch(o -> o.matches("t \\d+ Jump goto " + label + " -> \\[" + label + "\\]"));
        // atomic's fused if: its own test, jumping back in the block's step
        assertThat(ops.get(ops.size() - 1)).contains("atomic JumpUnless if !(n < 5)").endsWith(", " + label + "]");
    }

    /**
     * Dead-local elimination sees the jump back as a while's back edge: what the label's code reads
     * is live at the jump back (LiveLocals iterates over the op graph; one sweep against the ops'
     * order would find it dead there and merge states that differ in it).
     */
    @Test
    void whatTheLabelReadsIsLiveAtTheJumpBack() {
        Loaded loaded = ScenarioLoader.load("s.mmu", """
                path p(c: bool, d: bool) {
                  let n = 0
                again:
                  assert n < 9
                  n = n + 1
                  if d {
                    goto again
                  }
                }
                """ + SCENARIO.replace("MMU", "mmu tdp"));
        assertThat(loaded.hasErrors()).as("%s", loaded.diagnostics()).isFalse();
        Program program = loaded.scenarios().get(0).program();
        Program.ThreadProgram t = program.threads().get(0);
        int n = t.localNames().indexOf("n");
        Op[] code = t.ops();
        int back = code.length - 1;
        assertThat(Arrays.stream(code[back].targets(back)).min().orElse(back)).as("the fused test jumps back").isLessThan(back);
        assertThat(dev.mmu.runtime.paths.LiveLocals.of(program)[0][back].get(n)).as("n live at the jump back").isTrue();
    }

    private static int indexOf(List<String> ops, String text) {
        for (int i = 0; i < ops.size(); i++) if (ops.get(i).contains(text)) return i;
        throw new AssertionError(text + " not in " + ops);
    }

    private static void sameOps(String gotos, String shaped, String mmu) {
        assertThat(ops(gotos, mmu)).as("mmu %s", mmu).isEqualTo(ops(shaped, mmu)).isNotEmpty();
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
