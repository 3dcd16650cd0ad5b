package dev.mmu.interp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.interp.check.Frontend;
import dev.mmu.interp.check.LoadResult;
import dev.mmu.interp.diag.Diagnostic;
import dev.mmu.interp.diag.DiagnosticPrinter;
import dev.mmu.interp.explain.Explainer;
import dev.mmu.interp.fmt.Formatter;
import dev.mmu.interp.parse.Nesting;
import dev.mmu.interp.parse.SourceParser;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Input far beyond what scenarios need: 10,000-deep nesting of every kind that recurses gets a
 * located error; nesting just within the limit goes through every pass (check, compile, explore,
 * fmt, explain) without overflowing the stack; and large inputs cost linear time.
 */
class LimitsTest {

    @TempDir
    Path dir;

    private static final String HEAD = "scenario \"deep\" {\n  memslot 0 { gpa 0x0 size 2M }\n";

    /** A scenario nesting construct {@code kind} {@code n} times. */
    static String nested(String kind, int n) {
        return switch (kind) {
            case "if" -> HEAD + "  thread t {\n" + "if true { ".repeat(n) + "kvm_flush_remote_tlbs" + " }".repeat(n) + "\n  }\n}\n";
            case "else-if" -> HEAD + "  thread t {\n    if false { }" + " else if false { }".repeat(n)
                    + "\n    kvm_flush_remote_tlbs\n  }\n}\n";
            case "atomic" -> HEAD + "  thread t {\n" + "atomic { ".repeat(n) + "kvm_flush_remote_tlbs" + " }".repeat(n) + "\n  }\n}\n";
            case "paren" -> HEAD + "  thread t { kvm_flush_remote_tlbs }\n  expect always " + "(".repeat(n) + "1"
                    + ")".repeat(n) + " == 1\n}\n";
            case "not" -> HEAD + "  thread t { kvm_flush_remote_tlbs }\n  expect always " + "!".repeat(2 * (n / 2)) + "true\n}\n";
            case "neg" -> HEAD + "  thread t { kvm_flush_remote_tlbs }\n  expect always " + "-".repeat(2 * (n / 2)) + "1 > 0\n}\n";
            case "sum" -> HEAD + "  thread t { kvm_flush_remote_tlbs }\n  expect always 1" + " + 1".repeat(n) + " > 0\n}\n";
            case "and" -> HEAD + "  thread t { kvm_flush_remote_tlbs }\n  expect always true" + " && true".repeat(n) + "\n}\n";
            case "calls" -> {
                StringBuilder b = new StringBuilder("path p0() { flush_remote_tlbs() }\n");
                for (int i = 1; i < n; i++) b.append("path p").append(i).append("() { p").append(i - 1).append("() }\n");
                yield b + HEAD + "  thread t { lock write; p" + (n - 1) + "(); unlock }\n}\n";
            }
            default -> throw new IllegalArgumentException(kind);
        };
    }

    /** Each construct, and a count of it near the limit (an if and its block are two levels). */
    static Stream<Arguments> kinds() {
        int l = Nesting.LIMIT;
        return Stream.of(Arguments.of("if", l / 2 - 1), Arguments.of("else-if", l / 2 - 2), Arguments.of("atomic", l / 2 - 1),
                Arguments.of("paren", l / 2 - 1), Arguments.of("not", l - 2), Arguments.of("neg", l - 4),
                Arguments.of("sum", l - 2), Arguments.of("and", l - 2), Arguments.of("calls", l - 1));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kinds")
    void tenThousandDeepIsALocatedError(String kind, int fits) throws IOException {
        Path f = dir.resolve(kind + ".mmu");
        Files.writeString(f, nested(kind, 10_000));

        CliRun r = CliRun.of("check", f.toString());

        assertThat(r.code()).as(r.err()).isEqualTo(ExitCode.BAD_INPUT);
        assertThat(r.err()).containsPattern(":\\d+:\\d+: error: (nested|path 'p\\d+' nests) more than 100 levels deep")
                .doesNotContain("Exception", "Error:");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kinds")
    void nestingWithinTheLimitGoesThroughEveryPass(String kind, int fits) throws IOException {
        Path f = dir.resolve(kind + ".mmu");
        Files.writeString(f, nested(kind, fits));

        CliRun check = CliRun.of("check", "-q", "--max-states", "1000", f.toString());
        assertThat(check.code()).as(check.err()).isIn(ExitCode.PASS, ExitCode.FAIL);
        assertThat(CliRun.of("explain", f.toString()).code()).isEqualTo(ExitCode.PASS);
        CliRun fmt = CliRun.of("fmt", f.toString());
        assertThat(fmt.code()).as(fmt.err()).isEqualTo(ExitCode.PASS);
        // the limit is what keeps every pass within the stack: twice as deep is refused
        Files.writeString(f, nested(kind, 2 * fits + 4));
        assertThat(CliRun.of("check", f.toString()).err()).contains("more than 100 levels deep");
    }

    /** CPU time of this thread, so that a loaded machine does not fail the test. */
    private static long cpuMillis(Runnable work) {
        ThreadMXBean bean = ManagementFactory.getThreadMXBean();
        long start = bean.getCurrentThreadCpuTime();
        work.run();
        return (bean.getCurrentThreadCpuTime() - start) / 1_000_000;
    }

    @Test
    void twentyThousandErrorsRenderInLinearTime() {
        StringBuilder text = new StringBuilder("scenario \"e\" {\n");
        for (int i = 0; i < 20_000; i++) text.append("  memslot 0 { gpa 0x").append(Integer.toHexString(i)).append("000 size 1 }\n");
        text.append("}\n");
        StringBuilder out = new StringBuilder();

        // quadratic (each diagnostic deduplicated against, and its line found from, all before it): minutes
        long ms = cpuMillis(() -> {
            LoadResult r = new Frontend().load("e.mmu", text.toString());
            DiagnosticPrinter printer = new DiagnosticPrinter(r.sources());
            for (Diagnostic d : r.diagnostics()) out.append(printer.render(d));
        });

        assertThat(out.toString().lines().filter(l -> l.contains(": error: ")).count()).isGreaterThanOrEqualTo(20_000);
        assertThat(ms).as("CPU ms for 20,000 errors").isLessThan(8_000);
    }

    @Test
    void explainAndFmtOfALargeFileTakeLinearTime() {
        StringBuilder text = new StringBuilder();
        for (int i = 0; text.length() < 300_000; i++) {
            text.append("path p").append(i).append("(a) {\n  lock write  # c\n  if a > 1 { flush_remote_tlbs() }\n  unlock\n}\n")
                    .append("scenario \"s").append(i).append("\" {\n  memslot 0 { gpa 0x0 size 2M }\n")
                    .append("  thread vcpu 0 { read 0x1000; p").append(i).append("(2) }\n")
                    .append("  expect always stat.pages_4k >= 0\n}\n");
        }
        String source = text.toString();
        LoadResult r = new Frontend().load("big.mmu", source);
        assertThat(r.hasErrors()).as(r.diagnostics().toString()).isFalse();

        // quadratic (the whole file lexed again per item printed): well over a minute
        long explain = cpuMillis(() -> Explainer.explain(r.scenarios(), r.sources()));
        long fmt = cpuMillis(() -> Formatter.format(SourceParser.parse("big.mmu", source,
                new dev.mmu.interp.diag.Diagnostics()).orElseThrow(), source));

        assertThat(explain).as("CPU ms for explain").isLessThan(15_000);
        assertThat(fmt).as("CPU ms for fmt").isLessThan(15_000);
    }
}
