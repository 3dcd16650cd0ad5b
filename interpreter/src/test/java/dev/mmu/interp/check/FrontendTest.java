package dev.mmu.interp.check;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.interp.ast.VmSetting;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FrontendTest {

    private final Frontend frontend = new Frontend();

    @Test
    void loadsThePreFixSeedWithItsMachine() throws URISyntaxException {
        LoadResult result = frontend.load(seed("seed-yield-pre-fix.mmu"));

        assertThat(result.diagnostics()).isEmpty();
        CheckedScenario s = result.scenarios().get(0);
        assertThat(s.name()).isEqualTo("NX recovery yields with a TDP flush pending (pre-fix)");
        assertThat(s.machine()).isEqualTo(new Machine(VmSetting.Flavour.TDP, true, 1, true, 4, 2,
                s.machine().memslots(), VmSetting.PreemptModel.FULL, "6.12", false, true, false));
        assertThat(s.machine().memslots()).singleElement().satisfies(m -> {
            assertThat(m.gpa()).isZero();
            assertThat(m.size()).isEqualTo(4L << 20);
            assertThat(m.backing()).isEqualTo(2L << 20);
        });
        assertThat(s.paths()).containsKey("recover_nx_lpages_pre_fix").containsKey("kvm_recover_nx_huge_pages");
    }

    @Test
    void loadsTheFixedSeed() throws URISyntaxException {
        LoadResult result = frontend.load(seed("seed-yield-fixed.mmu"));

        assertThat(result.diagnostics()).isEmpty();
        assertThat(result.scenarios()).hasSize(1);
    }

    @Test
    void expandsAnOutlineIntoOneScenarioPerRow() {
        LoadResult result = frontend.load("outline.mmu", """
                scenario "ratio" for vcpus in [2, 3], ratio in [1, 4] {
                  vm { nx_recovery_ratio ratio }
                  memslot 0 { gpa 0 size 2M }
                  thread vcpu 1 { read 0x1000 }
                  expect final vm.nx_recovery_ratio == ratio
                }
                """);

        assertThat(result.diagnostics()).isEmpty();
        assertThat(result.scenarios()).extracting(CheckedScenario::name).containsExactly(
                "ratio [vcpus=2, ratio=1]", "ratio [vcpus=2, ratio=4]",
                "ratio [vcpus=3, ratio=1]", "ratio [vcpus=3, ratio=4]");
        assertThat(result.scenarios().get(3).machine().vcpus()).isEqualTo(3);
        assertThat(result.scenarios().get(3).machine().nxRecoveryRatio()).isEqualTo(4);
    }

    @Test
    void importedPathsAreVisibleAndImportedScenariosAreNotRun(@TempDir Path dir) throws IOException {
        Files.createDirectories(dir.resolve("lib"));
        Files.writeString(dir.resolve("lib/nx.mmu"), """
                path flush_all() { kvm_flush_remote_tlbs }
                scenario "library example" { expect never use_after_free }
                """);
        Files.writeString(dir.resolve("main.mmu"), """
                import "lib/nx.mmu"
                scenario "uses the library" {
                  memslot 0 { gpa 0 size 2M }
                  thread t { flush_all }
                  expect never use_after_free
                }
                """);

        LoadResult result = frontend.load(dir.resolve("main.mmu"));

        assertThat(result.diagnostics()).isEmpty();
        assertThat(result.scenarios()).singleElement()
                .satisfies(s -> {
                    assertThat(s.paths()).containsKey("flush_all");
                    // the prelude's kvm_flush_remote_tlbs, which flush_all calls
                    assertThat(s.paths().get("kvm_flush_remote_tlbs").pos().file()).isEqualTo("kernel/kvm_main.mmu");
                });
    }

    @Test
    void reportsAnImportCycleAtTheImportThatClosesIt(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("a.mmu"), "import \"b.mmu\"\n");
        Files.writeString(dir.resolve("b.mmu"), "\nimport \"a.mmu\"\n");

        LoadResult result = frontend.load(dir.resolve("a.mmu"));

        assertThat(result.diagnostics()).singleElement().satisfies(d -> {
            assertThat(d.pos().file()).endsWith("b.mmu");
            assertThat(d.pos().line()).isEqualTo(2);
            assertThat(d.message()).isEqualTo("import cycle: a.mmu -> b.mmu -> a.mmu");
        });
    }

    @Test
    void aPathMayNotTakeTheNameOfABuiltin() {
        LoadResult result = frontend.load("p.mmu", "path prepare_zap(sp: sp) { }\n");

        assertThat(result.diagnostics()).singleElement()
                .satisfies(d -> assertThat(d.message()).startsWith("path 'prepare_zap' has the name of a built-in primitive"
                        + " (Java, which a path cannot replace): copy its caller and change the call there (`mmu show "));
    }

    /** commit_zap is kvm_mmu_commit_zap_page() in one step; the prelude writes that out, so say which to copy. */
    @Test
    void aPrimitiveThePreludeWritesOutNamesThePath() {
        LoadResult result = frontend.load("p.mmu", "path commit_zap() { }\n");

        assertThat(result.diagnostics()).singleElement()
                .satisfies(d -> assertThat(d.message()).isEqualTo("path 'commit_zap' has the name of a built-in primitive"
                        + " (Java, which a path cannot replace): the prelude writes kvm_mmu_commit_zap_page() out as a"
                        + " path; copy `mmu show kvm_mmu_commit_zap_page` and edit it"));
    }

    /**
     * A maintainer who pastes a patched primitive (tdp_mmu_link_sp) is told which prelude path to
     * copy instead; it said only "has the name of a built-in primitive".
     */
    @Test
    void aPrimitivesNameSaysWhichPathCallsIt() {
        LoadResult result = frontend.load("p.mmu", "path tdp_mmu_link_sp(fault: fault) { }\n");

        assertThat(result.diagnostics()).singleElement().satisfies(d -> assertThat(d.message()).isEqualTo(
                "path 'tdp_mmu_link_sp' has the name of a built-in primitive (Java, which a path"
                        + " cannot replace): copy its caller and change the call there (`mmu show kvm_tdp_mmu_map`)"));
    }

    private static Path seed(String name) throws URISyntaxException {
        return Path.of(FrontendTest.class.getResource("/seed/" + name).toURI());
    }
}
