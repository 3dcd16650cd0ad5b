package dev.mmu.runtime.explore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mmu.runtime.explore.Expectation.Final;
import dev.mmu.runtime.explore.Toys.Counter;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReplayTest {

    private final Counter counter = new Counter();

    @Test
    void replayVisitsEveryStateInitialFirst() {
        List<Counter.State> states = Explorer.replay(counter, Schedule.parse("0.1.0.1"));
        assertThat(states).hasSize(5);
        assertThat(states.get(0)).isEqualTo(counter.initial());
        assertThat(states.get(4).x()).isEqualTo(1);
        assertThat(Explorer.replay(counter, Schedule.parse("0.0.1.1")).get(4).x()).isEqualTo(2);
    }

    @Test
    void replayingAReportedTokenReproducesTheFailure() {
        Outcome<Counter.State> o = Explorer.explore(counter, List.of(new Final<>("final x == 2", s -> s.x() == 2)),
                ExploreOptions.defaults()).outcomes().get(0);
        // The user copies the token from the report; parse it back and replay.
        List<Counter.State> states = Explorer.replay(counter, Schedule.parse(o.trace().token()));
        Counter.State last = states.get(states.size() - 1);
        List<Transition<Counter.State>> next = new java.util.ArrayList<>();
        counter.successors(last, next);
        assertThat(next).isEmpty();
        assertThat(last.x()).isNotEqualTo(2);
    }

    @Test
    void aStepThatIsNotEnabledIsRejectedByNumber() {
        // Thread 0 has two steps (read, write); a third is not enabled.
        assertThatThrownBy(() -> Explorer.replay(counter, Schedule.parse("0.0.0")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("step 3 (0)")
                .hasMessageContaining("enabled: 1");
        assertThatThrownBy(() -> Explorer.replay(counter, Schedule.parse("0:1")))
                .hasMessageContaining("step 1 (0:1)");
        assertThatThrownBy(() -> Explorer.replay(counter, Schedule.parse("0.0.1.1.1")))
                .hasMessageContaining("step 5 (1)")
                .hasMessageContaining("none (terminal state)");
    }

    @Test
    void unknownThreadIsRejected() {
        assertThatThrownBy(() -> Explorer.replay(counter, Schedule.parse("7")))
                .hasMessageContaining("step 1 (7)");
    }
}
