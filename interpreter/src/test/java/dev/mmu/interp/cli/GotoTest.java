package dev.mmu.interp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kernel's forward goto, run: out of every kind of loop and of atomic to its label; a root
 * walk's reference stays the body's (a yield-safe root loop's) or is put (the builtin root's walk),
 * as a return's; a `goto out_unlock` that skips the unlock is the explorer's lock_balance.
 */
class GotoTest {
    @TempDir
    Path dir;

    private CliRun check(String text) throws IOException {
        Path f = dir.resolve("s.mmu");
        Files.writeString(f, text);
        return CliRun.of("check", f.toString());
    }

    /**
     * path's text and a thread that runs `assert call` under the write lock, then puts every root
     * `puts` times: one put more than the references left beyond its holders' (vCPU 0's, the TDP
     * MMU's) is a put too many, freed_root_in_use.
     */
    private CliRun rootPuts(String path, String call, int puts) throws IOException {
        return check(path + """

                scenario "s" {
                  memslot 0 { gpa 0x0 size 2M }
                  setup { vcpu 0 read 0x1000 }
                  thread t {
                    lock write
                    rcu_read_lock()
                    assert CALL
                    for root in tdp_mmu_roots {
                      PUTS
                    }
                    rcu_read_unlock()
                    unlock
                  }
                  expect never freed_root_in_use
                }
                """.replace("CALL", call).replace("PUTS", "kvm_tdp_mmu_put_root(root)\n".repeat(puts)));
    }

    @Test
    void aGotoLeavesEveryKindOfLoopForItsLabel() throws IOException {
        CliRun r = check("""
                global g = 0

                path in_repeat() -> int {
                  let i = 0
                  repeat 5 {
                    i = i + 1
                    if i == 3 {
                      goto out
                    }
                  }
                  i = 100
                out:
                  return i
                }

                # Out of two loops, the inner the builtin root's walk: the first mapped gfn.
                path in_tdp_pte() -> int {
                  let gfn = 7
                  repeat 2 {
                    for iter in tdp_pte(root, 0x0 .. 0x200) {
                      if iter.present && iter.leaf {
                        gfn = iter.gfn * 1000
                        goto found
                      }
                    }
                  }
                found:
                  return gfn
                }

                path in_atomic(c: bool) -> int {
                  let r = 1
                  atomic {
                    if c {
                      r = 100000
                      goto out
                    }
                    r = 200000
                  }
                out:
                  return r
                }

                scenario "s" {
                  memslot 0 { gpa 0x0 size 2M backing 4K }
                  setup { vcpu 0 read 0x3000 }
                  thread t {
                    lock write
                    rcu_read_lock()
                    let gfn = in_tdp_pte()
                    rcu_read_unlock()
                    unlock
                    g = in_repeat() + gfn + in_atomic(true) + in_atomic(false)
                  }
                  expect final g == 3 + 3000 + 100000 + 200000
                  expect never lock_balance
                  expect never freed_root_in_use
                }
                """);
        assertThat(r.code()).as(r.out()).isZero();
    }

    /** The builtin root's walk holds a reference of its own: a goto out of it puts it, as a break does. */
    @Test
    void aGotoOutOfTheBuiltinRootsWalkPutsItsReference() throws IOException {
        String text = """
                path find() -> bool {
                  let found = false
                  for iter in tdp_pte(root, 0x0 .. 0x200) {
                    if iter.present {
                      found = true
                      goto out
                    }
                  }
                out:
                  return found
                }
                """;
        CliRun one = rootPuts(text, "find()", 0);
        assertThat(one.code()).as(one.out()).isZero();
        CliRun two = rootPuts(text, "find()", 1);
        assertThat(two.code()).as(two.out()).isEqualTo(1);
        assertThat(two.out()).contains("freed_root_in_use");
    }

    /** A goto out of a yield-safe root loop leaves the reference tdp_mmu_next_root() took with the caller, as the kernel's. */
    @Test
    void aGotoOutOfAYieldSafeRootLoopKeepsTheRootsReference() throws IOException {
        String text = """
                path first_root() -> bool {
                  let found = false
                  for root in tdp_mmu_roots_yield_safe {
                    found = true
                    goto out
                  }
                out:
                  return found
                }
                """;
        CliRun kept = rootPuts(text, "first_root()", 1);
        assertThat(kept.code()).as(kept.out()).isZero();
        CliRun once = rootPuts(text, "first_root()", 2);
        assertThat(once.code()).as(once.out()).isEqualTo(1);
        assertThat(once.out()).contains("freed_root_in_use");
    }

    /** `goto out` past the unlock where the kernel has `goto out_unlock`: the checker lets it through, the explorer finds the lock kept. */
    @Test
    void aGotoPastTheUnlockIsLockBalance() throws IOException {
        String text = """
                path zap(gfn: int) {
                  lock write
                  if !spte(gfn * 4096).present {
                    goto TARGET
                  }
                  set_spte(gfn, 1, present: false, writable: false, exec: false)
                  flush_remote_tlbs()
                out_unlock:
                  unlock
                out:
                }

                scenario "s" {
                  vm { nx_huge_pages off }
                  memslot 0 { gpa 0x0 size 2M }
                  setup { vcpu 0 read 0x1000 }
                  thread zap { zap(2) }
                  expect never lock_balance
                }
                """;
        CliRun buggy = check(text.replace("TARGET", "out"));
        assertThat(buggy.code()).as(buggy.out()).isEqualTo(1);
        assertThat(buggy.out()).contains("lock_balance").contains("thread ends holding mmu_lock");
        CliRun fixed = check(text.replace("TARGET", "out_unlock"));
        assertThat(fixed.code()).as(fixed.out()).isZero();
    }
    /**
     * A goto back out of the builtin root's walk puts the walk's reference each time, as a goto
     * forward does: the walk runs three times, and one put more than the setup's reference frees it.
     */
    @Test
    void aGotoBackOutOfTheBuiltinRootsWalkPutsItsReference() throws IOException {
        String text = """
                path find_thrice() -> int {
                  let n = 0
                restart:
                  for iter in tdp_pte(root, 0x0 .. 0x200) {
                    if iter.present && n < 2 {
                      n = n + 1
                      goto restart
                    }
                  }
                  return n
                }
                """;
        CliRun one = rootPuts(text, "find_thrice() == 2", 0);
        assertThat(one.code()).as(one.out()).isZero();
        CliRun two = rootPuts(text, "find_thrice() == 2", 1);
        assertThat(two.code()).as(two.out()).isEqualTo(1);
        assertThat(two.out()).contains("freed_root_in_use");
    }

    /**
     * Back inside atomic (the loop runs in one step, as a while in the block) and back out of it
     * (each pass's block its own step): the values a while gives.
     */
    @Test
    void aGotoBackInsideAndOutOfAtomic() throws IOException {
        CliRun r = check("""
                global g = 0
                global h = 0

                path inside() -> int {
                  let n = 0
                  atomic {
                  again:
                    n = n + 1
                    if n < 4 {
                      goto again
                    }
                  }
                  return n
                }

                path out_of() -> int {
                  let n = 0
                again:
                  atomic {
                    n = n + 10
                    if n < 30 {
                      goto again
                    }
                  }
                  return n
                }

                scenario "s" {
                  memslot 0 { gpa 0x0 size 2M }
                  thread t {
                    g = inside()
                  }
                  thread u {
                    h = out_of()
                  }
                  expect final g == 4
                  expect final h == 30
                }
                """);
        assertThat(r.code()).as(r.out()).isZero();
    }
}
