package dev.mmu.interp.diag;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.interp.ast.Pos;
import java.util.List;
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

    /**
     * At a width (COLUMNS=40 here) the message breaks at spaces and a long source line shows the
     * part around the caret between "..." marks, the caret under the span (both were printed whole).
     */
    @Test
    void fitsTheMessageAndTheSourceLineToTheWidth() {
        String line = "  let flush = tdp_mmu_zap_leafs_patched(id_to_memslot(slot).base_gfn, false, flush, id_to_memslot(slot).npages)";
        DiagnosticPrinter printer = new DiagnosticPrinter(Map.of("p.mmu", line + "\n"), 40);
        int col = line.indexOf("false") + 1;

        String out = printer.render(Diagnostic.error(new Pos("p.mmu", 1, col, 5), "argument 'flush' must be an int, found a bool"));

        assertThat(out.lines()).allSatisfy(l -> assertThat(l.length()).isLessThanOrEqualTo(40));
        List<String> lines = out.lines().toList();
        assertThat(lines.get(0)).startsWith("p.mmu:1:" + col + ": error: argument 'flush'");
        assertThat(lines.get(1)).startsWith("  ");
        String source = lines.get(lines.size() - 2);
        String caret = lines.get(lines.size() - 1);
        assertThat(source).startsWith("...").endsWith("...");
        assertThat(source.substring(caret.indexOf('^'))).startsWith("false");
        assertThat(caret.strip()).isEqualTo("^~~~~");
        // the start of a long line is shown without a leading mark when the caret is there
        String start = printer.render(Diagnostic.error(new Pos("p.mmu", 1, 3, 3), "x"));
        assertThat(start).endsWith("  let flush = tdp_mmu_zap_leafs_patch...\n  ^~~\n");
    }
}
