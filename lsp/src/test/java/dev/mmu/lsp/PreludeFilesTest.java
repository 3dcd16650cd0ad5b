package dev.mmu.lsp;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PreludeFilesTest {
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
        String md = Hovers.at(TEXT, 2, 16).orElseThrow().getContents().getRight().getValue();
        assertThat(md).contains("kvm_recover_nx_huge_pages(kvm, mmu_type) (v7.2")
                .contains("Prelude `kernel/mmu.mmu` (kernel 7.2)").doesNotContain("which runs");
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
        String md = Hovers.at(PATCH, 6, 16).orElseThrow().getContents().getRight().getValue();
        assertThat(md).contains("**kvm_recover_nx_lpages** · path", "line 1", "replaces the kernel path")
                .doesNotContain("Prelude `kernel/");
    }
}
