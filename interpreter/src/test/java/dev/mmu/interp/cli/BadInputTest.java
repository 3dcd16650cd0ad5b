package dev.mmu.interp.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16, item 4: bad input of every kind is a clear message and exit 2, never a stack trace
 * or a hang. (Nesting 10,000 deep: {@code LimitsTest}; budgets and the reproducers:
 * {@code ReliabilityTest}.)
 */
class BadInputTest {
    private static final String SEED = "src/test/resources/seed/";
    /** The counterexample of seed-yield-pre-fix.mmu, as `mmu check` prints it after "replay:". */
    private static final String PRE_FIX_TOKEN = "0.0.0.0.0.0.0.0.0.0.0.0.0.1.1.1.1.1.1.1.1.2";

    @TempDir
    Path dir;

    private Path write(String name, String text) throws IOException {
        return Files.writeString(dir.resolve(name), text);
    }

    private static CliRun badInput(String... args) {
        CliRun r = CliRun.of(args);
        assertThat(r.code()).as(r.out() + r.err()).isEqualTo(ExitCode.BAD_INPUT);
        assertThat(r.out() + r.err()).doesNotContain("Exception", "\tat ");
        return r;
    }

    /**
     * A scenario that cannot run (found while exploring) points at the statement that cannot, with
     * its caret: the scenario's first line left the user to search its paths (trial 19).
     */
    @Test
    void aScenarioThatCannotRunPointsAtTheCallThatCannot() throws IOException {
        Path f = Path.of("src/test/resources/soundness/trial13-direct-map-no-break-huge.mmu");
        String err = badInput("check", f.toString()).err();
        assertThat(err).contains(f + ":16:7: error: scenario \"a 2M fault without the break\" cannot run: link_shadow_page()",
                "      link_shadow_page(fault, it)\n      ^~~~");
    }

    @Test
    void aFifoIsRefusedWithoutBlockingOnIt() throws Exception {
        Path fifo = dir.resolve("pipe.mmu");
        Process p = new ProcessBuilder("mkfifo", fifo.toString()).start();
        assumeTrue(p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0, "mkfifo is not available");

        assertThat(badInput("check", fifo.toString()).err()).contains(fifo + ":1:1: error: cannot read file: not a regular file");
        // A folder's walk takes regular files only: the FIFO is skipped, not opened.
        assertThat(badInput("test", dir.toString()).err()).contains("mmu: no .mmu files under");
    }

    @Test
    void aBinaryFileIsNotUtf8Text() throws IOException {
        byte[] bytes = new byte[4096];
        new java.util.Random(1).nextBytes(bytes);
        Path f = Files.write(dir.resolve("bin.mmu"), bytes);

        assertThat(badInput("check", f.toString()).err()).contains(f + ":1:1: error: cannot read file: not UTF-8 text");
    }

    @Test
    void aTenMegabyteFileIsRefusedBeforeItIsRead() throws IOException {
        Path f = write("big.mmu", "scenario \"s\" {\n  vcpus 1\n}\n" + "#".repeat(10 << 20) + "\n");

        assertThat(badInput("check", f.toString()).err()).contains(f + ":1:1: error: cannot read file: larger than 4 MiB");
    }

    @Test
    void aBillionVcpusIsALocatedError() throws IOException {
        Path f = write("vcpus.mmu", "scenario \"s\" {\n  vcpus 1000000000\n  memslot 0 { gpa 0x0 size 2M }\n}\n");

        assertThat(badInput("check", f.toString()).err())
                .contains(f + ":2:9: error: vcpus must be between 1 and 64, found 1000000000", "        ^~~~~~~~~~");
    }

    @Test
    void addressesAndSizesNearTwoToTheSixtyFourAreLocatedErrors() throws IOException {
        Path gpa = write("gpa.mmu", "scenario \"s\" {\n  memslot 0 { gpa 0xfffffffffffff000 size 4K }\n}\n");
        Path size = write("size.mmu", "scenario \"s\" {\n  memslot 0 { gpa 0x0 size 18446744073709551615 }\n}\n");
        Path past = write("past.mmu", "scenario \"s\" {\n  memslot 0 { gpa 0x10000000000000000 size 4K }\n}\n");
        Path sum = write("sum.mmu", "scenario \"s\" {\n  memslot 0 { gpa 0x7ffffffffffff000 size 8K }\n}\n");

        assertThat(badInput("check", gpa.toString()).err())
                .contains(gpa + ":2:19: error: number 0xfffffffffffff000 does not fit in 63 bits");
        assertThat(badInput("check", size.toString()).err())
                .contains(size + ":2:28: error: number 18446744073709551615 does not fit in 63 bits");
        assertThat(badInput("check", past.toString()).err())
                .contains(past + ":2:19: error: number 0x10000000000000000 does not fit in 63 bits");
        assertThat(badInput("check", sum.toString()).err()).contains(sum + ":2:").contains("is outside the 48-bit");
    }

    /** A walk's iterator fits its own MMU's primitives only: each kernel function takes its own struct. */
    @Test
    void aTdpIteratorIsNoShadowWalksIteratorNorTheOtherWayRound() throws IOException {
        Path tdp = write("tdp.mmu", """
                path kvm_tdp_mmu_map(fault: fault) {
                  for iter in tdp_mmu_for_each_pte(fault) {
                    mmu_set_spte(fault, iter)
                    break
                  }
                }

                scenario "s" {
                  memslot 0 { gpa 0x0 size 2M }
                  thread vcpu 0 { read 0x1000 }
                }
                """);
        Path shadow = write("shadow.mmu", """
                path direct_map(fault: fault) {
                  for it in for_each_shadow_entry(fault) {
                    tdp_mmu_link_sp(fault, it)
                  }
                }

                scenario "s" {
                  vm { mmu shadow }
                  memslot 0 { gpa 0x0 size 2M }
                  thread vcpu 0 { read 0x1000 }
                }
                """);

        assertThat(badInput("check", tdp.toString()).err()).contains(tdp + ":3:25: error: ").contains("must be a"
                + " for_each_shadow_entry's iterator, found a tdp_mmu_for_each_pte's iter", "                        ^~~~");
        assertThat(badInput("check", shadow.toString()).err()).contains(shadow + ":3:28: error: ").contains("must be a"
                + " tdp_mmu_for_each_pte's iter, found a for_each_shadow_entry's iterator", "                           ^~");
    }

    /** Only mmu_lock has a read mode: `lock read` of a spinlock was taken exclusively without a word. */
    @Test
    void aReadLockOfASpinlockIsALocatedError() throws IOException {
        Path f = write("spin.mmu", """
                scenario "s" {
                  memslot 0 { gpa 0x0 size 2M }
                  thread t { lock read ; lock read tdp_mmu_pages_lock ; unlock tdp_mmu_pages_lock ; unlock }
                }
                """);

        assertThat(badInput("check", f.toString()).err()).contains(f + ":3:31: error: tdp_mmu_pages_lock is a spinlock:"
                + " spin_lock() has no read mode", "                              ^~~~");
    }

    /** KVM_X86_QUIRK_SLOT_ZAP_ALL came in v6.12: turning it off under kernel 5.10 is bad input, at `off`. */
    @Test
    void theSlotZapAllQuirkOffBeforeV612IsALocatedError() throws IOException {
        Path f = write("quirk.mmu", """
                scenario "s" {
                  vm { kernel 5.10  quirk slot_zap_all off }
                  memslot 0 { gpa 0x0 size 2M }
                  thread t { memslot_delete 0 }
                }
                """);

        assertThat(badInput("check", f.toString()).err()).contains(f + ":2:40: error: KVM_X86_QUIRK_SLOT_ZAP_ALL came in"
                + " v6.12: kernel 5.10 always zaps every shadow page", "                                       ^~~");
    }

    @Test
    void aGarbageScheduleTokenIsBadInput() {
        assertThat(badInput("replay", SEED + "seed-yield-pre-fix.mmu", "--schedule", "zz!@#").err())
                .contains("mmu: bad schedule: bad step 'zz!@#' at position 1");
    }

    @Test
    void aTokenOfAnotherScenarioIsBadInput() throws IOException {
        // A token of the two-thread pre-fix scenario names thread 1 where this scenario has one thread.
        Path one = write("one.mmu", "scenario \"s\" {\n  memslot 0 { gpa 0x0 size 2M }\n"
                + "  thread t { kvm_flush_remote_tlbs }\n}\n");

        assertThat(badInput("replay", one.toString(), "--schedule", PRE_FIX_TOKEN).err())
                .contains("mmu: bad schedule: step");
    }

    @Test
    void replayingACounterexampleOnThePassingScenarioIsBadInput() {
        // The fixed file passes: the pre-fix counterexample's interleaving does not exist there.
        assertThat(badInput("replay", SEED + "seed-yield-fixed.mmu", "--schedule", PRE_FIX_TOKEN).err())
                .contains("mmu: bad schedule: step 8 (0) of schedule").contains("is not enabled; enabled: 1, 2");
    }

    @Test
    void unknownFlagsMissingFilesAndEmptyFoldersAreBadInput() throws IOException {
        assertThat(badInput("check", "--bogus", SEED + "seed-yield-fixed.mmu").err()).contains("Unknown option: '--bogus'");
        Path missing = dir.resolve("missing.mmu");
        assertThat(badInput("check", missing.toString()).err()).contains(missing + ":1:1: error: cannot read file: file not found");
        Path folder = Files.createDirectories(dir.resolve("folder"));
        assertThat(badInput("check", folder.toString()).err()).contains("cannot read file: a folder, not a file")
                .contains("mmu: `mmu test " + folder + "` runs every .mmu file under a folder");
        assertThat(badInput("test", folder.toString()).err()).contains("mmu: no .mmu files under");
        assertThat(badInput("replay", SEED + "seed-yield-fixed.mmu").err()).contains("Missing required option: '--schedule");
    }
}
