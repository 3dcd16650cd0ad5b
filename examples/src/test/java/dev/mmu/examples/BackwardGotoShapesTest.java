package dev.mmu.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.interp.compile.CompiledScenario;
import dev.mmu.interp.run.Loaded;
import dev.mmu.interp.run.ScenarioLoader;
import dev.mmu.runtime.explore.ExploreResult;
import dev.mmu.runtime.explore.Explorer;
import dev.mmu.runtime.explore.Verdict;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.MmuSystem;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * A backward goto is the loop it spells (docs/kernel-model.md, "Goto"): a path written with `goto
 * restart` and the same path written with while/break give the same verdicts, states, transitions
 * and depth, with a yield in the loop (the explorer's live locals, step merging and partial-order
 * reduction see the jump back as a while's), out of a `for` back to a label before it
 * (kvm_zap_obsolete_pages(), kvm_mmu_zap_all()), and `expect terminates` finds an endless goto loop
 * as it finds an endless while.
 */
class BackwardGotoShapesTest {
    /** __kvm_mmu_zap_all_fast() as the prelude has it around kvm_zap_obsolete_pages()'s loop, LOOP. */
    private static final String ZAP_ALL_FAST = """
            path __kvm_mmu_zap_all_fast() {
              lock write
              kvm_mmu_toggle_valid_gen()
              atomic {
                if vm.tdp_mmu {
                  kvm_tdp_mmu_invalidate_roots()
                }
                kvm_make_all_cpus_request_free_obsolete_roots()
              }
              let batch = 0
            LOOP
              commit_zap()
              unlock
              if vm.tdp_mmu {
                kvm_tdp_mmu_zap_invalidated_roots()
              }
            }
            """;
    /**
     * BATCH_ZAP_PAGES lowered to 0, so that the yield and the restart can run before each zap: the
     * examples' zaps take one page each (a root's zap takes its children), never a batch.
     */
    private static final String GOTO_RESTART = """
            restart:
              for sp in obsolete_pages {
                if batch >= 0 {
                  if need_resched {
                    unlock
                    lock write
                    batch = 0
                    goto restart
                  }
                }
                batch = batch + __kvm_mmu_prepare_zap_page(sp)
              }
            """;
    /** The prelude's form before backward gotos: the `for` takes the oldest obsolete page again, as a restart does. */
    private static final String IF_ELSE = """
              for sp in obsolete_pages {
                if batch >= 0 {
                  if need_resched {
                    unlock
                    lock write
                    batch = 0
                  } else {
                    batch = batch + __kvm_mmu_prepare_zap_page(sp)
                  }
                } else {
                  batch = batch + __kvm_mmu_prepare_zap_page(sp)
                }
              }
            """;
    /** The restart as a loop around the walk, left by a break when the walk ran to its end. */
    private static final String WHILE_BREAK = "while true {\nlet again = false\n"
            + GOTO_RESTART.replace("restart:\n", "").replace("goto restart", "again = true\nbreak")
            + "if !again {\nbreak\n}\n}\n";
    /** Examples whose fast zap finds obsolete shadow pages (the restart runs there). */
    private static final List<String> ZAP_EXAMPLES = List.of("nested/zap-all-fast-both.mmu", "memslot/delete-zap-all.mmu");

    private static String zap(String loop) {
        return ZAP_ALL_FAST.replace("LOOP\n", loop);
    }

    /** A goto out of a `for` back to the label before it: the prelude's old form and a while/break form. */
    @TestFactory
    Stream<DynamicTest> aRestartOutOfTheWalkIsTheLoopAroundIt() {
        return ZAP_EXAMPLES.stream().flatMap(name -> {
            Path f = Path.of("..", "examples").resolve(name);
            String text = SameRows.read(f);
            return Stream.of(
                    DynamicTest.dynamicTest(name + ", if/else", () -> SameRows.check(f, text + zap(IF_ELSE), text + zap(GOTO_RESTART),
                            "kvm_zap_obsolete_pages() with goto restart against if/else")),
                    DynamicTest.dynamicTest(name + ", while/break", () -> SameRows.check(f, text + zap(WHILE_BREAK),
                            text + zap(GOTO_RESTART), "kvm_zap_obsolete_pages() with goto restart against while/break")));
        });
    }

    /**
     * The rmap walk of nested/rmap-walk-yield.mmu, whose loop yields (unlock; lock write): its
     * `while` as a label and an if with the goto back at its end, and as a do-while (the test at
     * the end, the first pass untested: level starts at 1).
     */
    @TestFactory
    Stream<DynamicTest> aYieldingWalkWrittenWithAGotoBack() {
        Path f = Path.of("..", "examples", "nested", "rmap-walk-yield.mmu");
        String text = SameRows.read(f);
        String loopEnd = "        }\n      }\n    }\n    if vm.tdp_mmu {";
        String top = replace(replace(text, "      while level <= 3 {", "walk:\n      if level <= 3 {"), loopEnd,
                "        }\n        goto walk\n      }\n    }\n    if vm.tdp_mmu {");
        String bottom = replace(replace(text, "      while level <= 3 {", "walk:\n      if true {"), loopEnd,
                "        }\n        if level <= 3 {\n          goto walk\n        }\n      }\n    }\n    if vm.tdp_mmu {");
        return Stream.of(
                DynamicTest.dynamicTest("test at the top", () -> SameRows.check(f, top, "the walk's while as goto walk")),
                DynamicTest.dynamicTest("test at the end", () -> SameRows.check(f, bottom, "the walk's while as a do-while of goto walk")));
    }

    /** text with each `from` replaced, failing if there is none (the example changed). */
    private static String replace(String text, String from, String to) {
        assertThat(text).contains(from);
        return text.replace(from, to);
    }

    private static final String SPIN = """
            global stop = 0

            path spin() {
            LOOP
            }

            # Two spinners on mmu_lock: their steps conflict, so each pass is a step (a thread
            # alone would run its loop as silent ops, cut after MAX_SILENT_RUN).
            scenario "endless" {
              memslot 0 { gpa 0x0 size 2M }
              thread t {
                spin()
              }
              thread u {
                spin()
              }
              expect terminates
            }

            scenario "stopped by another thread" {
              memslot 0 { gpa 0x0 size 2M }
              thread t {
                spin()
              }
              thread u {
                stop = 1
              }
              expect terminates
            }
            """;

    /**
     * `expect terminates` on a loop of gotos finds the cycle a while's makes, and passes where
     * another thread stops it: the goto back at the end of the top's if gives a while's rows; the
     * goto back at the end (a do-while) the verdicts of `while true` and a break.
     */
    @Test
    void terminatesFindsAnEndlessGotoLoopAsAnEndlessWhile() {
        Path f = Path.of("backward-goto-terminates.mmu");
        String topGoto = SPIN.replace("LOOP\n", """
                again:
                  if stop == 0 {
                    lock write
                    unlock
                    goto again
                  }
                """);
        String whileLoop = SPIN.replace("LOOP\n", """
                  while stop == 0 {
                    lock write
                    unlock
                  }
                """);
        SameRows.check(f, whileLoop, topGoto, "a goto loop against a while");
        String endGoto = SPIN.replace("LOOP\n", """
                again:
                  lock write
                  unlock
                  if stop == 0 {
                    goto again
                  }
                """);
        String whileBreak = SPIN.replace("LOOP\n", """
                  while true {
                    lock write
                    unlock
                    if stop != 0 {
                      break
                    }
                  }
                """);
        // Not the same rows: the read of the global `stop` is a step of its own, and the ops
        // around it differ (while true's test, the break's jump), so only the verdicts compare.
        for (String text : List.of(topGoto, endGoto, whileLoop, whileBreak)) {
            Loaded loaded = ScenarioLoader.load(f.toString(), text);
            assertThat(verdict(loaded.scenarios().get(0))).as("endless").isEqualTo(Verdict.FAIL);
            assertThat(verdict(loaded.scenarios().get(1))).as("stopped").isEqualTo(Verdict.PASS);
        }
    }

    private static Verdict verdict(CompiledScenario sc) {
        ExploreResult<VmState> r = Explorer.explore(new MmuSystem(sc.program()), sc.expectations(), sc.options());
        return r.outcomes().get(0).verdict();
    }
}
