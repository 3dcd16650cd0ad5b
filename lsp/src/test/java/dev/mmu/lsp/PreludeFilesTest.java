package dev.mmu.lsp;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.eclipse.lsp4j.Location;
import org.junit.jupiter.api.Test;

class PreludeFilesTest {
    /** The document the features answer for: a user file, not a prelude copy. */
    private static final String FILE = "file:///tmp/t.mmu";

    private static final String TEXT = """
            scenario "s" {
              memslot 0 { gpa 0x0 size 2M }
              thread t { kvm_recover_nx_huge_pages(KVM_TDP_MMU) }
            }
            """;

    /** latest (7.2) is kernel/'s text: the definition is in kernel/mmu.mmu. */
    @Test
    void goToDefinitionOfAKernelPathOpensItsPreludeFile() throws Exception {
        var found = Definitions.at("file:///tmp/s.mmu", TEXT, 2, 16, p -> Optional.empty());
        assertThat(found).singleElement().satisfies(l -> {
            Path file = Path.of(URI.create(l.getUri()));
            assertThat(file.toString()).endsWith("kernel/mmu.mmu");
            String line = Files.readAllLines(file).get(l.getRange().getStart().getLine());
            assertThat(line).startsWith("path kvm_recover_nx_huge_pages(");
            assertThat(line.substring(l.getRange().getStart().getCharacter())).startsWith("kvm_recover_nx_huge_pages");
        });
    }

    @Test
    void hoverOnAKernelPathShowsItsPreludeComment() {
        String md = Hovers.at(FILE, TEXT, 2, 16).orElseThrow().getContents().getRight().getValue();
        assertThat(md).contains("kvm_recover_nx_huge_pages(kvm, mmu_type) (v7.2")
                .contains("kvm_recover_nx_huge_pages(mmu_type: int)\n```")
                .contains("Prelude `kernel/mmu.mmu` (kernel 7.2; scenario \"s\" pins no kernel,"
                        + " so latest): `mmu show kvm_recover_nx_huge_pages` prints it");
    }

    /** The same file pinning 6.12: the checker runs 6.12's recovery, which takes no mmu_type. */
    private static final String PINNED = TEXT.replace("  memslot 0", "  vm { kernel 6.12 }\n  memslot 0")
            .replace("kvm_recover_nx_huge_pages(KVM_TDP_MMU)", "kvm_recover_nx_huge_pages");

    @Test
    void hoverInAFilePinningAVersionShowsThatVersionsPath() {
        String md = Hovers.at(FILE, PINNED, 3, 16).orElseThrow().getContents().getRight().getValue();
        assertThat(md).contains("kvm_recover_nx_huge_pages()\n```", "kvm_recover_nx_huge_pages() (v6.12;",
                "(kernel 6.12; scenario \"s\" pins it): `mmu show kvm_recover_nx_huge_pages --kernel 6.12` prints it")
                .doesNotContain("mmu_type", "6.18", "\npath "); // the comment block, not the path's text
    }

    @Test
    void goToDefinitionInAFilePinningAVersionOpensThatVersionsText() throws Exception {
        var found = Definitions.at("file:///tmp/s.mmu", PINNED, 3, 16, p -> Optional.empty());
        assertThat(found).singleElement().satisfies(l -> {
            Path file = Path.of(URI.create(l.getUri()));
            assertThat(file.toString()).doesNotContain("6.18");
            assertThat(Files.readAllLines(file).get(l.getRange().getStart().getLine()))
                    .isEqualTo("path kvm_recover_nx_huge_pages() {");
            assertThat(l.getRange().getEnd().getCharacter() - l.getRange().getStart().getCharacter())
                    .isEqualTo("kvm_recover_nx_huge_pages".length());
        });
        assertThat(Definitions.at("file:///tmp/s.mmu", PINNED, 3, 9, p -> Optional.empty())).isEmpty(); // thread t
    }

    /**
     * kernel 7.3 (v7.3-rc7) has a folder of its own over kernel/'s files: the fault's target level is
     * 7.3's text (spte_permission_fault()), the rest 7.2's, and the hover says which.
     */
    @Test
    void sevenThreeOpensItsOwnTextWhereItDiffersAndSevenTwosElsewhere() throws Exception {
        PinnedKernel k = new PinnedKernel("7.3", "scenario \"s\" pins it");
        Location own = PreludeFiles.definition(k, "tdp_mmu_map_handle_target_level").orElseThrow();
        Path file = Path.of(URI.create(own.getUri()));
        assertThat(file.toString()).endsWith("kernel/7.3/tdp_mmu.mmu".replace('/', java.io.File.separatorChar));
        assertThat(Files.readString(file)).contains("!spte_permission_fault(iter.old_spte, fault)")
                .doesNotContain("is_access_allowed(fault, iter.old_spte) &&");
        Location shared = PreludeFiles.definition(k, "kvm_tdp_mmu_map").orElseThrow();
        assertThat(Path.of(URI.create(shared.getUri())).toString()).contains("mmu-prelude-7.3-")
                .endsWith("kernel/tdp_mmu.mmu".replace('/', java.io.File.separatorChar));
        assertThat(PreludeFiles.doc(k, "tdp_mmu_map_handle_target_level").orElseThrow())
                .contains("(v7.3-rc7, tdp_mmu.c:1121)", "Prelude `kernel/7.3/tdp_mmu.mmu` (kernel 7.3; scenario \"s\" pins it)",
                        "`mmu show tdp_mmu_map_handle_target_level --kernel 7.3` prints it");
        assertThat(PreludeFiles.doc(k, "kvm_tdp_mmu_map").orElseThrow())
                .contains("Prelude `kernel/tdp_mmu.mmu` (kernel 7.3, which runs 7.2's text;");
    }

    /** A path's parameters as its version declares them, with its result; none for another name. */
    @Test
    void parametersAreTheVersionsDeclaration() {
        assertThat(PreludeFiles.parameters("7.2", "tdp_mmu_zap_leafs"))
                .hasValue("(root: root, start: int, end: int, can_yield: bool, flush: bool) -> bool");
        assertThat(PreludeFiles.parameters("7.2", "kvm_recover_nx_lpages")).hasValue("(mmu_type: int)");
        assertThat(PreludeFiles.parameters("6.12", "kvm_recover_nx_lpages")).hasValue("()");
        assertThat(PreludeFiles.parameters("7.2", "use_after_free")).isEmpty();
    }

    /**
     * Every copy goes in one folder of the server's in $TMPDIR, whatever the version, and the
     * server's shutdown removes it (the copies stayed in $TMPDIR for good); the next
     * go-to-definition makes a new one.
     */
    @Test
    void theCopiesShareTheServersFolderWhichGoesAtShutdown() throws Exception {
        Path old = Path.of(URI.create(PreludeFiles.definition(new PinnedKernel("6.12", "test"), "kvm_recover_nx_huge_pages")
                .orElseThrow().getUri()));
        Path latest = Path.of(URI.create(PreludeFiles.definition(new PinnedKernel("7.2", "test"), "kvm_recover_nx_huge_pages")
                .orElseThrow().getUri()));
        Path root = PreludeFiles.root();
        assertThat(root.getParent()).isEqualTo(Path.of(System.getProperty("java.io.tmpdir")));
        assertThat(root.getFileName().toString()).startsWith("mmu-lsp-");
        assertThat(old).startsWith(root).exists();
        assertThat(latest).startsWith(root).exists();
        try (LspSession session = new LspSession()) {
            session.server.initialize(new org.eclipse.lsp4j.InitializeParams()).get(20, java.util.concurrent.TimeUnit.SECONDS);
            session.server.shutdown().get(20, java.util.concurrent.TimeUnit.SECONDS);
        }
        assertThat(old).doesNotExist();
        assertThat(root).doesNotExist();
        Path again = Path.of(URI.create(PreludeFiles.definition(new PinnedKernel("6.12", "test"), "kvm_recover_nx_huge_pages")
                .orElseThrow().getUri()));
        assertThat(again).exists().startsWith(PreludeFiles.root());
        assertThat(PreludeFiles.root()).isNotEqualTo(root);
    }

    /**
     * The copy go-to-definition opened answers for its version: a hover on a path there is that
     * version's prelude path (it said "Declared in this file: it replaces the kernel path of the
     * prelude"), and its calls complete with that version's parameters, not latest's.
     */
    @Test
    void aPreludeFileOpenedByDefinitionAnswersForItsVersion() throws Exception {
        var l = Definitions.at("file:///tmp/s.mmu", PINNED, 3, 16, p -> Optional.empty()).get(0);
        assertThat(l.getUri()).contains("/mmu-prelude-6.12-");
        String copy = Files.readString(Path.of(URI.create(l.getUri())));
        int line = l.getRange().getStart().getLine();
        String md = Hovers.at(l.getUri(), copy, line, l.getRange().getStart().getCharacter() + 2).orElseThrow()
                .getContents().getRight().getValue();
        assertThat(md).contains("kvm_recover_nx_huge_pages()\n```", "(kernel 6.12; this file is kernel 6.12's prelude)")
                .doesNotContain("Declared in this file");
        var items = Completions.at(l.getUri(), copy.replace(copy.lines().toList().get(line + 1),
                copy.lines().toList().get(line + 1) + "\n  "), line + 2, 2);
        assertThat(items).filteredOn(i -> i.getLabel().equals("kvm_recover_nx_huge_pages") && i.getLabelDetails() != null)
                .singleElement()
                .satisfies(i -> assertThat(i.getLabelDetails().getDetail()).isEqualTo("()"));
    }

    /**
     * Two scenarios of two kernels: each answers with its own version; a path at top level with
     * latest, as the front end checks it when the scenarios disagree, and the hover says so.
     */
    private static final String TWO = """
            scenario "old" {
              vm { kernel 5.10 }
              memslot 0 { gpa 0x0 size 2M }
              thread t { kvm_recover_nx_lpages }
            }
            path mine() {
              kvm_recover_nx_huge_pages(KVM_TDP_MMU)
            }
            scenario "new" {
              vm {
                kernel 6.12
                kernel latest
              }
              memslot 0 { gpa 0x0 size 2M }
              thread t { kvm_recover_nx_huge_pages(KVM_SHADOW_MMU) }
            }
            """;

    @Test
    void eachScenarioAnswersWithItsKernelAndTheTopLevelWithLatest() throws Exception {
        assertThat(Hovers.at(FILE, TWO, 3, 16).orElseThrow().getContents().getRight().getValue())
                .contains("kvm_recover_nx_lpages() (v5.10", "(kernel 5.10; scenario \"old\" pins it)", "--kernel 5.10")
                .doesNotContain("mmu_type");
        assertThat(Hovers.at(FILE, TWO, 6, 4).orElseThrow().getContents().getRight().getValue())
                .contains("kvm_recover_nx_huge_pages(mmu_type: int)", "(kernel 7.2",
                        "; the file's scenarios run 5.10 and 7.2, so its paths are checked against latest)");
        assertThat(Hovers.at(FILE, TWO, 14, 16).orElseThrow().getContents().getRight().getValue())
                .contains("kvm_recover_nx_huge_pages(mmu_type: int)", "scenario \"new\" pins latest");

        var old = Definitions.at("file:///tmp/two.mmu", TWO, 3, 16, p -> Optional.empty());
        assertThat(old).singleElement().satisfies(l -> {
            Path file = Path.of(URI.create(l.getUri()));
            assertThat(file.toString()).endsWith("kernel/5.10/mmu.mmu");
            assertThat(Files.readAllLines(file).get(l.getRange().getStart().getLine())).isEqualTo("path kvm_recover_nx_huge_pages() {");
        });
        var latest = Definitions.at("file:///tmp/two.mmu", TWO, 14, 16, p -> Optional.empty());
        assertThat(latest).singleElement().satisfies(l -> assertThat(
                Files.readAllLines(Path.of(URI.create(l.getUri()))).get(l.getRange().getStart().getLine()))
                .isEqualTo("path kvm_recover_nx_huge_pages(mmu_type: int) {"));
    }

    /** A path at top level of a file whose scenarios all run 6.12 is checked against 6.12: so it answers. */
    @Test
    void aTopLevelPathAnswersWithTheVersionEveryScenarioRuns() {
        String text = "path mine() {\n  kvm_recover_nx_huge_pages\n}\n" + PINNED + PINNED.replace("\"s\"", "\"t\"");
        assertThat(Hovers.at(FILE, text, 1, 4).orElseThrow().getContents().getRight().getValue())
                .contains("kvm_recover_nx_huge_pages()\n```",
                        "(kernel 6.12; every scenario of the file runs it, so its paths are checked against it)");
    }

    /** A patch copy: the file's path replaces the kernel path under each of its names. */
    private static final String PATCH = """
            path kvm_recover_nx_huge_pages() {
              lock write
              unlock
            }
            scenario "s" {
              memslot 0 { gpa 0x0 size 2M }
              thread t { kvm_recover_nx_lpages }
            }
            """;

    @Test
    void goToDefinitionOfAReplacedKernelPathStaysInTheFileUnderAnAlias() {
        var found = Definitions.at("file:///tmp/patch.mmu", PATCH, 6, 16, p -> Optional.empty());
        assertThat(found).singleElement().satisfies(l -> {
            assertThat(l.getUri()).isEqualTo("file:///tmp/patch.mmu");
            assertThat(l.getRange().getStart().getLine()).isZero();
        });
    }

    @Test
    void hoverOnAReplacedKernelPathSaysTheFilesPathRuns() {
        String md = Hovers.at(FILE, PATCH, 6, 16).orElseThrow().getContents().getRight().getValue();
        assertThat(md).contains("**kvm_recover_nx_lpages** · path", "line 1", "replaces the kernel path")
                .doesNotContain("Prelude `kernel/");
    }
}
