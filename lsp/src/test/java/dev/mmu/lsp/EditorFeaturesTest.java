package dev.mmu.lsp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.eclipse.lsp4j.CodeActionContext;
import org.eclipse.lsp4j.CodeActionParams;
import org.eclipse.lsp4j.Diagnostic;
import org.eclipse.lsp4j.DidOpenTextDocumentParams;
import org.eclipse.lsp4j.DocumentFormattingParams;
import org.eclipse.lsp4j.DocumentSymbol;
import org.eclipse.lsp4j.DocumentSymbolParams;
import org.eclipse.lsp4j.FormattingOptions;
import org.eclipse.lsp4j.MessageParams;
import org.eclipse.lsp4j.MessageType;
import org.eclipse.lsp4j.InitializeParams;
import org.eclipse.lsp4j.InitializeResult;
import org.eclipse.lsp4j.Position;
import org.eclipse.lsp4j.Range;
import org.eclipse.lsp4j.TextDocumentIdentifier;
import org.eclipse.lsp4j.TextDocumentItem;
import org.eclipse.lsp4j.TextEdit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Outline, formatting and quick fixes, asked for over JSON-RPC as an editor does. */
class EditorFeaturesTest {
    private static final String MESSY = """
            path zap_all() {
                lock write
                commit_zap()
              unlock
            }
            scenario "s" {
              memslot 0 { gpa 0x0   size 2M }
              vcpus 2
              thread zapper { zap_all }
              thread vcpu 1 { read 0x1000 }
              expect never use_after_fre
            }
            """;

    @TempDir
    Path dir;
    private LspSession session;
    private InitializeResult init;

    @BeforeEach
    void start() throws Exception {
        session = new LspSession();
        init = session.server.initialize(new InitializeParams()).get(20, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() throws Exception {
        session.server.shutdown().get(20, TimeUnit.SECONDS);
        session.close();
    }

    private String open(String name, String text) {
        String uri = dir.resolve(name).toUri().toString();
        session.server.getTextDocumentService().didOpen(new DidOpenTextDocumentParams(new TextDocumentItem(uri, "mmu", 1, text)));
        return uri;
    }

    @Test
    void theOutlineListsPathsScenariosAndThreads() throws Exception {
        assertThat(init.getCapabilities().getDocumentSymbolProvider().getLeft()).isTrue();
        String uri = open("o.mmu", MESSY);
        List<DocumentSymbol> symbols = session.server.getTextDocumentService()
                .documentSymbol(new DocumentSymbolParams(new TextDocumentIdentifier(uri))).get(20, TimeUnit.SECONDS)
                .stream().map(e -> e.getRight()).toList();
        assertThat(symbols).extracting(DocumentSymbol::getName).containsExactly("path zap_all", "s");
        assertThat(symbols.get(1).getChildren()).extracting(DocumentSymbol::getName)
                .containsExactly("thread zapper", "thread vcpu 1");
        assertThat(symbols.get(1).getRange().getStart().getLine()).isEqualTo(5);
    }

    /**
     * Each outline entry spans its declaration, from its keyword to its closing brace, and its
     * selection is the name, inside it, as VS Code requires (the range was one line long, ending at
     * the declaration's length in characters: "line 0, character 58" for a five-line path).
     */
    @Test
    void anOutlineEntrySpansItsDeclarationAndSelectsItsName() throws Exception {
        String uri = open("o.mmu", MESSY);
        List<DocumentSymbol> symbols = session.server.getTextDocumentService()
                .documentSymbol(new DocumentSymbolParams(new TextDocumentIdentifier(uri))).get(20, TimeUnit.SECONDS)
                .stream().map(e -> e.getRight()).toList();
        List<String> lines = MESSY.lines().toList();
        DocumentSymbol path = symbols.get(0);
        assertThat(path.getRange()).isEqualTo(new Range(new Position(0, 0), new Position(4, 1)));
        assertThat(path.getSelectionRange()).isEqualTo(new Range(new Position(0, 5), new Position(0, 12)));
        DocumentSymbol scenario = symbols.get(1);
        assertThat(scenario.getRange()).isEqualTo(new Range(new Position(5, 0), new Position(11, 1)));
        DocumentSymbol thread = scenario.getChildren().get(0);
        assertThat(thread.getRange()).isEqualTo(new Range(new Position(8, 2), new Position(8, lines.get(8).length())));
        for (DocumentSymbol sym : List.of(path, scenario, thread)) {
            Range r = sym.getRange();
            Range sel = sym.getSelectionRange();
            assertThat(sel.getStart().getLine()).as(sym.getName()).isEqualTo(r.getStart().getLine());
            assertThat(sel.getStart().getCharacter()).isGreaterThanOrEqualTo(r.getStart().getCharacter());
            assertThat(sel.getEnd().getCharacter()).isLessThanOrEqualTo(lines.get(sel.getEnd().getLine()).length());
        }
    }

    @Test
    void formattingIsWhatMmuFmtWrites() throws Exception {
        assertThat(init.getCapabilities().getDocumentFormattingProvider().getLeft()).isTrue();
        String uri = open("f.mmu", MESSY);
        List<? extends TextEdit> edits = session.server.getTextDocumentService()
                .formatting(new DocumentFormattingParams(new TextDocumentIdentifier(uri), new FormattingOptions(2, true)))
                .get(20, TimeUnit.SECONDS);
        assertThat(edits).hasSize(1);
        assertThat(edits.get(0).getNewText()).contains("  lock write\n  commit_zap()\n  unlock\n")
                .contains("memslot 0 { gpa 0x0 size 2M }");
        String broken = open("b.mmu", "scenario \"s\" {\n  vm { mmu }\n");
        assertThat(session.server.getTextDocumentService()
                .formatting(new DocumentFormattingParams(new TextDocumentIdentifier(broken), new FormattingOptions(2, true)))
                .get(20, TimeUnit.SECONDS)).as("a file that does not parse is left alone").isEmpty();
        MessageParams why = session.messages.poll(20, TimeUnit.SECONDS);
        assertThat(why).as("the user is told why nothing happened").isNotNull();
        assertThat(why.getType()).isEqualTo(MessageType.Warning);
        assertThat(why.getMessage()).startsWith("mmu: b.mmu is not formatted: it does not parse: line 2: ");
        assertThat(session.messages).as("a file that formats says nothing").isEmpty();
    }

    @Test
    void everyDidYouMeanIsAQuickFix() throws Exception {
        String uri = open("q.mmu", MESSY);
        List<Diagnostic> diagnostics = session.nextDiagnostics(uri).getDiagnostics();
        assertThat(diagnostics).hasSize(1);
        var actions = session.server.getTextDocumentService().codeAction(new CodeActionParams(
                new TextDocumentIdentifier(uri), diagnostics.get(0).getRange(), new CodeActionContext(diagnostics)))
                .get(20, TimeUnit.SECONDS);
        assertThat(actions).hasSize(1);
        var fix = actions.get(0).getRight();
        assertThat(fix.getTitle()).isEqualTo("Change to 'use_after_free'");
        TextEdit edit = fix.getEdit().getChanges().get(uri).get(0);
        assertThat(edit.getNewText()).isEqualTo("use_after_free");
        assertThat(edit.getRange()).isEqualTo(diagnostics.get(0).getRange());
    }

    private List<String> complete(String text, int line, int character) throws Exception {
        String uri = open("c" + line + "_" + character + ".mmu", text);
        var result = session.server.getTextDocumentService().completion(new org.eclipse.lsp4j.CompletionParams(
                new TextDocumentIdentifier(uri), new org.eclipse.lsp4j.Position(line, character))).get(20, TimeUnit.SECONDS);
        return LspSession.labels(result.getLeft());
    }

    @Test
    void completionFollowsTheBlockItIsIn() throws Exception {
        String text = """
                scenario "s" {
                  vm {
                    n
                  }
                  memslot 0 { gpa 0x0 size 2M backing  }
                  \s
                  thread t {
                    lock write
                    \s
                  }
                  explore { s }
                }
                """;
        // Editors filter by the word typed; the server offers what fits the block.
        assertThat(complete(text, 2, 5)).containsExactly("mmu", "nx_huge_pages", "nx_recovery_ratio",
                "eager_page_split", "pml", "flush_remote_tlbs_range", "tdp_levels", "preempt", "kernel", "quirk");
        assertThat(complete(text, 4, 38)).containsExactly("4K", "2M", "1G");
        assertThat(complete(text, 5, 2)).contains("vm", "memslot", "thread", "expect").doesNotContain("read", "lock");
        assertThat(complete(text, 8, 4)).contains("read", "lock", "kvm_recover_nx_lpages", "commit_zap")
                .doesNotContain("use_after_free", "memslot", "nx_huge_pages");
        assertThat(complete(text, 10, 13)).containsExactly("preemptions", "strategy", "runs", "seed", "max_states",
                "time", "symmetry");
        assertThat(complete("", 0, 0)).containsExactlyInAnyOrder("scenario", "path", "import", "global");
    }

    /**
     * dirty_bit_lost is offered only where the scenario's kernel has it (6.12 and older): the
     * checker refuses it under 6.18 and later (the thirtieth session's user trial found 7.2's
     * completion offering it, and the file then did not compile).
     */
    @Test
    void invariantsAreOfferedForThePinnedKernel() throws Exception {
        String text = """
                scenario "new" {
                  expect never\s
                }
                scenario "old" {
                  vm { kernel 6.12 }
                  expect never\s
                }
                """;
        assertThat(complete(text, 1, 15)).contains("use_after_free", "lock_balance").doesNotContain("dirty_bit_lost");
        assertThat(complete(text, 5, 15)).contains("use_after_free", "dirty_bit_lost");
    }

    /**
     * `return` is offered only in a path, `break`/`continue` only in a loop and `choose` neither in
     * the setup nor in `atomic`, where the checker accepts them: before, every statement position
     * offered them all.
     */
    @Test
    void returnAndBreakAreOfferedWhereTheCheckerAcceptsThem() throws Exception {
        String text = """
                path p() {
                  \s
                  while need_resched {
                    if true {
                      \s
                    }
                  }
                  if true { }
                  \s
                  repeat 2 { atomic {
                    \s
                  } }
                }
                scenario "s" {
                  thread t {
                    \s
                    for r in tdp_mmu_roots_yield_safe {
                      \s
                    }
                  }
                  setup {
                    \s
                  }
                }
                """;
        assertThat(complete(text, 1, 2)).contains("return", "goto", "lock", "choose").doesNotContain("break", "continue");
        assertThat(complete(text, 4, 6)).contains("return", "break", "continue", "choose");
        assertThat(complete(text, 8, 2)).contains("return", "choose").doesNotContain("break", "continue");
        assertThat(complete(text, 10, 4)).contains("return", "break", "continue").doesNotContain("choose");
        assertThat(complete(text, 15, 4)).contains("lock", "read", "choose").doesNotContain("return", "goto", "break", "continue");
        assertThat(complete(text, 17, 6)).contains("break", "continue", "choose").doesNotContain("return");
        assertThat(complete(text, 21, 4)).contains("read").doesNotContain("return", "break", "continue", "choose");
    }

    @Test
    void aConditionCompletesValuesNotStatements() throws Exception {
        String text = """
                path p() {
                  lock write
                  if\s
                  while tdp_mmu_iter_cond_resched(true) && s
                  if x { l
                  unlock
                }
                """;
        for (int[] at : new int[][] {{2, 5}, {3, 44}}) {
            assertThat(complete(text, at[0], at[1])).as("line " + at[0])
                    .contains("true", "need_resched", "spte", "tlb", "tdp_mmu_iter_cond_resched")
                    .doesNotContain("lock", "read", "while", "repeat", "atomic", "kvm_recover_nx_lpages", "commit_zap",
                            "memslot", "p");
        }
        // After the condition's `{` a statement starts again.
        assertThat(complete(text, 4, 10)).contains("lock", "read", "commit_zap");
    }

    /**
     * In a copy of a prelude path, an argument or a statement completes the path's own variables:
     * inside {@code remote_flush_or_zap(} the server offered 213 words, 'import' and 'scenario'
     * among them, and not {@code flush}, {@code sp} or a parameter.
     */
    @Test
    void anArgumentCompletesThePathsVariablesAndValuesOnly() throws Exception {
        String text = """
                path zap(ratio: int, start: int) -> bool {
                  lock write
                  let flush = false
                  for sp in lpage_disallowed take ratio {
                    flush |= tdp_zap_sp(s
                    remote_flush_or_zap(
                  }
                  fl
                  unlock
                  return flush
                }
                scenario "s" {
                  thread t { let n = 1; zap(
                }
                """;
        for (int[] at : new int[][] {{4, 25}, {5, 24}, {4, 13}}) {
            assertThat(complete(text, at[0], at[1])).as("line " + at[0])
                    .contains("flush", "sp", "ratio", "start", "true", "spte", "tdp_zap_sp", "tdp_mmu_zap_leafs", "zap")
                    .doesNotContain("import", "scenario", "lock", "read", "use_after_free", "commit_zap", "memslot")
                    .doesNotHaveDuplicates();
        }
        assertThat(complete(text, 7, 4)).contains("flush", "sp", "ratio", "lock", "commit_zap");
        assertThat(complete(text, 12, 29)).contains("n", "zap").doesNotContain("flush", "ratio", "sp");
    }
}
