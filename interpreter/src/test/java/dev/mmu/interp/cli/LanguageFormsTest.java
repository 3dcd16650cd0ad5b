package dev.mmu.interp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The forms issue 12 added, each run where it decides a verdict: `expect fails` passes on the
 * buggy path and fails on the fixed one; `choose` explores every branch; `need_resched` as a value
 * branches as the statement does; the TLB entry's fields and the SPTE's A/D bits are read.
 */
class LanguageFormsTest {
    @TempDir
    Path dir;

    private static final String ZAP = """
            path zap(start, end) {
              lock write
              let flush = tdp_zap_range(start, end, flush: false, can_yield: false)
              FIX
              assert !tlb(0, 0x1000)
              unlock
            }

            scenario "zap" {
              memslot 0 { gpa 0x0 size 2M }
              setup { vcpu 0 read 0x1000 }
              thread zap { zap(0x0, 0x200) }
              thread vcpu 0 { read 0x1000 }
              expect fails final !tlb(0, 0x1000) || spte(0x1000).present
              expect fails always spte(0x1000).present
              expect fails reachable stat.remote_tlb_flush == 1
              expect fails assert
            }
            """;

    private CliRun check(String text) throws IOException {
        Path f = dir.resolve("s.mmu");
        Files.writeString(f, text);
        return CliRun.of("check", f.toString());
    }

    @Test
    void expectedFailuresPassOnTheBugWithTheirTraceAndFailOnTheFix() throws IOException {
        CliRun buggy = check(ZAP.replace("FIX", "# the flush is dropped"));
        assertThat(buggy.code()).as(buggy.out()).isEqualTo(0);
        assertThat(buggy.out())
                .contains("PASS    expect fails final !tlb(0, 0x1000) || spte(0x1000).present  (found by DFS")
                .contains("PASS    expect fails assert  (found by DFS")
                .contains("PASS    expect fails reachable stat.remote_tlb_flush == 1")
                .contains("evidence, ")
                .doesNotContain("holds for every interleaving");

        CliRun fixed = check(ZAP.replace("FIX", "if flush { flush_remote_tlbs() }"));
        assertThat(fixed.code()).as(fixed.out()).isEqualTo(1);
        assertThat(fixed.out())
                .contains("FAIL    expect fails final !tlb(0, 0x1000) || spte(0x1000).present  (no such state is reachable")
                .contains("FAIL    expect fails assert  (no such state is reachable")
                .contains("FAIL    expect fails reachable stat.remote_tlb_flush == 1")
                .contains("PASS    expect fails always spte(0x1000).present");
    }

    @Test
    void anExpectedLivelockFailsWhenTheWalksTerminate() throws IOException {
        String text = Files.readString(Path.of("../examples/invariants/terminates.mmu"))
                .replace("import \"../tdp/forward-progress.mmu\"",
                        "import \"" + Path.of("../examples/tdp/forward-progress.mmu").toAbsolutePath() + "\"")
                .replace("  expect terminates\n", "  expect fails terminates\n");
        CliRun r = check(text);
        assertThat(r.code()).as(r.out()).isEqualTo(1);
        assertThat(r.out()).contains("PASS    expect fails terminates").contains("FAIL    expect fails terminates");
    }

    @Test
    void anExpectedMetricOverrunPassesOnlyAboveTheBound() throws IOException {
        String scenario = """
                scenario "work" {
                  memslot 0 { gpa 0x0 size 2M }
                  setup { vcpu 0 read 0x1000 }
                  thread zap { kvm_tdp_mmu_zap_gfn_range 0x0 .. 0x200000 }
                  expect fails max lock_hold_work <= BOUND
                }
                """;
        assertThat(check(scenario.replace("BOUND", "0")).code()).isEqualTo(0);
        CliRun within = check(scenario.replace("BOUND", "1000"));
        assertThat(within.code()).as(within.out()).isEqualTo(1);
    }

    @Test
    void chooseExploresEveryBranch() throws IOException {
        CliRun r = check("""
                scenario "three pages" {
                  memslot 0 { gpa 0x0 size 4M backing 2M }
                  thread vcpu 0 {
                    choose { read 0x1000 } or { write 0x201000 } or { exec 0x1000 }
                  }
                  expect reachable spte(0x201000).dirty
                  expect reachable spte(0x1000).exec
                  expect reachable spte(0x1000).present && !spte(0x1000).exec
                  expect final stat.pages_2m + stat.pages_4k == 1
                }
                """);
        assertThat(r.code()).as(r.out()).isEqualTo(0);
        assertThat(r.out()).contains("choose: branch 2 of 3").contains("choose: branch 3 of 3");
    }

    @Test
    void needReschedAsAValueTakesBothAnswers() throws IOException {
        String text = """
                path zap(start, end) {
                  lock write
                  let flush = tdp_zap_range(start, end, flush: false, can_yield: false)
                  if flush && need_resched {
                    unlock                          # yields with the flush pending
                    lock write
                  }
                  if flush { flush_remote_tlbs() }
                  unlock
                }

                scenario "yield" {
                  memslot 0 { gpa 0x0 size 2M }
                  setup { vcpu 0 read 0x1000 }
                  thread zap { zap(0x0, 0x200) }
                  EXPECT
                }
                """;
        CliRun yes = check(text.replace("EXPECT", "expect never stale_tlb_at_unlock"));
        assertThat(yes.code()).as(yes.out()).isEqualTo(1);
        assertThat(yes.out()).contains("need_resched() true");
        // ... and the no branch is explored too: a run that never unlocks early reaches the end flushed.
        CliRun no = check(text.replace("EXPECT", "expect reachable stat.remote_tlb_flush == 1 && !tlb(0, 0x1000)"));
        assertThat(no.code()).as(no.out()).isEqualTo(0);
    }

    @Test
    void globalsAreLoadedAndStoredInStepsOfTheirOwnAndImportedWithTheirPaths() throws IOException {
        Files.writeString(dir.resolve("counter.mmu"), """
                global count = 0

                path inc_plain() {
                  count = count + 1
                }

                path inc_cmpxchg() {
                  let old = count
                  while !try_cmpxchg(count, old, old + 1) {
                  }
                }
                """);
        String text = """
                import "counter.mmu"

                scenario "two increments" {
                  memslot 0 { gpa 0x0 size 2M }
                  thread a { INC() }
                  thread b { INC() }
                  expect final count == 2
                }
                """;
        CliRun plain = check(text.replace("INC", "inc_plain"));
        assertThat(plain.code()).as(plain.out()).isEqualTo(1);
        assertThat(plain.out()).contains("FAIL    expect final count == 2").contains("load count");
        CliRun cmpxchg = check(text.replace("INC", "inc_cmpxchg"));
        assertThat(cmpxchg.code()).as(cmpxchg.out()).isEqualTo(0);
    }

    @Test
    void aCmpxchgSucceedsAcrossAnAba() throws IOException {
        CliRun r = check("""
                global mapping = 1
                global changes = 0

                scenario "aba" {
                  memslot 0 { gpa 0x0 size 2M }
                  thread updater {
                    let old = mapping
                    let seen = changes
                    let swapped = try_cmpxchg(mapping, old, 2)
                    assert !swapped || changes == seen
                  }
                  thread zapper { mapping = 0; changes = changes + 1; mapping = 1; changes = changes + 1 }
                  expect fails assert
                  expect reachable mapping == 1 && changes == 2
                  expect final mapping == 2 || changes == 2
                }
                """);
        assertThat(r.code()).as(r.out()).isEqualTo(0);
        assertThat(r.out()).contains("try_cmpxchg(mapping, old, 2): swapped");
    }

    @Test
    void theTlbEntryAndTheSpteBitsAreValues() throws IOException {
        CliRun r = check("""
                scenario "bits" {
                  memslot 0 { gpa 0x0 size 2M }
                  vcpus 2
                  setup {
                    vcpu 0 read 0x1000
                    assert tlb(0, 0x1000).present && tlb(0, 0x1000).level == 1 && tlb(0, 0x1000).writable
                    assert spte(0x1000).accessed && !spte(0x1000).dirty
                  }
                  thread vcpu 1 { write 0x1000 }
                  thread flusher { kvm_flush_remote_tlbs }
                  expect final spte(0x1000).dirty && !tlb(0, 0x1000).present
                  expect reachable tlb(1, 0x1000).writable
                  expect final tlb(1, 0x1000).pfn == spte(0x1000).pfn || !tlb(1, 0x1000)
                }
                """);
        assertThat(r.code()).as(r.out()).isEqualTo(0);
    }

    /** `continue` goes on to the loop's next pass in a repeat, a while and a for walk (C code keeps its own). */
    @Test
    void continueGoesOnToTheLoopsNextPass() throws IOException {
        CliRun r = check("""
                global g = 0

                path count() {
                  let i = 0
                  repeat 3 {
                    i = i + 1
                    if i == 2 {
                      continue
                    }
                    g = g + i
                  }
                  while i < 6 {
                    i = i + 1
                    if i == 5 {
                      continue
                    }
                    g = g + 10 * i
                  }
                  lock write
                  rcu_read_lock()
                  for iter in tdp_pte(root, 0x0 .. 0x200) {
                    if !iter.present || !iter.leaf {
                      continue
                    }
                    g = g + 100
                  }
                  rcu_read_unlock()
                  unlock
                }

                scenario "s" {
                  memslot 0 { gpa 0x0 size 2M backing 4K }
                  setup {
                    vcpu 0 read 0x1000
                    vcpu 0 read 0x3000
                  }
                  thread t { count() }
                  expect final g == 1 + 3 + 40 + 60 + 200
                }
                """);
        assertThat(r.code()).as(r.out()).isZero();
    }

    /** The file and the command line take both words for the depth-first search (`dfs` in a file was "did you mean 'bfs'?"). */
    @Test
    void dfsAndExhaustiveNameTheSameSearchInTheFileAndOnTheCommandLine() throws IOException {
        String scenario = """
                scenario "s" {
                  memslot 0 { gpa 0x0 size 2M }
                  thread vcpu 0 { read 0x1000 }
                  explore { strategy WORD }
                  expect reachable spte(0x1000).present
                }
                """;
        CliRun dfs = check(scenario.replace("WORD", "dfs"));
        CliRun exhaustive = check(scenario.replace("WORD", "exhaustive"));
        assertThat(dfs.code()).as(dfs.out()).isZero();
        assertThat(dfs.out()).contains("PASS    expect reachable spte(0x1000).present  (found by DFS");
        assertThat(exhaustive.out()).contains("PASS    expect reachable spte(0x1000).present  (found by DFS");

        Path f = dir.resolve("s.mmu");
        CliRun flag = CliRun.of("check", "--strategy", "exhaustive", f.toString());
        assertThat(flag.code()).as(flag.out()).isZero();
        assertThat(flag.out()).contains("(found by DFS");
        CliRun bad = CliRun.of("check", "--strategy", "depth", f.toString());
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).contains("expected dfs (or exhaustive), bfs, preemption_bounded, random or pct, found 'depth'");

        Path formatted = dir.resolve("f.mmu");
        Files.writeString(formatted, scenario.replace("WORD", "dfs"));
        assertThat(CliRun.of("fmt", formatted.toString()).code()).isZero();
        assertThat(Files.readString(formatted)).contains("explore { strategy exhaustive }");
    }

    /** `mmu check --scenario NAME` checks the scenarios of that name only; a name no file has is bad input. */
    @Test
    void checkRunsOnlyTheNamedScenarios() throws IOException {
        String two = """
                scenario "one" {
                  memslot 0 { gpa 0x0 size 2M }
                  thread vcpu 0 { read 0x1000 }
                }
                scenario "two" {
                  memslot 0 { gpa 0x0 size 2M }
                  thread vcpu 0 { read 0x1000 }
                  expect always !spte(0x1000).present
                }
                """;
        Path f = dir.resolve("two.mmu");
        Files.writeString(f, two);
        CliRun one = CliRun.of("check", "-q", "--scenario", "one", f.toString());
        assertThat(one.code()).as(one.out()).isZero();
        assertThat(one.out()).contains("\"one\"").doesNotContain("\"two\"");
        CliRun both = CliRun.of("check", "-q", "--scenario", "one", "--scenario", "two", f.toString());
        assertThat(both.code()).isEqualTo(1);
        CliRun none = CliRun.of("check", "-q", "--scenario", "three", f.toString());
        assertThat(none.code()).isEqualTo(2);
        assertThat(none.err()).contains("no scenario named \"three\"; its scenarios: \"one\", \"two\"");
    }
}
