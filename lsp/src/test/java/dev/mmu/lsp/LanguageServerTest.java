package dev.mmu.lsp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.eclipse.lsp4j.CompletionItem;
import org.eclipse.lsp4j.CompletionParams;
import org.eclipse.lsp4j.DefinitionParams;
import org.eclipse.lsp4j.Diagnostic;
import org.eclipse.lsp4j.DiagnosticSeverity;
import org.eclipse.lsp4j.DidChangeTextDocumentParams;
import org.eclipse.lsp4j.DidOpenTextDocumentParams;
import org.eclipse.lsp4j.DocumentHighlight;
import org.eclipse.lsp4j.DocumentHighlightParams;
import org.eclipse.lsp4j.Hover;
import org.eclipse.lsp4j.HoverParams;
import org.eclipse.lsp4j.InitializeParams;
import org.eclipse.lsp4j.InitializeResult;
import org.eclipse.lsp4j.Location;
import org.eclipse.lsp4j.Position;
import org.eclipse.lsp4j.PrepareRenameParams;
import org.eclipse.lsp4j.PublishDiagnosticsParams;
import org.eclipse.lsp4j.Range;
import org.eclipse.lsp4j.ReferenceContext;
import org.eclipse.lsp4j.ReferenceParams;
import org.eclipse.lsp4j.RenameParams;
import org.eclipse.lsp4j.TextDocumentContentChangeEvent;
import org.eclipse.lsp4j.TextDocumentIdentifier;
import org.eclipse.lsp4j.TextDocumentItem;
import org.eclipse.lsp4j.VersionedTextDocumentIdentifier;
import org.eclipse.lsp4j.TextEdit;
import org.eclipse.lsp4j.jsonrpc.ResponseErrorException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server as an editor sees it: LSP messages in, LSP messages out. */
class LanguageServerTest {

    private static final String SCENARIO = """
            path zap_all() {
              lock write
              commit_zap()
              unlock
            }

            scenario "s" {
              vm { mmu tdp }
              memslot 0 { gpa 0x0  size 4M  backing 2M }
              vcpus 2
              thread zapper { zap_all }
              thread vcpu 1 { read 0x1000 }
              thread host { mmu_notifier_invalidate 0x0 .. 0x200000 }
              expect never use_after_free
            }
            """;

    @TempDir
    Path dir;
    private LspSession session;

    @BeforeEach
    void start() throws Exception {
        session = new LspSession();
        InitializeResult init = session.server.initialize(new InitializeParams()).get(20, TimeUnit.SECONDS);
        assertThat(init.getCapabilities().getHoverProvider().getLeft()).isTrue();
        assertThat(init.getCapabilities().getDefinitionProvider().getLeft()).isTrue();
        assertThat(init.getCapabilities().getCompletionProvider().getTriggerCharacters()).contains(".");
    }

    @AfterEach
    void stop() throws Exception {
        session.server.shutdown().get(20, TimeUnit.SECONDS);
        session.close();
    }

    @Test
    void aValidFileHasNoDiagnostics() throws Exception {
        String uri = open("ok.mmu", SCENARIO);
        assertThat(session.nextDiagnostics(uri).getDiagnostics()).isEmpty();
    }

    @Test
    void diagnosticsComeFromTheFrontEndAndFollowEdits() throws Exception {
        String broken = SCENARIO.replace("expect never use_after_free", "expect never use_after_fre");
        String uri = open("broken.mmu", broken);

        List<Diagnostic> diagnostics = session.nextDiagnostics(uri).getDiagnostics();
        assertThat(diagnostics).hasSize(1);
        Diagnostic d = diagnostics.get(0);
        assertThat(d.getSeverity()).isEqualTo(DiagnosticSeverity.Error);
        assertThat(d.getSource()).isEqualTo("mmu");
        assertThat(d.getMessage().getLeft()).contains("use_after_fre").contains("use_after_free");
        int line = 13;
        int column = broken.lines().toList().get(line).indexOf("use_after_fre");
        assertThat(d.getRange()).isEqualTo(new Range(new Position(line, column),
                new Position(line, column + "use_after_fre".length())));

        change(uri, 2, SCENARIO);
        assertThat(session.nextDiagnostics(uri).getDiagnostics()).isEmpty();
    }

    @Test
    void syntaxErrorsAreReportedWhileTyping() throws Exception {
        String uri = open("typing.mmu", "scenario \"s\" {\n  vm { mmu }\n");
        PublishDiagnosticsParams p = session.nextDiagnostics(uri);
        assertThat(p.getDiagnostics()).isNotEmpty()
                .allSatisfy(d -> assertThat(d.getSeverity()).isEqualTo(DiagnosticSeverity.Error));
    }

    /** A half-typed line does not hide the other errors: the checker still looks at the rest. */
    @Test
    void otherErrorsKeepShowingWhileALineIsHalfTyped() throws Exception {
        String halfTypedLock = "scenario \"s\" {\n  memslot 0 { gpa 0x0 size 2M }\n  thread t { read 0x1000; lock wr }\n"
                + "  thread u { kvm_recover_nx_lpagez }\n  expect never use_after_fre\n}\n";
        String unclosedThread = halfTypedLock.replace("lock wr }", "lock write");
        String halfTypedLet = "path p() {\n  lock write\n  let x =\n  unlock\n}\n"
                + "scenario \"s\" {\n  memslot 0 { gpa 0x0 size 2M }\n  thread u { p }\n  expect never use_after_fre\n}\n";

        assertThat(messages(open("t1.mmu", halfTypedLock))).containsExactly(
                "2:31 expected 'read' or 'write', found 'wr'",
                "3:13 unknown kernel path or user path 'kvm_recover_nx_lpagez'; did you mean 'kvm_recover_nx_lpages'?",
                "4:15 unknown invariant 'use_after_fre'; did you mean 'use_after_free'?");
        // the thread left open is the line above the error: blanked first, it is enough, and line 3 is checked
        assertThat(messages(open("t2.mmu", unclosedThread))).containsExactly(
                "3:2 expected '}' to close the thread opened at line 3 before 'thread'",
                "3:13 unknown kernel path or user path 'kvm_recover_nx_lpagez'; did you mean 'kvm_recover_nx_lpages'?",
                "4:15 unknown invariant 'use_after_fre'; did you mean 'use_after_free'?");
        assertThat(messages(open("t3.mmu", halfTypedLet))).containsExactly(
                "3:2 expected an expression, found 'unlock'",
                "8:15 unknown invariant 'use_after_fre'; did you mean 'use_after_free'?");
        assertThat(messages(open("t4.mmu", "scenario \"s\" {\n  vm { mmu }\n"))).as("nothing left to check")
                .allMatch(m -> m.startsWith("1:") || m.startsWith("2:"));
    }

    private List<String> messages(String uri) throws Exception {
        return session.nextDiagnostics(uri).getDiagnostics().stream()
                .map(d -> d.getRange().getStart().getLine() + ":" + d.getRange().getStart().getCharacter() + " "
                        + d.getMessage().getLeft())
                .toList();
    }

    // Written out by hand from docs/language.md (§5, §7), not read from Builtins (the primitives are
    // FeatureTablesTest.PRIMITIVES): the completion
    // lists are checked against what the language documents, so an entry lost from the table fails.
    static final List<String> INVARIANTS = List.of("use_after_free", "stale_tlb_at_unlock", "freed_page_table_walk",
            "nx_exec_huge", "dirty_log_lost", "huge_and_child", "stats_consistent", "page_table_leak",
            "dangling_memslot", "lockdep", "lock_balance", "deadlock", "dirty_bit_lost", "freed_root_in_use",
            "lost_spte_update", "accounted_after_zap", "freed_page_mapped", "nx_pages_counted", "kernel_warning",
            "wrong_address_space");
    static final List<String> STATS = List.of("pages_4k", "pages_2m", "pages_1g", "nx_lpage_splits",
            "remote_tlb_flush", "mmu_shadow_zapped");
    static final List<String> KERNEL_PATHS = List.of("kvm_recover_nx_lpages", "kvm_tdp_mmu_zap_gfn_range",
            "kvm_mmu_notifier_invalidate_range", "mmu_notifier_invalidate", "kvm_mmu_notifier_invalidate_range_nonblock",
            "mmu_notifier_invalidate_nonblock", "kvm_mmu_notifier_clear_flush_young",
            "kvm_mmu_notifier_clear_young", "kvm_mmu_notifier_test_young", "host_free", "kvm_flush_remote_tlbs",
            "kvm_mmu_zap_all_fast", "kvm_mmu_slot_remove_write_access", "dirty_log_enable", "dirty_log_disable",
            "clear_dirty_log", "kvm_mmu_recover_huge_pages", "kvm_mmu_zap_collapsible_sptes", "memslot_delete", "memslot_move", "eager_split",
            "kvm_mmu_slot_try_split_huge_pages");

    @Test
    void completesInvariantsAfterExpectNever() throws Exception {
        String text = "scenario \"s\" {\n  expect never \n}\n";
        String uri = open("c.mmu", text);
        // Under latest (7.2) all but dirty_bit_lost, which the checker refuses there (a 6.12 invariant).
        assertThat(LspSession.labels(complete(uri, 1, 15)))
                .containsExactlyInAnyOrderElementsOf(INVARIANTS.stream().filter(i -> !i.equals("dirty_bit_lost")).toList());
    }

    @Test
    void completesStatsAfterStatDotAndMetricsAfterExpectMax() throws Exception {
        String text = "scenario \"s\" {\n  expect always stat.nx_\n  expect max \n}\n";
        String uri = open("c.mmu", text);
        assertThat(LspSession.labels(complete(uri, 1, 24)))
                .containsExactlyInAnyOrderElementsOf(STATS);
        assertThat(LspSession.labels(complete(uri, 2, 13)))
                .containsExactlyInAnyOrderElementsOf(List.of("commit_batch", "lock_hold_work"));
    }

    @Test
    void completesPreemptionModelsAfterPreempt() throws Exception {
        String uri = open("p.mmu", "scenario \"s\" {\n  vm { preempt  }\n}\n");
        assertThat(LspSession.labels(complete(uri, 1, "  vm { preempt ".length())))
                .containsExactly("full", "voluntary", "none");
    }

    /** `kernel` offers the prelude's versions (today's tree, 7.2, among them) and latest. */
    @Test
    void completesKernelVersionsAfterKernel() throws Exception {
        String uri = open("v.mmu", "scenario \"s\" {\n  vm { kernel  }\n}\n");
        assertThat(LspSession.labels(complete(uri, 1, "  vm { kernel ".length())))
                .containsExactly("5.10", "5.12", "6.12", "6.18", "7.2", "7.3", "latest");
    }

    /** Only mmu_lock has both modes: `lock read` offers the locks with a read side, `unlock` every lock. */
    @Test
    void completesTheLocksThatHaveTheMode() throws Exception {
        String uri = open("k.mmu", "path p() {\n  lock read \n  lock write \n  unlock \n}\n");
        assertThat(LspSession.labels(complete(uri, 1, "  lock read ".length()))).containsExactly("mmu_lock", "srcu");
        assertThat(LspSession.labels(complete(uri, 2, "  lock write ".length())))
                .containsExactly("mmu_lock", "slots_lock", "tdp_mmu_pages_lock", "mmu_unsync_pages_lock");
        assertThat(LspSession.labels(complete(uri, 3, "  unlock ".length())))
                .containsExactly("mmu_lock", "slots_lock", "srcu", "tdp_mmu_pages_lock", "mmu_unsync_pages_lock");
    }

    @Test
    void completesVcpuNumbersFromTheScenario() throws Exception {
        String text = SCENARIO.replace("thread vcpu 1 {", "thread vcpu  {");
        String uri = open("v.mmu", text);
        int line = 11;
        assertThat(LspSession.labels(complete(uri, line, "  thread vcpu ".length()))).containsExactly("0", "1");
    }

    @Test
    void completesKeywordsBuiltinsPathsAndThreadsElsewhere() throws Exception {
        // Where no narrower context applies (after a command's name): anything a name can be.
        String uri = open("e.mmu", SCENARIO.replace("  commit_zap()", "  zap_all "));
        List<String> labels = LspSession.labels(complete(uri, 2, "  zap_all ".length()));
        assertThat(labels).contains("scenario", "lock", "kvm_recover_nx_lpages", "mmu_notifier_invalidate",
                "tdp_zap_range", "spte", "use_after_free", "zap_all", "zapper");
        assertThat(labels).containsAll(KERNEL_PATHS).containsAll(FeatureTablesTest.PRIMITIVES.keySet());
        // After `let x = ` a value goes: values only (EditorFeaturesTest has the path's variables).
        String let = open("l.mmu", SCENARIO.replace("  commit_zap()", "  let x = commit_zap()"));
        assertThat(LspSession.labels(complete(let, 2, "  let x = ".length()))).contains("spte", "tdp_zap_range", "true")
                .doesNotContain("scenario", "lock", "use_after_free", "zapper", "kvm_recover_nx_lpages");
    }

    @Test
    void hoverShowsTheKernelFunctionABuiltinModels() throws Exception {
        String uri = open("h.mmu", SCENARIO);
        int line = 12;
        Hover hover = hover(uri, line, SCENARIO.lines().toList().get(line).indexOf("mmu_notifier") + 3);
        String text = hover.getContents().getRight().getValue();
        assertThat(text).contains("kernel path", "alias of `kvm_mmu_notifier_invalidate_range`",
                "Models `kvm_mmu_notifier_invalidate_range_start`");

        Hover primitive = hover(uri, 2, 4);
        assertThat(primitive.getContents().getRight().getValue())
                .contains("primitive", "Models `kvm_mmu_commit_zap_page`")
                .doesNotContain("Needs "); // kvm_mmu_commit_zap_page() asserts no lock (trial11)
    }

    /**
     * An invariant or a query models no kernel function: its hover says what it is without a
     * "Models" line (it read "Models `(invariant)`." and "Models `(model state)`.").
     */
    @Test
    void hoverOnAnInvariantOrAQueryNamesNoKernelFunction() throws Exception {
        String text = SCENARIO.replace("  expect never use_after_free", "  expect always spte(0x1000).present\n  expect never use_after_free");
        String uri = open("i.mmu", text);
        List<String> lines = text.lines().toList();
        int invariant = lines.indexOf("  expect never use_after_free");
        String hover = hover(uri, invariant, "  expect never use".length()).getContents().getRight().getValue();
        assertThat(hover).contains("invariant", "freed").doesNotContain("Models");
        String query = hover(uri, invariant - 1, "  expect always sp".length()).getContents().getRight().getValue();
        assertThat(query).contains("query", "spte(gpa: int)").doesNotContain("Models");
    }

    /**
     * A statement may call every path of the prelude (the helpers `mmu show` copies call, such as
     * kvm_tdp_mmu_zap_invalidated_roots): they complete, with their comment block (only the kernel
     * paths of the language table did).
     */
    @Test
    void completesThePreludesHelperPathsInAStatement() throws Exception {
        String uri = open("s.mmu", SCENARIO.replace("  commit_zap()\n", "  commit_zap()\n  \n"));
        List<CompletionItem> items = complete(uri, 3, 2);
        assertThat(LspSession.labels(items)).contains("kvm_tdp_mmu_zap_invalidated_roots", "direct_map",
                "tdp_mmu_zap_root", "kvm_recover_nx_lpages", "commit_zap", "zap_all").doesNotHaveDuplicates();
        CompletionItem helper = items.stream().filter(i -> i.getLabel().equals("kvm_tdp_mmu_zap_invalidated_roots"))
                .findFirst().orElseThrow();
        assertThat(helper.getDetail()).isEqualTo("kernel path (prelude)");
        assertThat(helper.getDocumentation().getLeft()).contains("mmu show kvm_tdp_mmu_zap_invalidated_roots");
    }

    /**
     * Over the protocol, a file of two scenarios of two kernels: completion, hover and definition
     * in each answer with its scenario's prelude (they answered with latest's, 7.2's, everywhere:
     * kvm_recover_nx_huge_pages(mmu_type) where the checker runs 6.12's, which takes none).
     */
    @Test
    void completionHoverAndDefinitionAnswerWithTheScenariosKernel() throws Exception {
        String text = """
                scenario "old" {
                  vm { kernel 6.12 }
                  memslot 0 { gpa 0x0 size 2M }
                  thread t {
                    kvm_recover_nx_huge_pages
                  }
                }
                scenario "new" {
                  memslot 0 { gpa 0x0 size 2M }
                  thread t {
                    kvm_recover_nx_huge_pages(KVM_TDP_MMU)
                  }
                }
                """;
        String uri = open("two.mmu", text);
        assertThat(session.nextDiagnostics(uri).getDiagnostics()).isEmpty(); // the checker agrees with both calls

        CompletionItem old = completionOf(uri, 4, "kvm_recover_nx_huge_pages");
        assertThat(old.getLabelDetails().getDetail()).isEqualTo("()");
        assertThat(old.getLabelDetails().getDescription()).isEqualTo("kernel 6.12");
        CompletionItem latest = completionOf(uri, 10, "kvm_recover_nx_huge_pages");
        assertThat(latest.getLabelDetails().getDetail()).isEqualTo("(mmu_type: int)");
        assertThat(latest.getLabelDetails().getDescription()).isEqualTo("kernel 7.2");
        // A helper's comment block is its version's too (7.2 renamed it: v6.13's in-place recovery).
        assertThat(completionOf(uri, 4, "kvm_tdp_mmu_zap_collapsible_sptes").getDocumentation().getLeft())
                .contains("(kernel 6.12; scenario \"old\" pins it)").doesNotContain("v7.2");
        assertThat(completionOf(uri, 10, "kvm_tdp_mmu_recover_huge_pages").getDocumentation().getLeft())
                .contains("(kernel 7.2", "scenario \"new\" pins no kernel, so latest)");

        assertThat(hover(uri, 4, 8).getContents().getRight().getValue())
                .contains("kvm_recover_nx_huge_pages()\n```", "(kernel 6.12; scenario \"old\" pins it)")
                .doesNotContain("mmu_type");
        assertThat(hover(uri, 10, 8).getContents().getRight().getValue())
                .contains("kvm_recover_nx_huge_pages(mmu_type: int)\n```", "(kernel 7.2",
                        "scenario \"new\" pins no kernel, so latest)");

        assertThat(definition(uri, 4, 8)).singleElement().satisfies(l -> assertThat(Files.readAllLines(
                Path.of(java.net.URI.create(l.getUri()))).get(l.getRange().getStart().getLine()))
                .isEqualTo("path kvm_recover_nx_huge_pages() {"));
        assertThat(definition(uri, 10, 8)).singleElement().satisfies(l -> assertThat(Files.readAllLines(
                Path.of(java.net.URI.create(l.getUri()))).get(l.getRange().getStart().getLine()))
                .isEqualTo("path kvm_recover_nx_huge_pages(mmu_type: int) {"));
    }

    /**
     * `kernel 6.` (the `.` triggers completion) offers the versions replacing what is typed: it
     * offered every keyword; and a hover on the setting says which version answers there.
     */
    @Test
    void aVersionBeingTypedCompletesAndTheSettingHovers() throws Exception {
        String text = "scenario \"s\" {\n  vm {\n    kernel 6.\n  }\n}\n";
        String uri = open("k.mmu", text);
        List<CompletionItem> items = complete(uri, 2, "    kernel 6.".length());
        assertThat(LspSession.labels(items)).containsExactly("5.10", "5.12", "6.12", "6.18", "7.2", "7.3", "latest");
        assertThat(items.get(2).getTextEdit().getLeft().getRange())
                .isEqualTo(new Range(new Position(2, "    kernel ".length()), new Position(2, "    kernel 6.".length())));
        assertThat(items.get(2).getTextEdit().getLeft().getNewText()).isEqualTo("6.12");

        change(uri, 2, text.replace("kernel 6.", "kernel 6.12"));
        assertThat(hover(uri, 2, 6).getContents().getRight().getValue())
                .contains("**kernel** · vm setting", "`latest` (the default, 7.2)", "Here: kernel 6.12 (scenario \"s\" pins it)");
        assertThat(hover(uri, 2, "    kernel 6.1".length()).getContents().getRight().getValue()).contains("Here: kernel 6.12");
    }

    private CompletionItem completionOf(String uri, int line, String label) throws Exception {
        return complete(uri, line, 4).stream().filter(i -> i.getLabel().equals(label)).findFirst().orElseThrow();
    }

    /** A lock's name says which kernel lock it is (a hover on `slots_lock` showed nothing). */
    @Test
    void hoverOnALockNamesTheKernelsLock() throws Exception {
        String text = SCENARIO.replace("  lock write\n", "  lock write slots_lock\n  lock write\n")
                .replace("  unlock\n}", "  unlock\n  unlock slots_lock\n}");
        String uri = open("l.mmu", text);
        String hover = hover(uri, 1, "  lock write slo".length()).getContents().getRight().getValue();
        assertThat(hover).contains("**slots_lock** · lock", "`kvm->slots_lock`, a mutex");
    }

    /**
     * LSP counts a line's characters in UTF-16 units, the front end in code points: a character
     * outside the BMP (an emoji in a scenario's name) before the error on its line moved the
     * squiggle one unit left per such character (the thirtieth session's user trial).
     */
    @Test
    void aDiagnosticRangeCountsUtf16UnitsAfterAnEmoji() throws Exception {
        String text = "scenario \"s\u00e9\uD83D\uDE00\" { vm { mmu tdpp } }\n";
        String uri = open("emoji.mmu", text);

        List<Diagnostic> diagnostics = session.nextDiagnostics(uri).getDiagnostics();
        assertThat(diagnostics).hasSize(1);
        int column = text.indexOf("tdpp"); // String indices are UTF-16 units
        assertThat(diagnostics.get(0).getRange()).isEqualTo(new Range(new Position(0, column),
                new Position(0, column + "tdpp".length())));
    }

    /** `lock read` of a spinlock is the checker's error in the editor too, on the word `read`. */
    @Test
    void aReadLockOfASpinlockIsADiagnosticOnItsMode() throws Exception {
        String text = SCENARIO.replace("  commit_zap()\n", "  lock read tdp_mmu_pages_lock\n  unlock tdp_mmu_pages_lock\n");
        String uri = open("spin.mmu", text);

        List<Diagnostic> diagnostics = session.nextDiagnostics(uri).getDiagnostics();
        assertThat(diagnostics).hasSize(1);
        assertThat(diagnostics.get(0).getMessage().getLeft()).startsWith("tdp_mmu_pages_lock is a spinlock: spin_lock() has no read mode");
        assertThat(diagnostics.get(0).getRange()).isEqualTo(new Range(new Position(2, 7), new Position(2, 11)));
    }

    /**
     * The slot-zap quirk in the editor: completion offers the quirk and then on/off, hover says which
     * kernel path each value runs, and turning it off on a kernel without it is the checker's error
     * on the value.
     */
    @Test
    void theSlotZapAllQuirkCompletesHoversAndIsRefusedOffBeforeV612() throws Exception {
        String text = SCENARIO.replace("  vm { mmu tdp }\n", "  vm {\n    kernel 5.12\n    quirk slot_zap_all off\n  }\n");
        String uri = open("quirk.mmu", text);
        List<Diagnostic> diagnostics = session.nextDiagnostics(uri).getDiagnostics();
        assertThat(diagnostics).singleElement().satisfies(d -> {
            assertThat(d.getMessage().getLeft()).startsWith("KVM_X86_QUIRK_SLOT_ZAP_ALL came in v6.12: kernel 5.12 always zaps");
            assertThat(d.getRange()).isEqualTo(new Range(new Position(9, 23), new Position(9, 26)));
        });

        assertThat(complete(uri, 9, "    quirk ".length())).extracting(CompletionItem::getLabel).containsExactly("slot_zap_all");
        assertThat(complete(uri, 9, "    quirk slot_zap_all ".length())).extracting(CompletionItem::getLabel)
                .containsExactly("on", "off");
        String hover = hover(uri, 9, "    quirk slot_z".length()).getContents().getRight().getValue();
        assertThat(hover).contains("**slot_zap_all** · vm setting", "KVM_X86_QUIRK_SLOT_ZAP_ALL", "kvm_mmu_zap_all_fast",
                "kvm_mmu_zap_memslot");
        assertThat(hover(uri, 9, "    qu".length()).getContents().getRight().getValue()).contains("KVM_CAP_DISABLE_QUIRKS2");

        change(uri, 2, text.replace("    kernel 5.12\n", "    kernel 6.12\n"));
        assertThat(session.nextDiagnostics(uri).getDiagnostics()).isEmpty();
    }

    @Test
    void hoverOnAPlainWordIsEmpty() throws Exception {
        String uri = open("h.mmu", SCENARIO);
        assertThat(hover(uri, 6, 1)).isNull(); // `scenario`
    }

    @Test
    void definitionOfAPathInTheSameFile() throws Exception {
        String uri = open("d.mmu", SCENARIO);
        int line = 10;
        List<? extends Location> locations = definition(uri, line, SCENARIO.lines().toList().get(line).indexOf("zap_all") + 2);
        assertThat(locations).singleElement().satisfies(l -> {
            assertThat(l.getUri()).isEqualTo(uri);
            assertThat(l.getRange()).isEqualTo(new Range(new Position(0, 5), new Position(0, 12)));
        });
    }

    @Test
    void definitionFollowsImports() throws Exception {
        Files.writeString(dir.resolve("lib.mmu"), "# helpers\npath flush_all() {\n  flush_remote_tlbs()\n}\n");
        String text = "import \"lib.mmu\"\nscenario \"s\" {\n  thread t { flush_all }\n}\n";
        String uri = open("main.mmu", text);
        assertThat(session.nextDiagnostics(uri).getDiagnostics()).isEmpty(); // the front end resolved it too

        String lib = dir.resolve("lib.mmu").toUri().toString();
        assertThat(definition(uri, 2, 14)).singleElement().satisfies(l -> {
            assertThat(l.getUri()).isEqualTo(lib);
            assertThat(l.getRange().getStart()).isEqualTo(new Position(1, 5));
        });
        assertThat(definition(uri, 0, 10)).singleElement()
                .satisfies(l -> assertThat(l.getUri()).isEqualTo(lib));
    }

    /**
     * References, highlights and rename as a client asks for them: the capabilities are advertised,
     * a shadowed local is left alone, and a refused rename comes back as an error with its reason.
     */
    @Test
    void referencesHighlightsAndRenameOverTheProtocol() throws Exception {
        InitializeResult init = session.server.initialize(new InitializeParams()).get(20, TimeUnit.SECONDS);
        assertThat(init.getCapabilities().getReferencesProvider().getLeft()).isTrue();
        assertThat(init.getCapabilities().getDocumentHighlightProvider().getLeft()).isTrue();
        assertThat(init.getCapabilities().getRenameProvider().getRight().getPrepareProvider()).isTrue();
        // a shadowed flush, a label, a kernel path, the words in a comment and a string (smoke.js opens it too)
        String text = new String(LanguageServerTest.class.getResourceAsStream("/names.mmu").readAllBytes(),
                java.nio.charset.StandardCharsets.UTF_8);
        String uri = open("names.mmu", text);
        var service = session.server.getTextDocumentService();
        TextDocumentIdentifier doc = new TextDocumentIdentifier(uri);
        List<? extends Location> refs = service.references(new ReferenceParams(doc, new Position(7, 6),
                new ReferenceContext(true))).get(20, TimeUnit.SECONDS);
        assertThat(refs).extracting(l -> l.getRange().getStart().getLine()).containsExactly(1, 2, 7);
        List<? extends DocumentHighlight> highlights = service.documentHighlight(
                new DocumentHighlightParams(doc, new Position(9, 2))).get(20, TimeUnit.SECONDS);
        assertThat(highlights).extracting(h -> h.getRange().getStart().getLine()).containsExactly(7, 9);

        Range prepared = service.prepareRename(new PrepareRenameParams(doc, new Position(2, 6)))
                .get(20, TimeUnit.SECONDS).getFirst();
        assertThat(prepared).isEqualTo(new Range(new Position(2, 5), new Position(2, 10)));
        List<TextEdit> edits = service.rename(new RenameParams(doc, new Position(2, 6), "pending"))
                .get(20, TimeUnit.SECONDS).getChanges().get(uri);
        assertThat(edits).extracting(e -> e.getRange().getStart().getLine()).containsExactly(1, 2, 7);

        assertThatThrownBy(() -> service.rename(new RenameParams(doc, new Position(8, 4), "commit"))
                .get(20, TimeUnit.SECONDS)).hasCauseInstanceOf(ResponseErrorException.class)
                .hasMessageContaining("'commit_zap' is not declared in this file");
        assertThatThrownBy(() -> service.rename(new RenameParams(doc, new Position(2, 6), "n"))
                .get(20, TimeUnit.SECONDS)).hasMessageContaining("'n' is already a variable");
    }

    /**
     * While a line is typed: the requests answer from the lines that still parse (every range holds
     * the name in the text as it is), a name on the broken line gets nothing, a rename is refused with
     * the syntax error; a block left open answers from the last text that parsed. A pasted C
     * declaration's variable resolves, and its diagnostic's code action writes `let`.
     */
    @Test
    void aBrokenFileStillAnswersOverTheProtocol() throws Exception {
        String good = "global g = 0\npath zap(start) {\n  let x = start\n  let y = x + 1\n  g = x + y\n}\n"
                + "scenario \"s\" {\n  memslot 0 { gpa 0x0 size 2M }\n  thread t { zap(1) }\n}\n";
        String uri = open("typing.mmu", good);
        assertThat(session.nextDiagnostics(uri).getDiagnostics()).isEmpty();
        var service = session.server.getTextDocumentService();
        TextDocumentIdentifier doc = new TextDocumentIdentifier(uri);

        change(uri, 2, good.replace("  g = x + y\n", "  let q = (x\n  g = x + y\n")); // line 4 half-typed
        assertThat(session.nextDiagnostics(uri).getDiagnostics()).isNotEmpty();
        List<? extends Location> refs = service.references(new ReferenceParams(doc, new Position(3, 6),
                new ReferenceContext(true))).get(20, TimeUnit.SECONDS);
        assertThat(refs).extracting(l -> l.getRange().getStart()).containsExactly(new Position(3, 6), new Position(5, 10));
        assertThat(definition(uri, 5, 10)).singleElement().satisfies(l -> assertThat(l.getRange().getStart())
                .isEqualTo(new Position(3, 6)));
        assertThat(service.references(new ReferenceParams(doc, new Position(2, 6), new ReferenceContext(true)))
                .get(20, TimeUnit.SECONDS)).as("x: on the line being typed").isEmpty();
        assertThat(LspSession.labels(complete(uri, 4, 12))).contains("x", "y", "start");
        assertThatThrownBy(() -> service.rename(new RenameParams(doc, new Position(3, 6), "z")).get(20, TimeUnit.SECONDS))
                .hasCauseInstanceOf(ResponseErrorException.class).hasMessageContaining("the file does not parse (line ");

        change(uri, 3, good.replace("  g = x + y\n", "  if y > 1 {\n  g = x + y\n")); // no blanking parses this
        session.nextDiagnostics(uri);
        assertThat(definition(uri, 9, 14)).as("zap, a line lower").singleElement()
                .satisfies(l -> assertThat(l.getRange().getStart()).isEqualTo(new Position(1, 5)));
        assertThat(service.documentHighlight(new DocumentHighlightParams(doc, new Position(0, 7)))
                .get(20, TimeUnit.SECONDS)).extracting(h -> h.getRange().getStart())
                .containsExactly(new Position(0, 7), new Position(5, 2));

        String pasted = "path p() {\n  bool flush = false;\n  if flush { flush = true }\n}\n"
                + "scenario \"s\" {\n  memslot 0 { gpa 0x0 size 2M }\n  thread t { p }\n}\n";
        String c = open("pasted.mmu", pasted);
        List<Diagnostic> diagnostics = session.nextDiagnostics(c).getDiagnostics();
        assertThat(definition(c, 2, 6)).singleElement().satisfies(l -> assertThat(l.getRange().getStart())
                .isEqualTo(new Position(1, 7)));
        var actions = service.codeAction(new org.eclipse.lsp4j.CodeActionParams(new TextDocumentIdentifier(c),
                diagnostics.get(0).getRange(), new org.eclipse.lsp4j.CodeActionContext(diagnostics))).get(20, TimeUnit.SECONDS);
        assertThat(actions).singleElement().satisfies(a -> {
            TextEdit e = a.getRight().getEdit().getChanges().get(c).get(0);
            assertThat(e.getNewText()).isEqualTo("let");
            assertThat(e.getRange()).isEqualTo(new Range(new Position(1, 2), new Position(1, 6)));
        });
    }

    /**
     * A path of an imported file renamed from its caller: one WorkspaceEdit edits the library, the
     * caller and a file of the workspace folder importing it (in a subfolder, so not found without the
     * folder); a prelude path is refused.
     */
    @Test
    void aRenameOfAnImportedPathEditsEveryImporterOverTheProtocol() throws Exception {
        InitializeParams init = new InitializeParams();
        init.setWorkspaceFolders(List.of(new org.eclipse.lsp4j.WorkspaceFolder(dir.toUri().toString(), "w")));
        session.server.initialize(init).get(20, TimeUnit.SECONDS);
        Files.writeString(dir.resolve("lib.mmu"), "path flush_all() {\n  kvm_flush_remote_tlbs()\n}\n");
        Files.createDirectories(dir.resolve("sub")); // found through the workspace folder, not beside main.mmu
        Files.writeString(dir.resolve("sub/other.mmu"), "import \"../lib.mmu\"\npath mine() {\n  flush_all()\n}\n");
        String text = "import \"lib.mmu\"\nscenario \"s\" {\n  memslot 0 { gpa 0x0 size 2M }\n"
                + "  thread t { flush_all; kvm_tdp_mmu_zap_invalidated_roots() }\n}\n";
        String uri = open("main.mmu", text);
        TextDocumentIdentifier doc = new TextDocumentIdentifier(uri);
        var service = session.server.getTextDocumentService();
        var changes = service.rename(new RenameParams(doc, new Position(3, 14), "flush_everything"))
                .get(20, TimeUnit.SECONDS).getChanges();
        assertThat(changes).containsOnlyKeys(uri, dir.resolve("lib.mmu").toUri().toString(),
                dir.resolve("sub/other.mmu").toUri().toString());
        assertThat(changes.get(dir.resolve("lib.mmu").toUri().toString())).singleElement()
                .satisfies(e -> assertThat(e.getRange().getStart()).isEqualTo(new Position(0, 5)));
        assertThatThrownBy(() -> service.prepareRename(new PrepareRenameParams(doc, new Position(3, 30)))
                .get(20, TimeUnit.SECONDS)).hasCauseInstanceOf(ResponseErrorException.class)
                .hasMessageContaining("is a kernel path of the prelude").hasMessageContaining("read-only");
    }

    private String open(String name, String text) throws Exception {
        Path file = dir.resolve(name);
        Files.writeString(file, text);
        String uri = file.toUri().toString();
        session.server.getTextDocumentService().didOpen(
                new DidOpenTextDocumentParams(new TextDocumentItem(uri, "mmu", 1, text)));
        return uri;
    }

    private void change(String uri, int version, String text) {
        session.server.getTextDocumentService().didChange(new DidChangeTextDocumentParams(
                new VersionedTextDocumentIdentifier(uri, version), List.of(new TextDocumentContentChangeEvent(text))));
    }

    private List<CompletionItem> complete(String uri, int line, int character) throws Exception {
        return session.server.getTextDocumentService()
                .completion(new CompletionParams(new TextDocumentIdentifier(uri), new Position(line, character)))
                .get(20, TimeUnit.SECONDS).getLeft();
    }

    private Hover hover(String uri, int line, int character) throws Exception {
        return session.server.getTextDocumentService()
                .hover(new HoverParams(new TextDocumentIdentifier(uri), new Position(line, character)))
                .get(20, TimeUnit.SECONDS);
    }

    private List<? extends Location> definition(String uri, int line, int character) throws Exception {
        return session.server.getTextDocumentService()
                .definition(new DefinitionParams(new TextDocumentIdentifier(uri), new Position(line, character)))
                .get(20, TimeUnit.SECONDS).getLeft();
    }
}
