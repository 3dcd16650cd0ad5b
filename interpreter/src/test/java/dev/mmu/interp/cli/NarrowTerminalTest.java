package dev.mmu.interp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The thirtieth session's user trial at COLUMNS=80: a bad option value (`--strategy bsf`, 124
 * characters) and `mmu show`'s unknown version or misspelt path ran past the terminal, while the
 * diagnostics and help beside them were fitted to it. Run as a process, since the width is the
 * environment's.
 */
class NarrowTerminalTest {
    @TempDir
    Path dir;

    @Test
    void errorMessagesOfFlagsAndShowFitAnEightyColumnTerminal() throws Exception {
        Path file = Files.writeString(dir.resolve("s.mmu"), "scenario \"s\" { vcpus 1 }\n");
        for (List<String> args : List.of(List.of("check", "--strategy", "bsf", file.toString()),
                List.of("show", "--kernel", "6.13", "kvm_zap_gfn_range"),
                List.of("show", "kvm_zap_gfn_rnage"))) {
            String err = run(args);
            assertThat(err).as(args.toString()).startsWith("mmu: ");
            assertThat(err.lines()).as(err).allMatch(l -> l.length() <= 80);
        }
    }

    /**
     * A bad option value printed the whole usage (40 lines at 80 columns) under the message, which
     * scrolled away: now picocli's short form, the message, the synopsis and where the help is.
     */
    @Test
    void aBadOptionValueIsItsMessageAndWhereTheHelpIsNotTheUsage() throws Exception {
        Path file = Files.writeString(dir.resolve("s.mmu"), "scenario \"s\" { vcpus 1 }\n");
        for (List<String> args : List.of(List.of("check", "--strategy", "bsf", file.toString()),
                List.of("check", "--workers", "x", file.toString()),
                List.of("test", "--jobs", "many", file.toString()))) {
            String err = run(args);
            List<String> lines = err.lines().filter(l -> !l.startsWith("mmu: making the class-data")).toList();
            assertThat(lines.get(0)).as(err).startsWith("mmu: Invalid value for option '--");
            assertThat(lines).as(err).hasSizeLessThanOrEqualTo(4)
                    .contains("Usage: mmu " + args.get(0) + " [OPTIONS] " + (args.get(0).equals("check") ? "FILE..." : "PATH..."))
                    .endsWith("Try 'mmu " + args.get(0) + " --help' for more information.")
                    .allMatch(l -> l.length() <= 80);
        }
        // a misspelt option keeps picocli's suggestion
        String typo = run(List.of("check", "--stratgy", "bfs", file.toString()));
        assertThat(typo).contains("Unknown option: '--stratgy'").contains("Possible solutions: --strategy")
                .contains("Try 'mmu check --help' for more information.").doesNotContain("--no-por");
    }

    private String run(List<String> args) throws Exception {
        Path out = dir.resolve("err.txt");
        List<String> cmd = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile());
        pb.environment().put("COLUMNS", "80");
        Process p = pb.start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(ExitCode.BAD_INPUT);
        return Files.readString(out, StandardCharsets.UTF_8);
    }
}
