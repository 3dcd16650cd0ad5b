package dev.mmu.lsp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.eclipse.lsp4j.CompletionItem;
import org.eclipse.lsp4j.CompletionParams;
import org.eclipse.lsp4j.DefinitionParams;
import org.eclipse.lsp4j.DidOpenTextDocumentParams;
import org.eclipse.lsp4j.DocumentHighlight;
import org.eclipse.lsp4j.DocumentHighlightParams;
import org.eclipse.lsp4j.DocumentSymbol;
import org.eclipse.lsp4j.DocumentSymbolParams;
import org.eclipse.lsp4j.HoverParams;
import org.eclipse.lsp4j.InitializeParams;
import org.eclipse.lsp4j.Location;
import org.eclipse.lsp4j.Position;
import org.eclipse.lsp4j.PrepareRenameParams;
import org.eclipse.lsp4j.Range;
import org.eclipse.lsp4j.ReferenceContext;
import org.eclipse.lsp4j.ReferenceParams;
import org.eclipse.lsp4j.RenameParams;
import org.eclipse.lsp4j.SignatureHelpParams;
import org.eclipse.lsp4j.TextDocumentIdentifier;
import org.eclipse.lsp4j.TextDocumentItem;
import org.eclipse.lsp4j.TextEdit;
import org.eclipse.lsp4j.jsonrpc.messages.Either;
import org.eclipse.lsp4j.services.TextDocumentService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every position in and out of the server counts UTF-16 units, LSP's default encoding: after the
 * four emoji (a surrogate pair each) of this scenario's name a code point column is four units
 * short, so each request below lands on another word and each range is four units left unless
 * the server converts (they did, but for the diagnostics).
 */
class Utf16PositionsTest {

    private static final String BUGS = "\uD83D\uDC1B".repeat(4);
    private static final String LINE = "scenario \"" + BUGS + "\" { path zap_all() { lock write; commit_zap(); unlock }"
            + " vm { mmu tdp } memslot 0 { gpa 0x0  size 4M  backing 2M } thread zapper { zap_all }"
            + " thread z2 { kvm_zap_gfn_range(0x0, 0x400) } expect never use_after_free }";
    private static final String TEXT = LINE + "\n";
    /** Where the path is declared and where the thread calls it, in UTF-16 units (String indices). */
    private static final int DECLARED = LINE.indexOf("zap_all");
    private static final int CALLED = LINE.indexOf("zap_all }");

    @TempDir
    Path dir;
    private LspSession session;
    private TextDocumentService server;
    private String uri;

    @BeforeEach
    void start() throws Exception {
        session = new LspSession();
        session.server.initialize(new InitializeParams()).get(20, TimeUnit.SECONDS);
        server = session.server.getTextDocumentService();
        uri = open("bugs.mmu", TEXT);
        assertThat(session.nextDiagnostics(uri).getDiagnostics()).isEmpty(); // it parses and checks
    }

    @AfterEach
    void stop() throws Exception {
        session.server.shutdown().get(20, TimeUnit.SECONDS);
        session.close();
    }

    private static Range word(int at) {
        return new Range(new Position(0, at), new Position(0, at + "zap_all".length()));
    }

    /** The last letter of the called name: four code points on is the `thread` after it. */
    private static Position onCall() {
        return new Position(0, CALLED + "zap_all".length() - 1);
    }

    @Test
    void hoverReadsTheRequestAndAnswersItsRangeInUnits() throws Exception {
        var hover = server.hover(new HoverParams(new TextDocumentIdentifier(uri), onCall())).get(20, TimeUnit.SECONDS);
        assertThat(hover).isNotNull();
        assertThat(hover.getContents().getRight().getValue()).contains("**zap_all** · path");
        assertThat(hover.getRange()).isEqualTo(word(CALLED));
    }

    @Test
    void definitionLandsOnTheDeclarationInUnits() throws Exception {
        List<? extends Location> found = server.definition(new DefinitionParams(new TextDocumentIdentifier(uri), onCall()))
                .get(20, TimeUnit.SECONDS).getLeft();
        assertThat(found).singleElement().satisfies(l -> assertThat(l.getRange()).isEqualTo(word(DECLARED)));
    }

    @Test
    void referencesAndHighlightsAreInUnits() throws Exception {
        List<? extends Location> refs = server.references(new ReferenceParams(new TextDocumentIdentifier(uri), onCall(),
                new ReferenceContext(true))).get(20, TimeUnit.SECONDS);
        assertThat(refs).extracting(Location::getRange).containsExactlyInAnyOrder(word(DECLARED), word(CALLED));
        List<? extends DocumentHighlight> highlights = server.documentHighlight(new DocumentHighlightParams(
                new TextDocumentIdentifier(uri), onCall())).get(20, TimeUnit.SECONDS);
        assertThat(highlights).extracting(DocumentHighlight::getRange).containsExactlyInAnyOrder(word(DECLARED), word(CALLED));
    }

    @Test
    void renameEditsTheNameInUnits() throws Exception {
        var prepared = server.prepareRename(new PrepareRenameParams(new TextDocumentIdentifier(uri), onCall()))
                .get(20, TimeUnit.SECONDS);
        assertThat(prepared.getFirst()).isEqualTo(word(CALLED));
        List<TextEdit> edits = server.rename(new RenameParams(new TextDocumentIdentifier(uri), onCall(), "zap_every"))
                .get(20, TimeUnit.SECONDS).getChanges().get(uri);
        assertThat(edits).extracting(TextEdit::getRange).containsExactlyInAnyOrder(word(DECLARED), word(CALLED));
    }

    @Test
    void documentSymbolsAreInUnits() throws Exception {
        List<Either<org.eclipse.lsp4j.SymbolInformation, DocumentSymbol>> symbols = server.documentSymbol(
                new DocumentSymbolParams(new TextDocumentIdentifier(uri))).get(20, TimeUnit.SECONDS);
        DocumentSymbol scenario = symbols.get(0).getRight();
        assertThat(scenario.getRange()).isEqualTo(new Range(new Position(0, 0), new Position(0, LINE.length())));
        DocumentSymbol path = scenario.getChildren().stream().filter(s -> s.getName().equals("path zap_all")).findFirst().orElseThrow();
        assertThat(path.getSelectionRange()).isEqualTo(word(DECLARED));
        DocumentSymbol thread = scenario.getChildren().stream().filter(s -> s.getName().equals("thread zapper")).findFirst().orElseThrow();
        assertThat(thread.getRange().getStart()).isEqualTo(new Position(0, LINE.indexOf("thread zapper")));
    }

    /** Just inside the call's parentheses is its first argument; four code points on, its second. */
    @Test
    void signatureHelpReadsTheRequestInUnits() throws Exception {
        var help = server.signatureHelp(new SignatureHelpParams(new TextDocumentIdentifier(uri),
                new Position(0, LINE.indexOf("kvm_zap_gfn_range(") + "kvm_zap_gfn_range(".length()))).get(20, TimeUnit.SECONDS);
        assertThat(help).isNotNull();
        assertThat(help.getActiveParameter()).isZero();
    }

    @Test
    void completionReadsTheRequestAndReplacesInUnits() throws Exception {
        String line = "scenario \"" + BUGS + "\" { vm { kernel 6. } }";
        String typing = open("typing.mmu", line + "\n");
        session.nextDiagnostics(typing);
        int end = line.indexOf("6.") + 2;
        List<CompletionItem> items = server.completion(new CompletionParams(new TextDocumentIdentifier(typing),
                new Position(0, end))).get(20, TimeUnit.SECONDS).getLeft();
        assertThat(LspSession.labels(items)).contains("6.12");
        assertThat(items).allSatisfy(i -> assertThat(i.getTextEdit().getLeft().getRange())
                .isEqualTo(new Range(new Position(0, end - 2), new Position(0, end))));
    }

    /** A location in a file not open in the editor is counted by that file's text, read from disk. */
    @Test
    void definitionInAnImportedFileCountsThatFilesUnits() throws Exception {
        Files.writeString(dir.resolve(BUGS + ".mmu"), "path other() { commit_zap() }\n");
        String lib = "import \"" + BUGS + ".mmu\"; path lib_zap() { lock write; commit_zap(); unlock }";
        Files.writeString(dir.resolve("lib.mmu"), lib + "\n");
        String main = "import \"lib.mmu\"\nscenario \"s\" { vm { mmu tdp } thread t { lib_zap } }\n";
        String mainUri = open("main.mmu", main);
        session.nextDiagnostics(mainUri);

        List<? extends Location> found = server.definition(new DefinitionParams(new TextDocumentIdentifier(mainUri),
                new Position(1, main.lines().toList().get(1).indexOf("lib_zap") + 1))).get(20, TimeUnit.SECONDS).getLeft();
        int at = lib.indexOf("lib_zap");
        assertThat(found).singleElement().satisfies(l -> {
            assertThat(l.getUri()).endsWith("lib.mmu");
            assertThat(l.getRange()).isEqualTo(new Range(new Position(0, at), new Position(0, at + "lib_zap".length())));
        });
    }

    @Test
    void theConversionCountsSurrogatePairsBothWays() {
        String line = "a" + BUGS + "b";
        assertThat(Utf16.units(line, 5)).isEqualTo(9);
        assertThat(Utf16.codePoints(line, 9)).isEqualTo(5);
        assertThat(Utf16.units(line, 8)).isEqualTo(12); // past the end: as many more
        assertThat(Utf16.codePoints(line, 12)).isEqualTo(8);
    }

    private String open(String name, String text) throws Exception {
        Path file = dir.resolve(name);
        Files.writeString(file, text);
        String u = file.toUri().toString();
        server.didOpen(new DidOpenTextDocumentParams(new TextDocumentItem(u, "mmu", 1, text)));
        return u;
    }
}
