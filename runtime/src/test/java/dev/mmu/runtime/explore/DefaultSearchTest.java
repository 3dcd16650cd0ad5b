package dev.mmu.runtime.explore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.explore.Expectation.Never;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The default search (DFS) on a space larger than {@link Explorer#DFS_FIRST}: a BFS probe finds a
 * shallow bug that the DFS would reach only after the whole deep branch, with its shortest trace;
 * a space that the probe covers gets the DFS's verdict and the full count; a bug deeper than the
 * probe is still found by the DFS after it. A shallow failure is found by the quick probe before
 * any DFS; evidence (a PASS) keeps the DFS's trace.
 */
class DefaultSearchTest {

    /**
     * States are ints: from 0, thread 0 walks a chain 1, 2, .., length (first in successor order,
     * so DFS goes down it first), thread 1 steps once to -1, then to -2 and so on down to -depth.
     */
    private record DeepAndShallow(int length, int depth) implements TransitionSystem<Integer> {
        @Override public Integer initial() { return 0; }
        @Override public void successors(Integer s, List<Transition<Integer>> out) {
            if (s >= 0 && s < length) out.add(new Transition<>(0, 0, s + 1));
            if (s == 0 || (s < 0 && s > -depth)) out.add(new Transition<>(1, 0, s - 1));
        }
        @Override public boolean finished(Integer s) { return true; }
        @Override public int threadCount() { return 2; }
        @Override public String threadName(int thread) { return "t" + thread; }
    }

    private static final Never<Integer> BOTTOM = new Never<>("never at -3", (s, terminal) -> s == -3);

    @Test
    void theProbeFindsAShallowBugBeforeTheDeepBranch() {
        DeepAndShallow system = new DeepAndShallow(2_000_000, 3);
        ExploreResult<Integer> r = Explorer.explore(system, List.of(BOTTOM), ExploreOptions.defaults());
        Outcome<Integer> o = r.outcomes().get(0);
        assertThat(o.verdict()).isEqualTo(Verdict.FAIL);
        assertThat(o.note()).isEqualTo("shortest (BFS)");
        assertThat(o.trace().token()).isEqualTo("1.1.1");
        // The probe's figures: BFS judged the bug as it generated it and stopped at its level,
        // far short of the chain (it stopped one level past it when states were judged on expansion).
        assertThat(r.stats().statesStored()).isLessThan(20);
        assertThat(r.stats().maxDepth()).isEqualTo(3);
    }

    /** States a*1000+b: thread 0 counts a up to 100, thread 1 counts b up to 100 (10,201 states). */
    private record Grid() implements TransitionSystem<Integer> {
        @Override public Integer initial() { return 0; }
        @Override public void successors(Integer s, List<Transition<Integer>> out) {
            if (s / 1000 < 100) out.add(new Transition<>(0, 0, s + 1000));
            if (s % 1000 < 100) out.add(new Transition<>(1, 0, s + 1));
        }
        @Override public boolean finished(Integer s) { return true; }
        @Override public int threadCount() { return 2; }
        @Override public String threadName(int thread) { return "t" + thread; }
    }

    @Test
    void aShallowFailureIsDecidedByTheQuickProbeAlone() {
        Never<Integer> b1 = new Never<>("never b = 1", (s, terminal) -> s % 1000 == 1);
        ExploreResult<Integer> r = Explorer.explore(new Grid(), List.of(b1), ExploreOptions.defaults());
        Outcome<Integer> o = r.outcomes().get(0);
        assertThat(o.verdict()).isEqualTo(Verdict.FAIL);
        assertThat(o.note()).isEqualTo("shortest (BFS)");
        assertThat(o.trace().token()).isEqualTo("1");
        // The probe's figures (two BFS levels); the DFS, down a = 100 first, stored 102 states before it.
        assertThat(r.stats().statesStored()).isLessThan(10);
    }

    @Test
    void evidenceKeepsTheDfsTrace() {
        Expectation.Violation<Integer> b1 =
                new Expectation.Violation<>("violation b = 1", (s, terminal) -> s % 1000 == 1);
        ExploreResult<Integer> r = Explorer.explore(new Grid(), List.of(b1), ExploreOptions.defaults());
        Outcome<Integer> o = r.outcomes().get(0);
        assertThat(o.verdict()).isEqualTo(Verdict.PASS);
        assertThat(o.note()).isEqualTo("found by DFS");
        assertThat(o.trace().length()).isEqualTo(101);
        assertThat(r.stats().statesStored()).isEqualTo(102);
    }

    @Test
    void aSpaceTheProbeCoversHasTheDfsVerdictAndCount() {
        DeepAndShallow system = new DeepAndShallow(100_000, 2);
        ExploreResult<Integer> r = Explorer.explore(system, List.of(BOTTOM), ExploreOptions.defaults());
        assertThat(r.outcomes().get(0).verdict()).isEqualTo(Verdict.PASS);
        assertThat(r.coverage()).isNull();
        assertThat(r.stats().statesStored()).isEqualTo(100_003);
        assertThat(r.stats().transitions()).isEqualTo(100_002);
    }

    @Test
    void aBugBeyondTheProbeIsFoundByTheDfsAndShortened() {
        int deep = (int) Explorer.BFS_PROBE + 10;
        DeepAndShallow system = new DeepAndShallow(deep, 0);
        Never<Integer> end = new Never<>("never at the end", (s, terminal) -> s == deep);
        ExploreResult<Integer> r = Explorer.explore(system, List.of(end), ExploreOptions.defaults());
        Outcome<Integer> o = r.outcomes().get(0);
        assertThat(o.verdict()).isEqualTo(Verdict.FAIL);
        assertThat(o.note()).isEqualTo("shortest (BFS)");
        assertThat(o.trace().length()).isEqualTo(deep);
        assertThat(r.stats().maxDepth()).isEqualTo(deep);
    }
}
