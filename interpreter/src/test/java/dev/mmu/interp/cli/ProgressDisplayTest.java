package dev.mmu.interp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.explore.Progress;
import org.junit.jupiter.api.Test;

class ProgressDisplayTest {
    @Test
    void readsLikeTlcWithoutAPercentage() {
        String line = ProgressDisplay.line("seed", new Progress("DFS", 1_234_567, 4_000_000, 42, 40, 61_000));
        assertThat(line).isEqualTo("seed: DFS 1,234,567 distinct states, 4,000,000 transitions, depth 42, stack 40, "
                + "20,238 states/s, 1:01").doesNotContain("%");
        assertThat(ProgressDisplay.line("seed", new Progress("BFS", 10, 12, 3, 7, 0))).contains("queue 7")
                .contains(" 0 states/s");
    }
}
