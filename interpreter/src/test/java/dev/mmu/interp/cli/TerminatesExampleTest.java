package dev.mmu.interp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * examples/invariants/terminates.mmu states its livelock as `expect fails terminates`: the
 * scenario passes with the cycle as its evidence (a lasso), while the scenario with the
 * forward-progress guard holds `expect terminates`.
 */
class TerminatesExampleTest {
    static final Path EXAMPLE = Path.of("../examples/invariants/terminates.mmu");

    @Test
    void unguardedWalksLivelockAndGuardedOnesTerminate() {
        CliRun r = CliRun.of("check", EXAMPLE.toString());

        assertThat(r.code()).as(r.out() + r.err()).isEqualTo(0);
        assertThat(r.out())
                .contains("PASS    " + EXAMPLE + "  \"two unguarded walks restart each other forever\"")
                .contains("PASS    expect fails terminates")
                .contains("evidence, ")
                .contains("cycle starts here")
                .contains("PASS    " + EXAMPLE + "  \"guarded walks and a vCPU write terminate\"");
    }
}
