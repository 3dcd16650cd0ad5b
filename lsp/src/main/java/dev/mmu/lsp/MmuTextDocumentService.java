package dev.mmu.lsp;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.eclipse.lsp4j.CodeAction;
import org.eclipse.lsp4j.CodeActionParams;
import org.eclipse.lsp4j.Command;
import org.eclipse.lsp4j.CompletionItem;
import org.eclipse.lsp4j.CompletionList;
import org.eclipse.lsp4j.CompletionParams;
import org.eclipse.lsp4j.DefinitionParams;
import org.eclipse.lsp4j.DidChangeTextDocumentParams;
import org.eclipse.lsp4j.DidCloseTextDocumentParams;
import org.eclipse.lsp4j.DidOpenTextDocumentParams;
import org.eclipse.lsp4j.DidSaveTextDocumentParams;
import org.eclipse.lsp4j.DocumentFormattingParams;
import org.eclipse.lsp4j.DocumentHighlight;
import org.eclipse.lsp4j.DocumentHighlightParams;
import org.eclipse.lsp4j.DocumentSymbol;
import org.eclipse.lsp4j.DocumentSymbolParams;
import org.eclipse.lsp4j.Hover;
import org.eclipse.lsp4j.HoverParams;
import org.eclipse.lsp4j.Location;
import org.eclipse.lsp4j.LocationLink;
import org.eclipse.lsp4j.MessageParams;
import org.eclipse.lsp4j.MessageType;
import org.eclipse.lsp4j.Position;
import org.eclipse.lsp4j.PrepareRenameDefaultBehavior;
import org.eclipse.lsp4j.PrepareRenameParams;
import org.eclipse.lsp4j.PrepareRenameResult;
import org.eclipse.lsp4j.PublishDiagnosticsParams;
import org.eclipse.lsp4j.Range;
import org.eclipse.lsp4j.ReferenceParams;
import org.eclipse.lsp4j.RenameParams;
import org.eclipse.lsp4j.SignatureHelp;
import org.eclipse.lsp4j.SignatureHelpParams;
import org.eclipse.lsp4j.SymbolInformation;
import org.eclipse.lsp4j.TextEdit;
import org.eclipse.lsp4j.WorkspaceEdit;
import org.eclipse.lsp4j.jsonrpc.messages.Either3;
import org.eclipse.lsp4j.jsonrpc.messages.Either;
import org.eclipse.lsp4j.services.LanguageClient;
import org.eclipse.lsp4j.services.TextDocumentService;

/**
 * Text document requests. Every change re-runs the front end on the whole text (full sync: the
 * files are small) on one worker thread, so checks publish in the order edits arrived.
 */
final class MmuTextDocumentService implements TextDocumentService {

    private final Documents documents = new Documents();
    private final ExecutorService checker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "mmu-lsp-check");
        t.setDaemon(true);
        return t;
    });
    private volatile LanguageClient client;
    /** The workspace folders the client gave at initialize: where a rename or references look for the files importing a path's file. */
    private volatile List<Path> roots = List.of();

    void connect(LanguageClient client) {
        this.client = client;
    }

    void roots(List<Path> folders) {
        roots = List.copyOf(folders);
    }

    private Workspace workspace() {
        return new Workspace(roots, this::openText, documents::files);
    }

    void shutdown() {
        checker.shutdown();
    }

    @Override
    public void didOpen(DidOpenTextDocumentParams params) {
        changed(params.getTextDocument().getUri(), params.getTextDocument().getText());
    }

    @Override
    public void didChange(DidChangeTextDocumentParams params) {
        var changes = params.getContentChanges();
        if (!changes.isEmpty()) {
            changed(params.getTextDocument().getUri(), changes.get(changes.size() - 1).getText());
        }
    }

    @Override
    public void didClose(DidCloseTextDocumentParams params) {
        String uri = params.getTextDocument().getUri();
        documents.remove(uri);
        Occurrences.forget(uri);
        publish(uri, List.of());
    }

    @Override
    public void didSave(DidSaveTextDocumentParams params) {
        // An import may have changed on disk: check again.
        String uri = params.getTextDocument().getUri();
        documents.text(uri).ifPresent(text -> changed(uri, text));
    }

    private void changed(String uri, String text) {
        documents.put(uri, text);
        checker.execute(() -> {
            if (!text.equals(documents.text(uri).orElse(null))) {
                return; // an edit made this check stale
            }
            try {
                List<org.eclipse.lsp4j.Diagnostic> found = Checking.check(uri, text);
                Occurrences.remember(uri, text); // what names are read from while a later edit does not parse
                publish(uri, found);
            } catch (RuntimeException e) {
                // stdout carries the protocol: the trace goes to stderr, which editors log.
                e.printStackTrace();
                publish(uri, List.of(Checking.internalError(e)));
            }
        });
    }

    private void publish(String uri, List<org.eclipse.lsp4j.Diagnostic> diagnostics) {
        LanguageClient c = client;
        if (c != null) {
            c.publishDiagnostics(new PublishDiagnosticsParams(uri, diagnostics));
        }
    }

    @Override
    public CompletableFuture<Either<List<CompletionItem>, CompletionList>> completion(CompletionParams params) {
        String uri = params.getTextDocument().getUri();
        return at(uri, params.getPosition(), (text, line, character) -> Either.forLeft(
                Utf16.of(text).completions(Completions.at(uri, text, line, character))), () -> Either.forLeft(List.of()));
    }

    @Override
    public CompletableFuture<SignatureHelp> signatureHelp(SignatureHelpParams params) {
        String uri = params.getTextDocument().getUri();
        return at(uri, params.getPosition(), (text, line, character) -> SignatureHelps.at(uri, text,
                line, character).orElse(null), () -> null);
    }

    @Override
    public CompletableFuture<Hover> hover(HoverParams params) {
        String uri = params.getTextDocument().getUri();
        return at(uri, params.getPosition(), (text, line, character) -> Utf16.of(text).out(Hovers.at(uri, text,
                line, character).orElse(null)), () -> null);
    }

    @Override
    public CompletableFuture<Either<List<? extends Location>, List<? extends LocationLink>>> definition(
            DefinitionParams params) {
        String uri = params.getTextDocument().getUri();
        return at(uri, params.getPosition(), (text, line, character) -> Either.forLeft(Utf16.locations(
                Definitions.at(uri, text, line, character, this::openText), this::textOf)), () -> Either.forLeft(List.of()));
    }

    @Override
    public CompletableFuture<List<? extends Location>> references(ReferenceParams params) {
        String uri = params.getTextDocument().getUri();
        return at(uri, params.getPosition(), (text, line, character) -> Utf16.locations(References.at(uri, text, line,
                character, params.getContext().isIncludeDeclaration(), workspace()), this::textOf), List::of);
    }

    @Override
    public CompletableFuture<List<? extends DocumentHighlight>> documentHighlight(DocumentHighlightParams params) {
        String uri = params.getTextDocument().getUri();
        return at(uri, params.getPosition(), (text, line, character) -> Utf16.of(text).highlights(
                References.highlights(uri, text, line, character)), List::of);
    }

    @Override
    public CompletableFuture<Either3<Range, PrepareRenameResult, PrepareRenameDefaultBehavior>> prepareRename(
            PrepareRenameParams params) {
        String uri = params.getTextDocument().getUri();
        return at(uri, params.getPosition(), (text, line, character) -> Either3.forFirst(Utf16.of(text).out(
                Renames.prepare(uri, text, line, character, workspace()))), () -> null);
    }

    @Override
    public CompletableFuture<WorkspaceEdit> rename(RenameParams params) {
        String uri = params.getTextDocument().getUri();
        return at(uri, params.getPosition(), (text, line, character) -> Utf16.edits(Renames.rename(uri, text, line,
                character, params.getNewName(), workspace()), this::textOf), () -> null);
    }

    @Override
    public CompletableFuture<List<? extends TextEdit>> formatting(DocumentFormattingParams params) {
        String uri = params.getTextDocument().getUri();
        return withText(uri, text -> {
            Formatting.Result r = Formatting.of(uri, text);
            LanguageClient c = client;
            if (c != null) r.refused().ifPresent(why -> c.showMessage(new MessageParams(MessageType.Warning, why)));
            return Utf16.of(text).edits(r.edits());
        }, List::of);
    }

    @Override
    public CompletableFuture<List<Either<SymbolInformation, DocumentSymbol>>> documentSymbol(
            DocumentSymbolParams params) {
        String uri = params.getTextDocument().getUri();
        return withText(uri, text -> Utf16.of(text).symbols(Symbols.of(uri, text)).stream()
                .map(Either::<SymbolInformation, DocumentSymbol>forRight).toList(), List::of);
    }

    @Override
    public CompletableFuture<List<Either<Command, CodeAction>>> codeAction(CodeActionParams params) {
        String uri = params.getTextDocument().getUri();
        return CompletableFuture.completedFuture(QuickFixes.of(uri, params.getContext().getDiagnostics()).stream()
                .map(Either::<Command, CodeAction>forRight).toList());
    }

    private Optional<String> openText(Path file) {
        return documents.text(file);
    }

    /**
     * The text of a file an answer points into, to count its positions in: an open document's,
     * else the file's on disk (an import, a prelude copy).
     */
    private Optional<String> textOf(String uri) {
        Optional<String> open = documents.text(uri);
        if (open.isPresent() || !uri.startsWith("file:")) return open;
        try {
            Path file = Path.of(java.net.URI.create(uri));
            // open under another spelling of its URI, else as saved
            return documents.text(file).or(() -> {
                try {
                    return Optional.of(java.nio.file.Files.readString(file));
                } catch (java.io.IOException e) {
                    return Optional.empty(); // gone or unreadable: its positions are left as counted
                }
            });
        } catch (RuntimeException e) {
            return Optional.empty(); // a URI no path holds
        }
    }

    /** A feature at a 0-based position the feature counts in code points (the request's are UTF-16 units). */
    private interface AtPosition<T> {
        T apply(String text, int line, int character);
    }

    private <T> CompletableFuture<T> at(String uri, Position position, AtPosition<T> f, Supplier<T> unknown) {
        return withText(uri, text -> {
            Position p = Utf16.of(text).in(position);
            return f.apply(text, p.getLine(), p.getCharacter());
        }, unknown);
    }

    private <T> CompletableFuture<T> withText(String uri, java.util.function.Function<String, T> f,
                                              Supplier<T> unknown) {
        return CompletableFuture.supplyAsync(() -> documents.text(uri).map(f).orElseGet(unknown));
    }
}
