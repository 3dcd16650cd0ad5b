package dev.mmu.interp.diag;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.interp.ast.Pos;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DiagnosticPrinterTest {

    @Test
    void printsPositionSourceLineAndCaretUnderTheSpan() {
        DiagnosticPrinter printer = new DiagnosticPrinter(Map.of("a.mmu", "scenario \"x\" {\n  vcpus 99\n}\n"));

        String out = printer.render(Diagnostic.error(new Pos("a.mmu", 2, 9, 2), "too many vCPUs"));

        assertThat(out).isEqualTo("""
                a.mmu:2:9: error: too many vCPUs
                  vcpus 99
                        ^~
                """);
    }

    @Test
    void keepsTabsSoTheCaretLinesUpAndClipsTheSpanToTheLine() {
        DiagnosticPrinter printer = new DiagnosticPrinter(Map.of("t.mmu", "\tread 0x1"));

        String out = printer.render(Diagnostic.error(new Pos("t.mmu", 1, 7, 40), "outside"));

        assertThat(out).endsWith("\tread 0x1\n\t     ^~~\n");
    }

    @Test
    void printsOnlyTheHeaderWhenTheSourceIsUnknown() {
        String out = new DiagnosticPrinter(Map.of()).render(Diagnostic.warning(new Pos("gone.mmu", 3, 1, 1), "hm"));

        assertThat(out).isEqualTo("gone.mmu:3:1: warning: hm\n");
    }
}
