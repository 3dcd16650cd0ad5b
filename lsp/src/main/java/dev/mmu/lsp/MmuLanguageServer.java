package dev.mmu.lsp;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.eclipse.lsp4j.CodeActionKind;
import org.eclipse.lsp4j.CodeActionOptions;
import org.eclipse.lsp4j.CompletionOptions;
import org.eclipse.lsp4j.DidChangeConfigurationParams;
import org.eclipse.lsp4j.DidChangeWatchedFilesParams;
import org.eclipse.lsp4j.InitializeParams;
import org.eclipse.lsp4j.InitializeResult;
import org.eclipse.lsp4j.RenameOptions;
import org.eclipse.lsp4j.ServerCapabilities;
import org.eclipse.lsp4j.ServerInfo;
import org.eclipse.lsp4j.SignatureHelpOptions;
import org.eclipse.lsp4j.TextDocumentSyncKind;
import org.eclipse.lsp4j.services.LanguageClient;
import org.eclipse.lsp4j.services.LanguageClientAware;
import org.eclipse.lsp4j.services.LanguageServer;
import org.eclipse.lsp4j.services.TextDocumentService;
import org.eclipse.lsp4j.services.WorkspaceService;

/**
 * The mmu language server: diagnostics, completion, hover, signature help, go-to-definition, references,
 * highlights and rename for .mmu files.
 */
public final class MmuLanguageServer implements LanguageServer, LanguageClientAware {

    private final MmuTextDocumentService documents = new MmuTextDocumentService();
    private int exitCode = 1; // 0 only after a shutdown request, as the protocol says

    @Override
    public CompletableFuture<InitializeResult> initialize(InitializeParams params) {
        documents.roots(folders(params));
        ServerCapabilities capabilities = new ServerCapabilities();
        capabilities.setTextDocumentSync(TextDocumentSyncKind.Full);
        capabilities.setCompletionProvider(new CompletionOptions(false, List.of(".")));
        capabilities.setHoverProvider(true);
        capabilities.setSignatureHelpProvider(new SignatureHelpOptions(List.of("(", ",")));
        capabilities.setDefinitionProvider(true);
        capabilities.setDocumentFormattingProvider(true);
        capabilities.setDocumentSymbolProvider(true);
        capabilities.setReferencesProvider(true);
        capabilities.setDocumentHighlightProvider(true);
        capabilities.setRenameProvider(new RenameOptions(true)); // with prepareRename
        capabilities.setCodeActionProvider(new CodeActionOptions(List.of(CodeActionKind.QuickFix)));
        return CompletableFuture.completedFuture(new InitializeResult(capabilities, new ServerInfo("mmu-lsp")));
    }

    /** The workspace folders as paths (the deprecated rootUri when the client sends no folders). */
    private static List<java.nio.file.Path> folders(InitializeParams params) {
        List<String> uris = new java.util.ArrayList<>();
        if (params.getWorkspaceFolders() != null) params.getWorkspaceFolders().forEach(f -> uris.add(f.getUri()));
        @SuppressWarnings("deprecation")
        String root = params.getRootUri();
        if (uris.isEmpty() && root != null) uris.add(root);
        return uris.stream().filter(u -> u.startsWith("file:")).map(u -> java.nio.file.Path.of(Documents.fileName(u))).toList();
    }

    @Override
    public CompletableFuture<Object> shutdown() {
        exitCode = 0;
        documents.shutdown();
        PreludeFiles.clean(); // the go-to-definition copies: no server answers for them any more
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public void exit() {
        System.exit(exitCode);
    }

    @Override
    public TextDocumentService getTextDocumentService() {
        return documents;
    }

    @Override
    public WorkspaceService getWorkspaceService() {
        return new WorkspaceService() {
            @Override
            public void didChangeConfiguration(DidChangeConfigurationParams params) {
                // no settings yet
            }

            @Override
            public void didChangeWatchedFiles(DidChangeWatchedFilesParams params) {
                // imports are re-read on every check
            }
        };
    }

    @Override
    public void connect(LanguageClient client) {
        documents.connect(client);
    }
}
