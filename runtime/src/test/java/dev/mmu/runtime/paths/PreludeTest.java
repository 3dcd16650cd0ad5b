package dev.mmu.runtime.paths;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The kernel prelude's resources: the shared files (6.12's) and a version's overriding functions. */
class PreludeTest {
    @Test
    void theSharedFilesAreOnePerKernelSourceFileInDeclarationOrder() {
        List<Prelude.Source> shared = Prelude.shared();
        assertThat(shared).extracting(Prelude.Source::name)
                .containsExactly("kernel/kvm_main.mmu", "kernel/x86.mmu", "kernel/tdp_mmu.mmu", "kernel/mmu.mmu");
        assertThat(shared).allSatisfy(src -> assertThat(src.text()).isNotBlank());
    }

    /**
     * latest, the default, is today's tree (7.2), which runs 6.18's folder over the shared files;
     * the shared files are 6.12's, which overrides nothing.
     */
    @Test
    void latestIsTodaysTreeAndTheSharedFilesAreSixTwelves() {
        assertThat(Prelude.LATEST).isEqualTo("7.2").isEqualTo(Prelude.VERSIONS.get(Prelude.VERSIONS.size() - 1));
        assertThat(Prelude.overrides(Prelude.LATEST)).as("latest runs 6.18's folder").isNotEmpty();
        assertThat(Prelude.overrides(Prelude.SHARED)).as("6.12 overrides nothing").isEmpty();
        assertThat(Prelude.versionOf("kernel/mmu.mmu")).isEqualTo("6.12");
        assertThat(Prelude.versionOf("kernel/6.18/mmu.mmu")).isEqualTo("6.18");
    }

    @Test
    void aVersionFolderOverridesOnlyItsOwnFiles() {
        assertThat(Prelude.overrides("5.10")).extracting(Prelude.Source::name).containsExactly("kernel/5.10/mmu.mmu");
        assertThat(Prelude.overrides("5.10").get(0).text()).isNotBlank()
                .isNotEqualTo(Prelude.overrides("6.18").get(0).text());
        assertThatThrownBy(() -> Prelude.overrides("4.19")).isInstanceOf(IllegalArgumentException.class);
    }

    /** What each version's kernel did, as the checker and the compiler ask it (docs/kernel-model.md). */
    @Test
    void theVersionsKernelFacts() {
        assertThat(Prelude.VERSIONS).filteredOn(Prelude::teardownFlushes)
                .as("a removed TDP table flushed before it is freed until v5.18").containsExactly("5.10", "5.12");
        assertThat(Prelude.VERSIONS).filteredOn(Prelude::hasSlotZapAllQuirk)
                .as("KVM_X86_QUIRK_SLOT_ZAP_ALL since v6.12").containsExactly("6.12", "6.18", "7.2");
        assertThat(Prelude.VERSIONS).filteredOn(Prelude::nxListPerMmu)
                .as("one NX list per MMU since v6.18").containsExactly("6.18", "7.2");
        assertThat(Prelude.VERSIONS).filteredOn(Prelude::spuriousIfAccessAllowed)
                .as("RET_PF_SPURIOUS before make_spte() since v6.13").containsExactly("6.18", "7.2");
        assertThat(Prelude.VERSIONS).filteredOn(Prelude::setsPfnDirtyOnZap)
                .as("kvm_set_pfn_dirty() in handle_changed_spte() until v6.13").containsExactly("5.10", "5.12", "6.12");
        assertThat(Prelude.VERSIONS).filteredOn(Prelude::accessedBitVolatile)
                .as("a clear A bit volatile until v6.15").containsExactly("5.10", "5.12", "6.12");
    }

    /** 7.2 runs 6.18's folder (docs/kernel-model.md, "Kernel 7.2 audit"): its overrides are 6.18's. */
    @Test
    void sevenTwoIsLaidOverSixEighteen() {
        assertThat(Prelude.base("7.2")).isEqualTo("6.18");
        assertThat(Prelude.VERSIONS).filteredOn(v -> Prelude.base(v) != null).containsExactly("7.2");
        assertThat(Prelude.overrides("7.2")).extracting(Prelude.Source::name)
                .containsExactly("kernel/6.18/kvm_main.mmu", "kernel/6.18/tdp_mmu.mmu", "kernel/6.18/mmu.mmu");
        assertThat(Prelude.overrides("6.18")).extracting(Prelude.Source::name)
                .containsExactly("kernel/6.18/kvm_main.mmu", "kernel/6.18/tdp_mmu.mmu", "kernel/6.18/mmu.mmu");
    }
}
