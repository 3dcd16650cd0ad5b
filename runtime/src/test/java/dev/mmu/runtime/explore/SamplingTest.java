package dev.mmu.runtime.explore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.explore.Expectation.Final;
import dev.mmu.runtime.explore.Expectation.Never;
import dev.mmu.runtime.explore.Expectation.Reachable;
import dev.mmu.runtime.explore.Expectation.Terminates;
import dev.mmu.runtime.explore.ExploreOptions.Strategy;
import dev.mmu.runtime.explore.Toys.Counter;
import dev.mmu.runtime.explore.Toys.Grid;
import dev.mmu.runtime.explore.Toys.Peterson;
import dev.mmu.runtime.explore.Toys.Polite;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Random and PCT runs: they find bugs with a seed, and never claim a universal PASS. */
class SamplingTest {

    private static final Final<Counter.State> X_IS_2 = new Final<>("final x == 2", s -> s.x() == 2);

    private static ExploreOptions.Builder sampled(Strategy strategy) {
        return ExploreOptions.builder().strategy(strategy).runs(200).seed(42);
    }

    @Test
    void randomRunsFindTheLostUpdateAndNameTheSeed() {
        Counter counter = new Counter();
        Outcome<Counter.State> o = Explorer.explore(counter, List.of(X_IS_2), sampled(Strategy.RANDOM).build())
                .outcomes().get(0);
        assertThat(o.verdict()).isEqualTo(Verdict.FAIL);
        assertThat(o.note()).startsWith("found by random run ").endsWith("seed 42");
        List<Counter.State> states = Explorer.replay(counter, o.trace());
        assertThat(states.get(states.size() - 1).x()).isEqualTo(1);
    }

    @Test
    void pctDepthOneNeverPreemptsButDepthTwoDoes() {
        // Depth 1 has no priority change point: the threads run one after the other.
        Grid big = new Grid(60); // too many states for the runs to cover, so no exhaustion shortcut
        Never<Grid.State> interleaved = new Never<>("never 0 and 1 both half-way",
                (s, t) -> s.a() > 0 && s.a() < 60 && s.b() > 0 && s.b() < 60);
        Outcome<Grid.State> depth1 = Explorer.explore(big, List.of(interleaved),
                sampled(Strategy.PCT).pctDepth(1).build()).outcomes().get(0);
        assertThat(depth1.verdict()).isEqualTo(Verdict.UNKNOWN);
        assertThat(depth1.note()).startsWith("no violation in 200 PCT depth 1 runs, seed 42");

        Outcome<Grid.State> depth2 = Explorer.explore(big, List.of(interleaved),
                sampled(Strategy.PCT).pctDepth(2).build()).outcomes().get(0);
        assertThat(depth2.verdict()).isEqualTo(Verdict.FAIL);
        assertThat(depth2.note()).startsWith("found by PCT depth 2 run ");
    }

    @Test
    void samplingNeverClaimsAUniversalPass() {
        Outcome<Peterson.State> o = Explorer.explore(new Peterson(false),
                List.of(new Never<>("never both in cs", (s, t) -> Peterson.bothInCriticalSection(s))),
                sampled(Strategy.RANDOM).maxRunSteps(3).build()).outcomes().get(0);
        assertThat(o.verdict()).isEqualTo(Verdict.UNKNOWN);
        assertThat(o.note()).startsWith("no violation in 200 random runs, seed 42");
    }

    @Test
    void samplingThatCoversTheWholeSpaceGivesRealVerdicts() {
        ExploreResult<Peterson.State> r = Explorer.explore(new Peterson(false),
                List.of(new Never<>("never both in cs", (s, t) -> Peterson.bothInCriticalSection(s))),
                sampled(Strategy.RANDOM).build());
        assertThat(r.outcomes().get(0).verdict()).isEqualTo(Verdict.PASS);
        assertThat(r.outcomes().get(0).note()).startsWith("state space exhausted by 200 random runs");
        assertThat(r.coverage()).isNull();
    }

    @Test
    void aRunThatRevisitsAStateGivesALasso() {
        Polite polite = new Polite();
        Outcome<Polite.State> o = Explorer.explore(polite, List.of(new Terminates<>("terminates")),
                sampled(Strategy.RANDOM).build()).outcomes().get(0);
        assertThat(o.verdict()).isEqualTo(Verdict.FAIL);
        List<Polite.State> states = Explorer.replay(polite, o.trace());
        assertThat(states.get(states.size() - 1)).isEqualTo(states.get(o.cycleStart()));
    }

    @Test
    void sameSeedSameTrace() {
        ExploreOptions options = sampled(Strategy.RANDOM).build();
        Grid big = new Grid(60);
        Reachable<Grid.State> goal = new Reachable<>("a and b at 3", s -> s.a() == 3 && s.b() == 3);
        Outcome<Grid.State> a = Explorer.explore(big, List.of(goal), options).outcomes().get(0);
        Outcome<Grid.State> b = Explorer.explore(big, List.of(goal), options).outcomes().get(0);
        assertThat(a.verdict()).isEqualTo(Verdict.PASS);
        assertThat(b.verdict()).isEqualTo(Verdict.PASS);
        assertThat(b.note()).isEqualTo(a.note());
        assertThat(b.trace().token()).isEqualTo(a.trace().token());
    }

    @Test
    void portfolioFindsWhatTheBudgetCutOff() {
        // Incrementers are threads 0 and 1; the bystander (thread 2) multiplies the states DFS
        // explores before it lets thread 1 read early.
        Counter counter = new Counter(2, 30);
        Never<Counter.State> never = new Never<>("never lost update", (s, t) -> Counter.lostUpdate(s, counter));
        ExploreOptions.Builder small = ExploreOptions.builder().maxStates(50).runs(100).seed(7);

        Outcome<Counter.State> alone = Explorer.explore(counter, List.of(never), small.build()).outcomes().get(0);
        assertThat(alone.verdict()).isEqualTo(Verdict.UNKNOWN);

        Outcome<Counter.State> withPortfolio = Explorer.explore(counter, List.of(never),
                small.portfolioFallback(true).build()).outcomes().get(0);
        assertThat(withPortfolio.verdict()).isEqualTo(Verdict.FAIL);
        assertThat(withPortfolio.note()).startsWith("portfolio after stopped (max-states)").contains("seed 7");
        List<Counter.State> states = Explorer.replay(counter, withPortfolio.trace());
        assertThat(Counter.lostUpdate(states.get(states.size() - 1), counter)).isTrue();
    }
}
