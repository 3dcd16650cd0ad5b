package dev.mmu.lsp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Optional;
import org.eclipse.lsp4j.CodeAction;
import org.eclipse.lsp4j.DocumentHighlightKind;
import org.eclipse.lsp4j.Location;
import org.eclipse.lsp4j.Range;
import org.eclipse.lsp4j.TextEdit;
import org.eclipse.lsp4j.jsonrpc.ResponseErrorException;
import org.junit.jupiter.api.Test;

/**
 * The name features while a line is being typed: they answer from the text with the broken lines
 * blanked, else from the last text that parsed for the lines it shares with the document; every
 * range they give holds the name in the document as it is now, a name written on a left-out line is
 * not answered for, and rename waits for the file to parse. And a pasted C declaration
 * ({@code bool flush = false}) declares its variable, as the checker reads it.
 */
class BrokenFilesTest {

    /** 0-based lines: 0 `global g = 0`, 2 `let x`, 3 `let y`, 4 `g = x + y`, 6 `out:`, 11 the call. */
    private static final String GOOD = """
            global g = 0
            path zap(start) {
              let x = start
              let y = x + 1
              g = x + y
              if y > 2 { goto out }
              out:
              g = g + 1
            }
            scenario "s" {
              memslot 0 { gpa 0x0 size 2M }
              thread t { zap(1) }
            }
            """;

    /** GOOD with a line typed before `g = x + y` (it becomes line 5, every later line moves down one). */
    private static String typing(String line) {
        return GOOD.replace("  g = x + y\n", line + "\n  g = x + y\n");
    }

    private static List<String> refs(String uri, String text, int line, int character) {
        List<Location> found = References.at(uri, text, line, character, true, f -> Optional.empty());
        found.forEach(l -> assertThat(l.getUri()).isEqualTo(uri));
        return found.stream().map(l -> show(text, l.getRange())).toList();
    }

    /** "line:column=the text the range covers in the document", to see that it still holds the name. */
    private static String show(String text, Range r) {
        String l = text.lines().toList().get(r.getStart().getLine());
        return r.getStart().getLine() + ":" + r.getStart().getCharacter() + "="
                + l.substring(r.getStart().getCharacter(), r.getEnd().getCharacter());
    }

    @Test
    void aHalfTypedLineIsLeftOutAndTheRestAnswers() {
        String uri = "file:///tmp/broken-blanked.mmu";
        String text = typing("  let q = (x"); // line 4; a syntax error, and the recovery blanks it alone
        assertThat(Recovery.of("/tmp/broken-blanked.mmu", text)).get().extracting(Recovery.Kept::blanked)
                .isEqualTo(java.util.Set.of(4));

        assertThat(refs(uri, text, 3, 6)).containsExactly("3:6=y", "5:10=y", "6:5=y");
        assertThat(Definitions.at(uri, text, 6, 5, f -> Optional.empty())).singleElement()
                .satisfies(l -> assertThat(show(text, l.getRange())).isEqualTo("3:6=y"));
        assertThat(References.highlights(uri, text, 7, 3)).extracting(h -> h.getRange().getStart().getLine(), h -> h.getKind())
                .containsExactly(org.assertj.core.groups.Tuple.tuple(6, DocumentHighlightKind.Read),
                        org.assertj.core.groups.Tuple.tuple(7, DocumentHighlightKind.Write));
        assertThat(Hovers.at(uri, text, 6, 18)).get().satisfies(h ->
                assertThat(h.getContents().getRight().getValue()).contains("lands at `out:`, line 8"));
        // completion reads tokens: the locals of the path at the line being typed
        assertThat(LspSession.labels(Completions.at(uri, text, 4, 12))).contains("x", "y", "start");

        // `x` is written on the line left out (it may be declared, hidden or used there): no answer
        assertThat(refs(uri, text, 2, 6)).isEmpty();
        assertThat(Definitions.at(uri, text, 5, 6, f -> Optional.empty())).isEmpty();
        assertThatThrownBy(() -> Renames.rename(uri, text, 3, 6, "z")).isInstanceOf(ResponseErrorException.class)
                .hasMessageContaining("the file does not parse (line 6: ").hasMessageContaining("fix the syntax error first");
        assertThatThrownBy(() -> Renames.prepare(uri, text, 3, 6)).hasMessageContaining("the file does not parse");
    }

    @Test
    void anUnclosedBlockAnswersFromTheLastTextThatParsedOutsideTheChangedLines() {
        String uri = "file:///tmp/broken-last.mmu";
        Occurrences.remember(uri, GOOD);
        String text = typing("  if y > 1 {"); // no blanking makes this parse
        assertThat(Recovery.of("/tmp/broken-last.mmu", text)).isEmpty();

        // the global's uses after the new line moved down one, and still hold `g`
        assertThat(refs(uri, text, 0, 7)).containsExactly("0:7=g", "5:2=g", "8:2=g", "8:6=g");
        assertThat(refs(uri, text, 12, 14)).containsExactly("1:5=zap", "12:13=zap");
        assertThat(Definitions.at(uri, text, 12, 14, f -> Optional.empty())).singleElement()
                .satisfies(l -> assertThat(show(text, l.getRange())).isEqualTo("1:5=zap"));
        // nothing on the changed line, and no local or label: the new `{` may have moved a block's edge
        assertThat(refs(uri, text, 4, 8)).isEmpty();
        assertThat(refs(uri, text, 3, 6)).as("y").isEmpty();
        assertThat(refs(uri, text, 7, 3)).as("the label").isEmpty();
        assertThatThrownBy(() -> Renames.rename(uri, text, 1, 6, "zap2")).hasMessageContaining("the file does not parse");

        // two lines replaced by one: what followed them moves up, what they held is gone
        String fewer = GOOD.replace("  let y = x + 1\n  g = x + y\n", "  if x {\n");
        assertThat(Recovery.of("/tmp/broken-last.mmu", fewer)).isEmpty();
        assertThat(refs(uri, fewer, 10, 14)).containsExactly("1:5=zap", "10:13=zap");
        assertThat(refs(uri, fewer, 0, 7)).as("g: a removed line wrote it").isEmpty();
    }

    @Test
    void withNoTextThatParsedNothingAnswersAndNothingThrows() {
        String uri = "file:///tmp/broken-never.mmu";
        String text = typing("  if y > 1 {");
        assertThat(refs(uri, text, 0, 7)).isEmpty();
        assertThat(References.highlights(uri, text, 0, 7)).isEmpty();
        assertThat(Definitions.at(uri, text, 3, 6, f -> Optional.empty())).isEmpty();
        assertThat(Hovers.at(uri, text, 6, 18)).isEmpty();
        assertThatThrownBy(() -> Renames.rename(uri, text, 0, 7, "h")).isInstanceOf(ResponseErrorException.class)
                .hasMessageContaining("the file does not parse");
    }

    /** 0-based lines: 1 the pasted declaration, 2 its uses. */
    private static final String PASTED = """
            path p() {
              bool flush = false;
              if flush { flush = true }
              int n = 1
            }
            scenario "s" {
              memslot 0 { gpa 0x0 size 2M }
              thread t { p }
            }
            """;

    @Test
    void aPastedCDeclarationDeclaresItsVariable() {
        String uri = "file:///tmp/pasted.mmu";
        assertThat(refs(uri, PASTED, 2, 6)).containsExactly("1:7=flush", "2:5=flush", "2:13=flush");
        assertThat(Definitions.at(uri, PASTED, 2, 14, f -> Optional.empty())).singleElement()
                .satisfies(l -> assertThat(show(PASTED, l.getRange())).isEqualTo("1:7=flush"));
        assertThat(References.highlights(uri, PASTED, 1, 8)).extracting(h -> h.getKind())
                .containsExactly(DocumentHighlightKind.Write, DocumentHighlightKind.Read, DocumentHighlightKind.Write);
        // the file does not check (the checker asks for `let`), but a rename of the variable is sound
        List<TextEdit> edits = Renames.rename(uri, PASTED, 1, 8, "flushed").getChanges().get(uri);
        assertThat(edits).extracting(e -> show(PASTED, e.getRange())).containsExactly("1:7=flush", "2:5=flush", "2:13=flush");
    }

    @Test
    void theCDeclarationsDiagnosticOffersLetAsAQuickFix() {
        String uri = "file:///tmp/pasted-fix.mmu";
        var diagnostics = Checking.check(uri, PASTED);
        assertThat(diagnostics).extracting(d -> d.getMessage().getLeft()).allMatch(m -> m.contains("is a C declaration"))
                .hasSize(2);
        List<CodeAction> fixes = QuickFixes.of(uri, diagnostics);
        assertThat(fixes).extracting(CodeAction::getTitle)
                .containsExactly("Write 'let flush = ...' (the type is its value's)", "Write 'let n = ...' (the type is its value's)");
        String fixed = PASTED;
        for (CodeAction fix : List.of(fixes.get(1), fixes.get(0))) { // the later line first, so the earlier range still holds
            TextEdit e = fix.getEdit().getChanges().get(uri).get(0);
            assertThat(show(fixed, e.getRange())).endsWith(e.getRange().getStart().getLine() == 1 ? "=bool" : "=int");
            fixed = apply(fixed, e);
        }
        assertThat(Checking.check(uri, fixed)).isEmpty();
    }

    private static String apply(String text, TextEdit e) {
        List<String> lines = new java.util.ArrayList<>(text.lines().toList());
        Range r = e.getRange();
        String l = lines.get(r.getStart().getLine());
        lines.set(r.getStart().getLine(), l.substring(0, r.getStart().getCharacter()) + e.getNewText()
                + l.substring(r.getEnd().getCharacter()));
        return String.join("\n", lines) + "\n";
    }
}
