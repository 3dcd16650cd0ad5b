package dev.mmu.lsp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Optional;
import org.eclipse.lsp4j.DocumentHighlight;
import org.eclipse.lsp4j.DocumentHighlightKind;
import org.eclipse.lsp4j.Location;
import org.eclipse.lsp4j.Range;
import org.eclipse.lsp4j.TextEdit;
import org.eclipse.lsp4j.jsonrpc.ResponseErrorException;
import org.junit.jupiter.api.Test;

/**
 * Labels, references, highlights and rename: a name resolves as the checker scopes it (a shadowed
 * local is another variable, a label and a local of one name are two things), and nothing in a
 * comment or a string is touched.
 */
class NamesTest {
    private static final String FILE = "file:///tmp/names.mmu";

    /** Lines are 0-based in the requests: line 0 is `global g = 0`. */
    private static final String TEXT = """
            global g = 0
            path helper(n: int) -> bool {
              return n > 1
            }
            path zap(start, end) {
              lock write
              let x = start
              if x > 0 {
                let x = end
                x = x + 1
                goto out
              }
              x = x + 2 # x here is the outer one
              let out = x
              if helper(out) { goto out }
              g = g + 1
              out:
              unlock
            }
            scenario "x helper zap" {
              memslot 0 { gpa 0x0 size 2M }
              thread t {
                zap(0, 1)
                let ok = helper(2)
                kvm_flush_remote_tlbs()
              }
              thread u { kvm_flush_remote_tlbs() }
            }
            """;

    /** The 0-based (line, column) of the n-th (0-based) occurrence of a word on a line. */
    private static int[] at(int line, String word, int nth) {
        String l = TEXT.lines().toList().get(line);
        int col = -1;
        for (int i = 0; i <= nth; i++) {
            col = l.indexOf(word, col + 1);
            while (col >= 0 && !isWordAt(l, col, word)) col = l.indexOf(word, col + 1);
        }
        assertThat(col).as("%s #%d on line %d", word, nth, line).isGreaterThanOrEqualTo(0);
        return new int[] {line, col};
    }

    private static boolean isWordAt(String l, int col, String word) {
        boolean before = col == 0 || !Character.isLetterOrDigit(l.charAt(col - 1)) && l.charAt(col - 1) != '_';
        int end = col + word.length();
        boolean after = end >= l.length() || !Character.isLetterOrDigit(l.charAt(end)) && l.charAt(end) != '_';
        return before && after;
    }

    private static List<String> refs(int[] p, boolean declaration) {
        return References.at(FILE, TEXT, p[0], p[1], declaration, f -> Optional.empty()).stream()
                .filter(l -> l.getUri().equals(FILE)).map(l -> show(l.getRange())).toList();
    }

    private static String show(Range r) {
        return r.getStart().getLine() + ":" + r.getStart().getCharacter() + "-" + r.getEnd().getCharacter();
    }

    private static String show(int[] p, String word) {
        return p[0] + ":" + p[1] + "-" + (p[1] + word.length());
    }

    // ------------------------------------------------------------------ labels

    @Test
    void gotoCompletesTheLabelsOfItsPathOnly() {
        String text = """
                path a() {
                  lock write
                  goto\s
                  retry:
                  out_unlock:
                  unlock
                }
                path b() {
                  other:
                }
                """;
        assertThat(LspSession.labels(Completions.at(FILE, text, 2, 7))).containsExactly("retry", "out_unlock");
        // a named argument's `flush:` is no label; a label before the goto is offered too (backward gotos are coming)
        String named = """
                path a() {
                  back:
                  remote_flush_or_zap(flush: true)
                  goto\s
                }
                """;
        assertThat(LspSession.labels(Completions.at(FILE, named, 3, 7))).containsExactly("back");
        // outside a path (a thread) there is nothing to jump to
        assertThat(Completions.at(FILE, "scenario \"s\" {\n  thread t {\n    goto \n  }\n}\n", 2, 9)).isEmpty();
    }

    @Test
    void aGotosLabelGoesToItsDefinitionAndSaysWhereItLands() {
        int[] gotoOut = at(10, "out", 0);
        List<Location> def = Definitions.at(FILE, TEXT, gotoOut[0], gotoOut[1], f -> Optional.empty());
        assertThat(def).hasSize(1);
        assertThat(show(def.get(0).getRange())).isEqualTo(show(at(16, "out", 0), "out"));
        assertThat(Hovers.at(FILE, TEXT, gotoOut[0], gotoOut[1]).orElseThrow().getContents().getRight().getValue())
                .contains("**out** · label", "lands at `out:`, line 17");
        // the local `out` (line 13) is another thing: its definition is its let, its hover not the label's
        int[] local = at(14, "out", 0);
        assertThat(show(Definitions.at(FILE, TEXT, local[0], local[1], f -> Optional.empty()).get(0).getRange()))
                .isEqualTo(show(at(13, "out", 0), "out"));
        assertThat(Hovers.at(FILE, TEXT, local[0], local[1])).isEmpty();
        assertThat(Hovers.at(FILE, TEXT, 16, 3).orElseThrow().getContents().getRight().getValue())
                .contains("Jumped to by the gotos at lines 11, 15.");
    }

    // ------------------------------------------------------------------ references

    @Test
    void aLocalsReferencesFollowTheCheckersScopes() {
        // the outer x: its let, the condition, `x = x + 2` (twice) and `let out = x`; not the inner x
        List<String> outer = List.of(show(at(6, "x", 0), "x"), show(at(7, "x", 0), "x"), show(at(12, "x", 0), "x"),
                show(at(12, "x", 1), "x"), show(at(13, "x", 0), "x"));
        assertThat(refs(at(12, "x", 1), true)).containsExactlyElementsOf(outer);
        assertThat(refs(at(6, "x", 0), false)).containsExactlyElementsOf(outer.subList(1, outer.size()));
        // the inner x, from its use: its let and the two of `x = x + 1`
        assertThat(refs(at(9, "x", 1), true)).containsExactly(show(at(8, "x", 0), "x"), show(at(9, "x", 0), "x"),
                show(at(9, "x", 1), "x"));
        // a parameter, and a label whose name a local also has: each its own
        assertThat(refs(at(4, "start", 0), true)).containsExactly(show(at(4, "start", 0), "start"), show(at(6, "start", 0), "start"));
        assertThat(refs(at(16, "out", 0), true)).containsExactly(show(at(10, "out", 0), "out"), show(at(14, "out", 1), "out"),
                show(at(16, "out", 0), "out"));
        assertThat(refs(at(13, "out", 0), true)).containsExactly(show(at(13, "out", 0), "out"), show(at(14, "out", 0), "out"));
    }

    /** {@code let n2 = n2 + 1} reads the n2 it hides, as the checker types the value before it binds the name. */
    @Test
    void aLetsValueReadsTheNameItHides() {
        String text = "path p(n) {\n  let n2 = n\n  if n2 > 0 {\n    let n2 = n2 + 1\n    assert n2 > 1\n  }\n}\n";
        assertThat(References.at(FILE, text, 1, 7, true, f -> Optional.empty())).extracting(l -> show(l.getRange()))
                .containsExactly("1:6-8", "2:5-7", "3:13-15");
        assertThat(References.at(FILE, text, 4, 12, true, f -> Optional.empty())).extracting(l -> show(l.getRange()))
                .containsExactly("3:8-10", "4:11-13");
    }

    @Test
    void aPathsReferencesAreItsDeclarationAndCallsAndAKernelPathsReachThePrelude() {
        assertThat(refs(at(23, "helper", 0), true)).containsExactly(show(at(1, "helper", 0), "helper"),
                show(at(14, "helper", 0), "helper"), show(at(23, "helper", 0), "helper"));
        // not the word in the scenario's name (a string) nor in a comment
        assertThat(refs(at(4, "zap", 0), true)).containsExactly(show(at(4, "zap", 0), "zap"), show(at(22, "zap", 0), "zap"));
        int[] flush = at(24, "kvm_flush_remote_tlbs", 0);
        assertThat(refs(flush, false)).containsExactly(show(flush, "kvm_flush_remote_tlbs"),
                show(at(26, "kvm_flush_remote_tlbs", 0), "kvm_flush_remote_tlbs"));
        // with the declaration: the prelude's `path kvm_flush_remote_tlbs(`, where go to definition lands
        List<Location> all = References.at(FILE, TEXT, flush[0], flush[1], true, f -> Optional.empty());
        assertThat(all).hasSize(3);
        assertThat(all.get(0).getUri()).contains("mmu-prelude-").endsWith("kvm_main.mmu");
        assertThat(all.get(0)).isEqualTo(Definitions.at(FILE, TEXT, flush[0], flush[1], f -> Optional.empty()).get(0));
        String prelude = "scenario \"s\" {\n  thread t {\n    kvm_mmu_zap_all_fast()\n    kvm_mmu_zap_all_fast()\n  }\n}\n";
        List<Location> kernel = References.at(FILE, prelude, 2, 6, true, f -> Optional.empty());
        assertThat(kernel).hasSize(3);
        assertThat(kernel.get(0).getUri()).contains("mmu-prelude-").endsWith("mmu.mmu");
        assertThat(References.at(FILE, prelude, 2, 6, false, f -> Optional.empty())).hasSize(2);
    }

    @Test
    void aGlobalsReferencesAndHighlightsMarkItsWrites() {
        List<DocumentHighlight> h = References.highlights(FILE, TEXT, 15, 2);
        assertThat(h).extracting(x -> show(x.getRange()) + " " + x.getKind()).containsExactly(
                "0:7-8 Write", show(at(15, "g", 0), "g") + " Write", show(at(15, "g", 1), "g") + " Read");
        assertThat(References.highlights(FILE, TEXT, 13, 7)).extracting(DocumentHighlight::getKind)
                .containsExactly(DocumentHighlightKind.Write, DocumentHighlightKind.Read);
        assertThat(References.highlights(FILE, TEXT, 5, 3)).isEmpty(); // `lock`: a keyword
    }

    // ------------------------------------------------------------------ rename

    private static List<String> renamed(int[] p, String newName) {
        List<TextEdit> edits = Renames.rename(FILE, TEXT, p[0], p[1], newName).getChanges().get(FILE);
        assertThat(edits).allMatch(e -> e.getNewText().equals(newName));
        return edits.stream().map(e -> show(e.getRange())).toList();
    }

    @Test
    void renamingALocalEditsItsScopeOnly() {
        assertThat(renamed(at(7, "x", 0), "level")).containsExactlyElementsOf(refs(at(7, "x", 0), true));
        assertThat(renamed(at(9, "x", 0), "pending")).hasSize(3);
        assertThat(Renames.prepare(FILE, TEXT, 7, 6)).satisfies(r -> assertThat(show(r)).isEqualTo(show(at(7, "x", 0), "x")));
        // the label keeps its name when the local of the same name is renamed, and the other way round
        assertThat(renamed(at(13, "out", 0), "res")).containsExactly(show(at(13, "out", 0), "out"), show(at(14, "out", 0), "out"));
        assertThat(renamed(at(16, "out", 0), "out_unlock")).containsExactly(show(at(10, "out", 0), "out"),
                show(at(14, "out", 1), "out"), show(at(16, "out", 0), "out"));
        // a path: its declaration and its calls, not the scenario's name "x helper zap" nor a comment
        assertThat(renamed(at(1, "helper", 0), "helper2")).hasSize(3);
    }

    @Test
    void renameIsRefusedWithAReason() {
        assertThat(refusal(at(24, "kvm_flush_remote_tlbs", 0), "f")).contains("not declared in this file", "kernel path");
        assertThat(refusal(at(5, "lock", 0), "f")).contains("keyword");
        assertThat(refusal(at(6, "x", 0), "2x")).contains("is not a name");
        assertThat(refusal(at(6, "x", 0), "while")).contains("is not a name");
        // the outer x is used where `start`, `end` (parameters) and the global g are visible
        assertThat(refusal(at(6, "x", 0), "start")).contains("already a variable");
        assertThat(refusal(at(6, "x", 0), "g")).contains("already a variable");
        // the inner x's scope sees the outer x: renamed to one of the other's names they would merge
        assertThat(refusal(at(8, "x", 0), "end")).contains("already a variable");
        // unused parameters: renamed, `path f(b, b)`
        assertThat(refusal(new int[] {0, 7}, "path f(a, b) {\n  lock write\n  unlock\n}\n", "b")).contains("already a variable");
        assertThat(refusal(at(6, "x", 0), "stat")).contains("built-in global");
        assertThat(refusal(at(0, "g", 0), "h")).contains("global");
        assertThat(refusal(at(1, "helper", 0), "zap")).contains("already a path");
        assertThat(refusal(at(1, "helper", 0), "kvm_flush_remote_tlbs")).contains("built-in kernel path");
        assertThat(refusal(at(1, "helper", 0), "kvm_handle_hva_range")).contains("kernel path of the prelude");
        String replacing = "path kvm_mmu_zap_all_fast() {\n  lock write\n  unlock\n}\n";
        assertThat(refusal(new int[] {0, 6}, replacing, "zap2")).contains("replaces the kernel path");
        String twoLabels = "path p() {\n  goto a\n  a:\n  b:\n}\n";
        assertThatThrownBy(() -> Renames.rename(FILE, twoLabels, 1, 7, "b")).isInstanceOf(ResponseErrorException.class)
                .hasMessageContaining("already a label");
        assertThatThrownBy(() -> Renames.prepare(FILE, TEXT, 5, 3)).isInstanceOf(ResponseErrorException.class);
    }

    private static String refusal(int[] p, String newName) {
        return refusal(p, TEXT, newName);
    }

    private static String refusal(int[] p, String text, String newName) {
        try {
            Renames.rename(FILE, text, p[0], p[1], newName);
        } catch (ResponseErrorException e) {
            return e.getResponseError().getMessage();
        }
        throw new AssertionError("renamed to " + newName);
    }
}
