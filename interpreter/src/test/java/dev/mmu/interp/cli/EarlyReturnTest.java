package dev.mmu.interp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `return` anywhere in a path, as the kernel's C: the path ends there and its caller gets the
 * value, out of every kind of loop; a root walk's reference stays the body's (a yield-safe root
 * loop's, as the kernel's) or is put (the builtin root's walk, as a break does); a return in an
 * atomic block ends its step; a return that keeps a lock is the explorer's lock_balance; and it is
 * no step of its own: an early return and its else-shaped form explore the same states.
 */
class EarlyReturnTest {
    @TempDir
    Path dir;

    private CliRun check(String text) throws IOException {
        Path f = dir.resolve("s.mmu");
        Files.writeString(f, text);
        return CliRun.of("check", f.toString());
    }

    @Test
    void aReturnLeavesEveryKindOfLoopWithItsValue() throws IOException {
        CliRun r = check("""
                global g = 0

                path in_repeat() -> int {
                  let i = 0
                  repeat 5 {
                    i = i + 1
                    if i == 3 {
                      return i
                    }
                  }
                  return 100
                }

                path in_while() -> int {
                  let i = 0
                  while i < 10 {
                    i = i + 1
                    if i == 4 {
                      return i * 10
                    }
                  }
                  return 1000
                }

                # The first mapped gfn: out of the walk of the builtin root and of the loop around it.
                path in_tdp_pte() -> int {
                  repeat 2 {
                    for iter in tdp_pte(root, 0x0 .. 0x200) {
                      if iter.present && iter.leaf {
                        return iter.gfn * 1000
                      }
                    }
                  }
                  return 7
                }

                path in_root_loop() -> int {
                  for r in tdp_mmu_roots {
                    return 10000
                  }
                  return 20000
                }

                path in_atomic(c: bool) -> int {
                  atomic {
                    if c {
                      return 100000
                    }
                  }
                  return 200000
                }

                scenario "s" {
                  memslot 0 { gpa 0x0 size 2M backing 4K }
                  setup { vcpu 0 read 0x3000 }
                  thread t {
                    g = in_repeat() + in_while()
                    lock write
                    rcu_read_lock()
                    let gfn = in_tdp_pte()
                    rcu_read_unlock()
                    let roots = in_root_loop()
                    unlock
                    g = g + gfn + roots + in_atomic(true) + in_atomic(false)
                  }
                  expect final g == 3 + 40 + 3000 + 10000 + 100000 + 200000
                  expect never lock_balance
                }
                """);
        assertThat(r.code()).as(r.out()).isZero();
    }

    /** After first_root() the loop's reference is the caller's: one put leaves vCPU 0's and the TDP MMU's, two are a put too many. */
    private static final String ROOT_REFERENCE = """
            path first_root() -> bool {
              for root in tdp_mmu_roots_yield_safe {
                return true  # the kernel's return: the reference tdp_mmu_next_root() took stays
              }
              return false
            }

            scenario "s" {
              memslot 0 { gpa 0x0 size 2M }
              setup { vcpu 0 read 0x1000 }
              thread t {
                lock write
                assert first_root()
                for root in tdp_mmu_roots {
                  PUTS
                }
                unlock
              }
              expect never freed_root_in_use
            }
            """;

    @Test
    void aReturnFromAYieldSafeRootLoopKeepsTheRootsReference() throws IOException {
        String put = "kvm_tdp_mmu_put_root(root)\n";
        CliRun kept = check(ROOT_REFERENCE.replace("PUTS", put)); // beyond vCPU 0's and the TDP MMU's, the one kept
        assertThat(kept.code()).as(kept.out()).isZero();
        CliRun once = check(ROOT_REFERENCE.replace("PUTS", put.repeat(2))); // a put too many
        assertThat(once.code()).as(once.out()).isEqualTo(1);
        assertThat(once.out()).contains("freed_root_in_use");
    }

    /** The builtin root's walk holds a reference of its own: a return puts it, as a break does. */
    @Test
    void aReturnFromTheBuiltinRootsWalkPutsItsReference() throws IOException {
        String text = """
                path find() -> bool {
                  for iter in tdp_pte(root, 0x0 .. 0x200) {
                    if iter.present {
                      return true
                    }
                  }
                  return false
                }

                scenario "s" {
                  memslot 0 { gpa 0x0 size 2M }
                  setup { vcpu 0 read 0x1000 }
                  thread t {
                    lock write
                    rcu_read_lock()
                    assert find()
                    for root in tdp_mmu_roots {
                      PUTS
                    }
                    rcu_read_unlock()
                    unlock
                  }
                  expect never freed_root_in_use
                }
                """;
        String put = "kvm_tdp_mmu_put_root(root)\n";
        CliRun one = check(text.replace("PUTS", "")); // the walk's reference is put: vCPU 0's and the TDP MMU's are left
        assertThat(one.code()).as(one.out()).isZero();
        CliRun two = check(text.replace("PUTS", put)); // a put too many
        assertThat(two.code()).as(two.out()).isEqualTo(1);
        assertThat(two.out()).contains("freed_root_in_use");
    }

    /** The kernel's missing `goto out_unlock`: the checker lets it through, the explorer finds the lock kept. */
    @Test
    void aReturnThatKeepsALockIsLockBalance() throws IOException {
        String text = """
                path zap(gfn: int) {
                  lock write
                  if !spte(gfn * 4096).present {
                    EXIT
                  }
                  set_spte(gfn, 1, present: false, writable: false, exec: false)
                  flush_remote_tlbs()
                  unlock
                }

                scenario "s" {
                  vm { nx_huge_pages off }
                  memslot 0 { gpa 0x0 size 2M }
                  setup { vcpu 0 read 0x1000 }
                  thread zap { zap(2) }
                  expect never lock_balance
                }
                """;
        CliRun buggy = check(text.replace("EXIT", "return"));
        assertThat(buggy.code()).as(buggy.out()).isEqualTo(1);
        assertThat(buggy.out()).contains("lock_balance").contains("thread ends holding mmu_lock");
        CliRun fixed = check(text.replace("EXIT", "unlock\n    return"));
        assertThat(fixed.code()).as(fixed.out()).isZero();
    }

    /** Statements after a return are an error with its caret, exit 2. */
    @Test
    void codeAfterAReturnIsAnErrorWithItsCaret() throws IOException {
        CliRun r = check("""
                path p() {
                  return
                  lock write
                }

                scenario "s" {
                  memslot 0 { gpa 0x0 size 2M }
                  thread t { p() }
                }
                """);
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("s.mmu:3:3: error: unreachable statement: the one before it returns")
                .contains("  lock write\n  ^");
    }

    private static final String SHAPES = """
            global g = 0

            path p(c: bool) {
              lock write
              if c {
                unlock
                return
              } ELSE
              g = g + 1
              unlock
            }

            scenario "s" {
              memslot 0 { gpa 0x0 size 2M }
              thread a { p(true); p(false) }
              thread b { p(false); p(true) }
              thread c { let x = g; assert x <= 2 }
              expect final g == 2
              expect never lock_balance
            }
            """;

    /**
     * An early return is no step of its own: `if c { return }; X` explores what `if c { return }
     * else { X }` does, and a return that ends the path (here the threads') what its end does.
     */
    @Test
    void anEarlyReturnExploresWhatItsElseShapedFormDoes() throws IOException {
        CliRun early = check(SHAPES.replace(" ELSE", ""));
        CliRun shaped = check(SHAPES.replace(" ELSE", " else {").replace("  unlock\n}", "  unlock\n  }\n}"));
        CliRun last = check(SHAPES.replace(" ELSE", "").replace("  unlock\n}", "  unlock\n  return\n}"));
        assertThat(early.code()).as(early.out()).isZero();
        assertThat(shaped.code()).as(shaped.out()).isZero();
        assertThat(explored(early.out())).isEqualTo(explored(shaped.out())).isEqualTo(explored(last.out())).isNotEmpty();
    }

    private static final String KNOWN = """
            global g = 0

            path split() {
              SPLIT
            }

            scenario "s" {
              vm { mmu shadow }
              memslot 0 { gpa 0x0 size 2M }
              thread t { split() }
              thread u { g = 1; g = 2 }
              expect final g == 2
            }
            """;

    /**
     * `if (!tdp_mmu_enabled) return;` with the answer known when compiling is no op, as the
     * else-shaped `if tdp_mmu_enabled { ... }` was: nothing after it is compiled, and the return,
     * last of what runs, jumps nowhere (a thread's first op would be a step of its own).
     */
    @Test
    void aReturnKnownWhenCompilingIsNoOp() throws IOException {
        CliRun early = check(KNOWN.replace("SPLIT", "if !vm.tdp_mmu {\n    return\n  }\n  lock write\n  unlock"));
        CliRun shaped = check(KNOWN.replace("SPLIT", "if vm.tdp_mmu {\n    lock write\n    unlock\n  }"));
        assertThat(early.code()).as(early.out()).isZero();
        assertThat(explored(early.out())).isEqualTo(explored(shaped.out())).isNotEmpty();
    }

    private static final String ATOMIC = """
            global g = 0

            path p(c: bool) {
              atomic {
                g = 1
                BODY
              }
            }

            scenario "s" {
              memslot 0 { gpa 0x0 size 2M }
              thread a { p(true) }
              thread b { let x = g; assert x != 1 }
              expect final g == 2
              expect never lock_balance
            }
            """;

    /** A return in an atomic block ends the block's one step, as its end does: nothing sees g == 1, and no step more. */
    @Test
    void aReturnInAnAtomicBlockEndsItsStep() throws IOException {
        CliRun early = check(ATOMIC.replace("BODY", "if c {\n      g = 2\n      return\n    }\n    g = 3"));
        CliRun shaped = check(ATOMIC.replace("BODY", "if c {\n      g = 2\n    } else {\n      g = 3\n    }"));
        assertThat(early.code()).as(early.out()).isZero();
        assertThat(explored(early.out())).isEqualTo(explored(shaped.out())).isNotEmpty();
    }

    private static String explored(String out) {
        Matcher m = Pattern.compile("explored \\d+ states, \\d+ transitions, max depth \\d+").matcher(out);
        StringBuilder all = new StringBuilder();
        while (m.find()) all.append(m.group()).append('\n');
        return all.toString();
    }
}
