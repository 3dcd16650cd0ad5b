package dev.mmu.lsp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.eclipse.lsp4j.DidOpenTextDocumentParams;
import org.eclipse.lsp4j.InitializeParams;
import org.eclipse.lsp4j.InitializeResult;
import org.eclipse.lsp4j.Position;
import org.eclipse.lsp4j.SignatureHelp;
import org.eclipse.lsp4j.SignatureHelpParams;
import org.eclipse.lsp4j.SignatureInformation;
import org.eclipse.lsp4j.TextDocumentIdentifier;
import org.eclipse.lsp4j.TextDocumentItem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Signature help: the callee's parameters as the pinned kernel declares them, and the argument being written. */
class SignatureHelpsTest {
    private static final String FILE = "file:///tmp/sig.mmu";

    /** A scenario pinning {@code kernel} whose thread's one line is {@code call}, the cursor at its end. */
    private static SignatureHelp at(String kernel, String call) {
        String text = "scenario \"s\" {\n  vm { " + kernel + " }\n  thread t {\n    " + call + "\n  }\n}\n";
        return SignatureHelps.at(FILE, text, 3, 4 + call.length()).orElse(null);
    }

    private static SignatureInformation only(SignatureHelp help) {
        assertThat(help.getSignatures()).hasSize(1);
        return help.getSignatures().get(0);
    }

    @Test
    void aKernelPathsParametersAreThePinnedVersions() {
        SignatureInformation latest = only(at("kernel latest", "kvm_recover_nx_huge_pages("));
        assertThat(latest.getLabel()).isEqualTo("kvm_recover_nx_huge_pages(mmu_type: int)");
        assertThat(latest.getParameters()).extracting(p -> p.getLabel().getLeft()).containsExactly("mmu_type: int");
        assertThat(latest.getDocumentation().getRight().getValue()).contains("as kernel 7.2 (scenario \"s\" pins latest) declares it");
        SignatureInformation old = only(at("kernel 6.12", "kvm_recover_nx_huge_pages("));
        assertThat(old.getLabel()).isEqualTo("kvm_recover_nx_huge_pages()");
        assertThat(old.getParameters()).isEmpty();
    }

    @Test
    void aPrimitivesParametersDocAndTheArgumentByCommas() {
        SignatureHelp help = at("kernel 7.2", "tdp_zap_range(0, 512, ");
        SignatureInformation s = only(help);
        assertThat(s.getLabel()).isEqualTo(
                "tdp_zap_range(start_gfn: int, end_gfn: int, flush: bool, can_yield: bool = true) -> bool");
        assertThat(s.getParameters()).extracting(p -> p.getLabel().getLeft())
                .containsExactly("start_gfn: int", "end_gfn: int", "flush: bool", "can_yield: bool = true");
        assertThat(s.getDocumentation().getRight().getValue()).startsWith("Zaps leaf and non-leaf SPTEs");
        assertThat(help.getActiveParameter()).isEqualTo(2);
        assertThat(at("kernel 7.2", "tdp_zap_range(").getActiveParameter()).isZero();
        // A named argument is its parameter; a call inside the arguments is closed by then.
        assertThat(at("kernel 7.2", "tdp_zap_range(0, 1, can_yield: ").getActiveParameter()).isEqualTo(3);
        assertThat(at("kernel 7.2", "remote_flush_or_zap(tdp_zap_range(0, 1, true").getSignatures().get(0).getLabel())
                .startsWith("tdp_zap_range(");
        SignatureHelp outer = at("kernel 7.2", "let f = remote_flush_or_zap(tdp_zap_range(0, 1, true), ");
        assertThat(outer.getSignatures().get(0).getLabel()).startsWith("remote_flush_or_zap(");
        assertThat(outer.getActiveParameter()).isEqualTo(1);
    }

    @Test
    void aRenamedPrimitivesOtherNameSaysSo() {
        assertThat(only(at("kernel 7.2", "kvm_mmu_invalidate_begin(")).getDocumentation().getRight().getValue())
                .contains("Kernel 7.2 calls it `kvm_mmu_invalidate_start`");
        assertThat(only(at("kernel 6.12", "kvm_mmu_invalidate_begin(0, ")).getDocumentation().getRight().getValue())
                .doesNotContain("an error here");
    }

    @Test
    void nothingOutsideACallOrForAnUnknownCallee() {
        assertThat(at("kernel 7.2", "tdp_zap_range(0, 1, true)")).isNull();
        assertThat(at("kernel 7.2", "read 0x1000")).isNull();
        assertThat(at("kernel 7.2", "no_such_function(")).isNull();
        assertThat(at("kernel 7.2", "if (")).isNull();
    }

    @TempDir
    Path dir;

    @Test
    void theServerAdvertisesItAndAnswersOverJsonRpc() throws Exception {
        try (LspSession session = new LspSession()) {
            InitializeResult init = session.server.initialize(new InitializeParams()).get(20, TimeUnit.SECONDS);
            assertThat(init.getCapabilities().getSignatureHelpProvider().getTriggerCharacters()).containsExactly("(", ",");
            String uri = dir.resolve("s.mmu").toUri().toString();
            String text = "scenario \"s\" {\n  vm { kernel 6.12 }\n  thread t {\n    kvm_recover_nx_huge_pages(\n  }\n}\n";
            session.server.getTextDocumentService().didOpen(new DidOpenTextDocumentParams(new TextDocumentItem(uri, "mmu", 1, text)));
            SignatureHelp help = session.server.getTextDocumentService().signatureHelp(new SignatureHelpParams(
                    new TextDocumentIdentifier(uri), new Position(3, 30))).get(20, TimeUnit.SECONDS);
            assertThat(help.getSignatures().get(0).getLabel()).isEqualTo("kvm_recover_nx_huge_pages()");
            session.server.shutdown().get(20, TimeUnit.SECONDS);
        }
    }
}
