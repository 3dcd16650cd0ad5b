package dev.mmu.runtime.paths;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The kernel prelude's resources: latest's files and a version's overriding functions. */
class PreludeTest {
    @Test
    void latestHasOneFilePerKernelSourceFileInDeclarationOrder() {
        List<Prelude.Source> latest = Prelude.latest();
        assertThat(latest).extracting(Prelude.Source::name)
                .containsExactly("kernel/kvm_main.mmu", "kernel/x86.mmu", "kernel/tdp_mmu.mmu", "kernel/mmu.mmu");
        assertThat(latest).allSatisfy(src -> assertThat(src.text()).isNotBlank());
    }

    @Test
    void aVersionFolderOverridesOnlyItsOwnFiles() {
        assertThat(Prelude.overrides("5.10")).extracting(Prelude.Source::name).containsExactly("kernel/5.10/mmu.mmu");
        assertThat(Prelude.overrides("5.10").get(0).text()).isNotBlank()
                .isNotEqualTo(Prelude.overrides("6.18").get(0).text());
        assertThat(Prelude.overrides(Prelude.LATEST)).as("latest overrides nothing").isEmpty();
        assertThatThrownBy(() -> Prelude.overrides("4.19")).isInstanceOf(IllegalArgumentException.class);
    }
}
