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

    /**
     * A column counts characters (code points) and a terminal draws an emoji or a CJK character two
     * cells wide: the caret is placed by cells, else it lands left of the word (thirtieth trial).
     */
    @Test
    void placesTheCaretByTerminalCellsAfterWideCharacters() {
        String line = "scenario \"\uD83D\uDC1B \u7AF6\u5408\" { vm { mmu tdpp } }";
        DiagnosticPrinter printer = new DiagnosticPrinter(Map.of("w.mmu", line + "\n"));
        int col = line.codePointCount(0, line.indexOf("tdpp")) + 1; // 🐛 is one character, 競合 two

        String out = printer.render(Diagnostic.error(new Pos("w.mmu", 1, col, 4), "unknown mmu mode"));

        assertThat(out).isEqualTo("w.mmu:1:" + col + ": error: unknown mmu mode\n" + line + "\n"
                + " ".repeat(line.indexOf("tdpp") + 2) + "^~~~\n"); // 🐛: two units, two cells; 競合: two units, four cells
    }

    /** A combining accent takes no cell: the caret after "é" spelt e + U+0301 is one cell on. */
    @Test
    void aCombiningMarkTakesNoCell() {
        String line = "\"e\u0301\" x";
        String out = new DiagnosticPrinter(Map.of("c.mmu", line)).render(Diagnostic.error(new Pos("c.mmu", 1, 6, 1), "x"));

        assertThat(out).endsWith(line + "\n    ^\n");
    }

    /** A long line with wide characters is windowed by cells: every printed line fits, the caret under the word. */
    @Test
    void windowsALineOfWideCharactersByCells() {
        String line = "scenario \"" + "\u7AF6".repeat(40) + "\" { vm { mmu tdpp } }";
        DiagnosticPrinter printer = new DiagnosticPrinter(Map.of("l.mmu", line + "\n"), 40);
        int col = line.indexOf("tdpp") + 1; // every character here is one UTF-16 unit

        List<String> out = printer.render(Diagnostic.error(new Pos("l.mmu", 1, col, 4), "unknown")).lines().toList();

        String source = out.get(out.size() - 2);
        String caret = out.get(out.size() - 1);
        int sourceCells = source.codePoints().map(DisplayWidth::of).sum();
        assertThat(sourceCells).isLessThanOrEqualTo(40);
        int before = source.substring(0, source.indexOf("tdpp")).codePoints().map(DisplayWidth::of).sum();
        assertThat(caret).isEqualTo(" ".repeat(before) + "^~~~");
    }
}
