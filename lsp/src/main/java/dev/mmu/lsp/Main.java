package dev.mmu.lsp;

import java.util.concurrent.ExecutionException;
import org.eclipse.lsp4j.jsonrpc.Launcher;
import org.eclipse.lsp4j.launch.LSPLauncher;
import org.eclipse.lsp4j.services.LanguageClient;

/** {@code java -jar mmu-lsp-<version>-server.jar}: speaks LSP on stdin/stdout until the client exits. */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) throws InterruptedException, ExecutionException {
        MmuLanguageServer server = new MmuLanguageServer();
        Launcher<LanguageClient> launcher = LSPLauncher.createServerLauncher(server, System.in, System.out);
        server.connect(launcher.getRemoteProxy());
        launcher.startListening().get();
    }
}
