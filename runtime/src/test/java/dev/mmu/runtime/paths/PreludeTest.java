package dev.mmu.runtime.paths;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The kernel prelude's resources: the shared files (7.2's, today's tree) and a version's overriding functions. */
class PreludeTest {
    @Test
    void theSharedFilesAreOnePerKernelSourceFileInDeclarationOrder() {
        List<Prelude.Source> shared = Prelude.shared();
        assertThat(shared).extracting(Prelude.Source::name)
                .containsExactly("kernel/kvm_main.mmu", "kernel/x86.mmu", "kernel/tdp_mmu.mmu", "kernel/mmu.mmu");
        assertThat(shared).allSatisfy(src -> assertThat(src.text()).isNotBlank());
    }

    /**
     * latest, the default, is today's tree (7.2), and the shared files are its text: it overrides
     * nothing, and neither does 6.18, which reads as 7.2 for the model. 6.12 has a folder, and so
     * does 7.3 (v7.3-rc7), the one version newer than latest, over kernel/'s files alone.
     */
    @Test
    void latestIsTodaysTreeAndTheSharedFilesAreItsText() {
        assertThat(Prelude.LATEST).isEqualTo("7.2").isEqualTo(Prelude.VERSIONS.get(Prelude.VERSIONS.size() - 2));
        assertThat(Prelude.VERSIONS).endsWith("7.2", "7.3");
        assertThat(Prelude.base("7.3")).isNull();
        assertThat(Prelude.overrides("7.3")).extracting(Prelude.Source::name).containsExactly("kernel/7.3/tdp_mmu.mmu");
        assertThat(Prelude.versionOf("kernel/7.3/tdp_mmu.mmu")).isEqualTo("7.3");
        assertThat(Prelude.SHARED).isEqualTo(Prelude.LATEST);
        assertThat(Prelude.overrides(Prelude.LATEST)).as("7.2 is kernel/'s text").isEmpty();
        assertThat(Prelude.overrides("6.18")).as("6.18 runs 7.2's text").isEmpty();
        assertThat(Prelude.overrides("6.12")).extracting(Prelude.Source::name)
                .containsExactly("kernel/6.12/kvm_main.mmu", "kernel/6.12/x86.mmu", "kernel/6.12/tdp_mmu.mmu",
                        "kernel/6.12/mmu.mmu");
        assertThat(Prelude.versionOf("kernel/mmu.mmu")).isEqualTo("7.2");
        assertThat(Prelude.versionOf("kernel/6.12/mmu.mmu")).isEqualTo("6.12");
    }

    @Test
    void aVersionFolderOverridesOnlyItsOwnFiles() {
        assertThat(Prelude.overrides("5.10")).extracting(Prelude.Source::name).endsWith("kernel/5.10/mmu.mmu")
                .doesNotContain("kernel/5.12/mmu.mmu");
        assertThat(Prelude.overrides("5.10").get(4).text()).isNotBlank()
                .isNotEqualTo(Prelude.overrides("5.12").get(4).text());
        assertThatThrownBy(() -> Prelude.overrides("4.19")).isInstanceOf(IllegalArgumentException.class);
    }

    /** v6.13 renamed the collapsible zap: each side of a rename names the other. */
    @Test
    void aRenameKnowsBothNames() {
        Prelude.Rename r = Prelude.rename("kvm_mmu_recover_huge_pages").orElseThrow();
        assertThat(Prelude.rename("kvm_mmu_zap_collapsible_sptes")).contains(r);
        assertThat(r.other("kvm_mmu_recover_huge_pages")).isEqualTo("kvm_mmu_zap_collapsible_sptes");
        assertThat(r.other("kvm_mmu_zap_collapsible_sptes")).isEqualTo("kvm_mmu_recover_huge_pages");
        assertThat(Prelude.rename("kvm_tdp_mmu_recover_huge_pages").orElseThrow().older())
                .isEqualTo("kvm_tdp_mmu_zap_collapsible_sptes");
        assertThat(Prelude.rename("kvm_tdp_mmu_map")).isEmpty();
    }

    /**
     * A renamed primitive: each version has one name, 5.10-6.12 the older, 6.18 and 7.2 the newer,
     * and both names are registered with the same step (the older mirrors 6.12's function).
     */
    @Test
    void aRenamedPrimitiveIsOneStepUnderEachVersionsName() {
        assertThat(Prelude.primitiveRenamedIn("7.2", "kvm_mmu_invalidate_begin")).contains("kvm_mmu_invalidate_start");
        assertThat(Prelude.primitiveRenamedIn("6.18", "kvm_tdp_mmu_invalidate_all_roots")).contains("kvm_tdp_mmu_invalidate_roots");
        assertThat(Prelude.primitiveRenamedIn("6.12", "kvm_mmu_invalidate_start")).contains("kvm_mmu_invalidate_begin");
        assertThat(Prelude.primitiveRenamedIn("5.10", "kvm_tdp_mmu_invalidate_roots")).contains("kvm_tdp_mmu_invalidate_all_roots");
        assertThat(Prelude.primitiveRenamedIn("7.2", "kvm_mmu_invalidate_start")).isEmpty();
        assertThat(Prelude.primitiveRenamedIn("6.12", "kvm_mmu_invalidate_begin")).isEmpty();
        assertThat(Prelude.primitiveRenamedIn("7.2", "kvm_mmu_invalidate_end")).isEmpty();
        Prelude.PrimitiveRename r = Prelude.primitiveRename("kvm_mmu_invalidate_begin").orElseThrow();
        assertThat(r.versionsOf("kvm_mmu_invalidate_begin")).isEqualTo("5.10-6.12");
        assertThat(r.versionsOf("kvm_mmu_invalidate_start")).isEqualTo("6.18-7.3");
        assertThat(new Prelude.PrimitiveRename("a", "b", "7.3").versionsOf("b")).isEqualTo("7.3"); // one version
        for (Prelude.PrimitiveRename x : Prelude.PRIMITIVE_RENAMES) {
            Primitive older = Primitives.get(x.older());
            Primitive newer = Primitives.get(x.newer());
            assertThat(older.name()).isEqualTo(x.older());
            assertThat(newer.name()).isEqualTo(x.newer());
            assertThat(older.params()).isEqualTo(newer.params());
            assertThat(older.lockdep()).isEqualTo(newer.lockdep());
            assertThat(older.footprint()).isEqualTo(newer.footprint());
            assertThat(older.kernel()).isEqualTo(x.older());
            assertThat(older.version()).isEqualTo("v6.12");
            assertThat(newer.version()).isEqualTo("v7.2, v7.3");
        }
    }

    /** What each version's kernel did, as the checker and the compiler ask it (docs/kernel-model.md). */
    @Test
    void theVersionsKernelFacts() {
        assertThat(Prelude.VERSIONS).filteredOn(Prelude::teardownFlushes)
                .as("a removed TDP table flushed before it is freed until v5.18").containsExactly("5.10", "5.12");
        assertThat(Prelude.VERSIONS).filteredOn(Prelude::hasSlotZapAllQuirk)
                .as("KVM_X86_QUIRK_SLOT_ZAP_ALL since v6.12").containsExactly("6.12", "6.18", "7.2", "7.3");
        assertThat(Prelude.VERSIONS).filteredOn(Prelude::nxListPerMmu)
                .as("one NX list per MMU since v6.18").containsExactly("6.18", "7.2", "7.3");
        assertThat(Prelude.VERSIONS).filteredOn(Prelude::setsPfnDirtyOnZap)
                .as("kvm_set_pfn_dirty() in handle_changed_spte() until v6.13").containsExactly("5.10", "5.12", "6.12");
        assertThat(Prelude.VERSIONS).filteredOn(Prelude::accessedBitVolatile)
                .as("a clear A bit volatile until v6.15").containsExactly("5.10", "5.12", "6.12");
        assertThat(Prelude.VERSIONS).filteredOn(Prelude::tdpIterRcu)
                .as("the TDP iterator's rcu_dereference() since v5.12").containsExactly("5.12", "6.12", "6.18", "7.2", "7.3");
    }

    /**
     * 5.10 and 5.12 run 6.12's functions but for their own (docs/kernel-model.md, "kernel/ is 7.2's
     * text"): their overrides are 6.12's folder, then theirs, which replaces by name.
     */
    @Test
    void fiveTenAndFiveTwelveAreLaidOverSixTwelve() {
        assertThat(Prelude.VERSIONS).filteredOn(v -> Prelude.base(v) != null).containsExactly("5.10", "5.12");
        assertThat(Prelude.base("5.10")).isEqualTo("6.12");
        assertThat(Prelude.base("5.12")).isEqualTo("6.12");
        assertThat(Prelude.overrides("5.10")).extracting(Prelude.Source::name).containsExactly("kernel/6.12/kvm_main.mmu",
                "kernel/6.12/x86.mmu", "kernel/6.12/tdp_mmu.mmu", "kernel/6.12/mmu.mmu", "kernel/5.10/mmu.mmu");
        assertThat(Prelude.overrides("5.12")).extracting(Prelude.Source::name).containsExactly("kernel/6.12/kvm_main.mmu",
                "kernel/6.12/x86.mmu", "kernel/6.12/tdp_mmu.mmu", "kernel/6.12/mmu.mmu", "kernel/5.12/mmu.mmu");
    }
}
