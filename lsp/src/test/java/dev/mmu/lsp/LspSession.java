package dev.mmu.lsp;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.Pipe;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.eclipse.lsp4j.MessageActionItem;
import org.eclipse.lsp4j.MessageParams;
import org.eclipse.lsp4j.PublishDiagnosticsParams;
import org.eclipse.lsp4j.ShowMessageRequestParams;
import org.eclipse.lsp4j.jsonrpc.Launcher;
import org.eclipse.lsp4j.launch.LSPLauncher;
import org.eclipse.lsp4j.services.LanguageClient;
import org.eclipse.lsp4j.services.LanguageServer;

/**
 * A client talking JSON-RPC to a real {@link MmuLanguageServer} through a pair of pipes, as an
 * editor would over stdio: every request in the tests is serialised, sent and answered.
 */
final class LspSession implements AutoCloseable {

    final LanguageServer server;                                          // the proxy: calls become messages
    final BlockingQueue<PublishDiagnosticsParams> diagnostics = new LinkedBlockingQueue<>();
    final BlockingQueue<MessageParams> messages = new LinkedBlockingQueue<>();
    // NIO pipes, not PipedInputStream: that one breaks when a thread that wrote to it ends, and
    // the server answers from pool threads.
    private final Pipe toServer = Pipe.open();
    private final Pipe toClient = Pipe.open();

    LspSession() throws IOException {
        InputStream serverIn = Channels.newInputStream(toServer.source());
        OutputStream serverOut = Channels.newOutputStream(toClient.sink());
        InputStream clientIn = Channels.newInputStream(toClient.source());
        OutputStream clientOut = Channels.newOutputStream(toServer.sink());

        MmuLanguageServer impl = new MmuLanguageServer();
        Launcher<LanguageClient> serverSide = LSPLauncher.createServerLauncher(impl, serverIn, serverOut);
        impl.connect(serverSide.getRemoteProxy());
        serverSide.startListening();

        Launcher<LanguageServer> clientSide = LSPLauncher.createClientLauncher(new Client(), clientIn, clientOut);
        clientSide.startListening();
        server = clientSide.getRemoteProxy();
    }

    /** The next diagnostics published for {@code uri}, skipping other documents'. */
    PublishDiagnosticsParams nextDiagnostics(String uri) throws InterruptedException {
        while (true) {
            PublishDiagnosticsParams p = diagnostics.poll(20, TimeUnit.SECONDS);
            if (p == null) {
                throw new AssertionError("no diagnostics published for " + uri);
            }
            if (p.getUri().equals(uri)) {
                return p;
            }
        }
    }

    @Override
    public void close() throws IOException {
        toServer.sink().close();
        toClient.sink().close();
    }

    private final class Client implements LanguageClient {
        @Override
        public void publishDiagnostics(PublishDiagnosticsParams params) {
            diagnostics.add(params);
        }

        @Override
        public void telemetryEvent(Object object) {
        }

        @Override
        public void showMessage(MessageParams params) {
            messages.add(params);
        }

        @Override
        public CompletableFuture<MessageActionItem> showMessageRequest(ShowMessageRequestParams params) {
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public void logMessage(MessageParams params) {
        }
    }

    static List<String> labels(List<org.eclipse.lsp4j.CompletionItem> items) {
        return items.stream().map(org.eclipse.lsp4j.CompletionItem::getLabel).toList();
    }
}
