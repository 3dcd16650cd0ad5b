package dev.mmu.interp.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.interp.diag.Severity;
import dev.mmu.interp.run.ScenarioResult.Status;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Scenarios that passed wrongly (issue 11): each must fail, as it does when explored op by op
 * without any reduction; and a reduction asked for but not applied is reported, not silent.
 */
class SoundnessRegressionTest {
    private static final Path DIR = Path.of("src/test/resources/soundness");

    /** A TLB read was merged into a step under mmu_lock, though guest accesses fill TLBs without it. */
    @Test
    void aTlbReadIsNotMergedIntoAStepUnderMmuLock() {
        FileResult r = new ScenarioRunner().runFile(DIR.resolve("merged-tlb-read.mmu"));
        assertThat(r.scenarios()).hasSize(2).allSatisfy(s -> assertThat(s.status()).as(s.name()).isEqualTo(Status.FAIL));
    }

    /** D01: an assert or expectation that names a vCPU keeps that vCPU out of symmetry, and says so. */
    @Test
    void symmetryLeavesOutVcpusThatSomethingNames() {
        for (String f : List.of("symmetry-thread-assert-names-vcpu.mmu", "symmetry-path-assert-names-vcpu.mmu",
                "symmetry-expectation-names-vcpu.mmu")) {
            FileResult r = new ScenarioRunner().runFile(DIR.resolve(f));
            assertThat(r.scenarios()).as(f).singleElement().satisfies(s -> assertThat(s.status()).isEqualTo(Status.FAIL));
            assertThat(r.diagnostics()).as(f).anySatisfy(d -> {
                assertThat(d.severity()).isEqualTo(Severity.WARNING);
                assertThat(d.message()).startsWith("symmetry vcpus leaves out vCPU 2 (thread vcpu 2): named by ");
            });
        }
    }

    @Test
    void symmetryThatCannotApplySaysSo() {
        FileResult r = new ScenarioRunner().runFile(DIR.resolve("symmetry-nothing-to-interchange.mmu"));
        assertThat(r.scenarios()).singleElement().satisfies(s -> assertThat(s.status()).isEqualTo(Status.PASS));
        assertThat(r.diagnostics()).singleElement().satisfies(d -> assertThat(d.message())
                .isEqualTo("symmetry vcpus has nothing to interchange: no two vCPU threads run the same program"));
    }
}
