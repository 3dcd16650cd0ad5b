package dev.mmu.runtime.explore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatNoException;

import dev.mmu.runtime.explore.ExploreOptions.Builder;
import dev.mmu.runtime.explore.ExploreOptions.Strategy;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** Option validation at its boundaries, and the small report records. */
class OptionsAndReportsTest {

    private static void accepts(UnaryOperator<Builder> change) {
        assertThatNoException().isThrownBy(() -> change.apply(ExploreOptions.builder()).build());
    }

    private static void rejects(UnaryOperator<Builder> change) {
        assertThatIllegalArgumentException().isThrownBy(() -> change.apply(ExploreOptions.builder()).build());
    }

    @Test
    void countsAreValidatedAtTheirBoundaries() {
        accepts(b -> b.maxStates(1));
        rejects(b -> b.maxStates(0));
        accepts(b -> b.runs(0));
        rejects(b -> b.runs(-1));
        accepts(b -> b.preemptionBound(0));
        rejects(b -> b.preemptionBound(-1));
        accepts(b -> b.pctDepth(1));
        rejects(b -> b.pctDepth(0));
        accepts(b -> b.maxRunSteps(1));
        rejects(b -> b.maxRunSteps(0));
    }

    @Test
    void timeLimitIsBetweenZeroAndThirtyDays() {
        accepts(b -> b.timeLimit(null));
        accepts(b -> b.timeLimit(Duration.ZERO));
        accepts(b -> b.timeLimit(ExploreOptions.MAX_TIME_LIMIT));
        rejects(b -> b.timeLimit(Duration.ofNanos(-1)));
        rejects(b -> b.timeLimit(ExploreOptions.MAX_TIME_LIMIT.plusNanos(1)));
    }

    @Test
    void memoryFractionIsInZeroExcludedToOne() {
        accepts(b -> b.memoryFraction(1.0));
        accepts(b -> b.memoryFraction(Double.MIN_VALUE));
        rejects(b -> b.memoryFraction(0.0));
        rejects(b -> b.memoryFraction(Math.nextUp(1.0)));
        rejects(b -> b.memoryFraction(Double.NaN));
    }

    @Test
    void toBuilderKeepsEveryOption() {
        CancelSignal cancel = new CancelSignal();
        ProgressListener progress = p -> { };
        ExploreOptions o = ExploreOptions.builder().strategy(Strategy.PCT).maxStates(7).timeLimit(Duration.ofSeconds(3))
                .memoryFraction(0.5).shortestCounterexample(false).preemptionBound(4).runs(9).seed(11).pctDepth(5)
                .maxRunSteps(13).portfolioFallback(true).symmetry(true).hashCompaction(true).cancel(cancel)
                .progress(progress).build();
        assertThat(o.hashCompaction()).isTrue();
        assertThat(o.toBuilder().build()).isEqualTo(o);
        assertThat(ExploreOptions.defaults().hashCompaction()).isFalse();
    }

    @Test
    void coverageSaysWhatWasCovered() {
        assertThat(new Coverage(5, 2, -1, 0, null).describe()).isEqualTo("sampled after 5 states, depth 2");
        assertThat(new Coverage(1000, 12, 0, 1, StopReason.MAX_STATES).describe())
                .isEqualTo("stopped (max-states) after 1000 states, depth 12, preemption bound 0 completed, 1 runs");
        assertThat(new Coverage(3, 1, 2, 40, StopReason.TIME).describe())
                .isEqualTo("stopped (time) after 3 states, depth 1, preemption bound 2 completed, 40 runs");
    }

    @Test
    void outcomeAccessors() {
        Expectation<Integer> e = new Expectation.Terminates<>("terminates");
        Outcome<Integer> lasso = new Outcome<>(e, Verdict.FAIL, Schedule.empty(), "lasso", 0, OptionalLong.empty());
        Outcome<Integer> none = new Outcome<>(e, Verdict.PASS, null, "", -1, OptionalLong.empty());
        assertThat(lasso.text()).isEqualTo("terminates");
        assertThat(lasso.isLasso()).isTrue();
        assertThat(lasso.hasTrace()).isTrue();
        assertThat(none.isLasso()).isFalse();
        assertThat(none.hasTrace()).isFalse();
    }
}
