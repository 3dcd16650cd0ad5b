package dev.mmu.runtime.explore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.explore.ExploreOptions.Strategy;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The parts of a sharded search together give the whole search's verdicts: a finding in any part
 * decides (FAIL of never/final/max/terminates, PASS of reachable), the absence of one needs every
 * part; on random graphs with cycles, under DFS, BFS and preemption bounding, at n = 1..4.
 */
class ShardedSystemTest {

    private static List<Expectation<Integer>> expectations(long seed, int n) {
        List<Expectation<Integer>> all = new ArrayList<>(ParallelSearchTest.expectations(seed, n));
        all.add(new Expectation.Terminates<>("terminates"));
        all.add(new Expectation.NoDeadlock<>("never deadlock"));
        return all;
    }

    /** The merge rule of `mmu merge` for complete parts. */
    private static Verdict merged(Expectation<Integer> e, List<Verdict> parts) {
        boolean existential = e instanceof Expectation.Reachable || e instanceof Expectation.Violation;
        Verdict found = existential ? Verdict.PASS : Verdict.FAIL;
        if (parts.contains(found)) return found;
        return parts.contains(Verdict.UNKNOWN) ? Verdict.UNKNOWN : existential ? Verdict.FAIL : Verdict.PASS;
    }

    @Test
    void thePartsTogetherGiveTheWholeSearchsVerdicts() {
        int failures = 0;
        int passes = 0;
        for (long seed = 1; seed <= 30; seed++) {
            int n = 200 + (int) (seed * 53 % 1500);
            GraphSearchTest.Graph g = ParallelSearchTest.randomGraph(seed, n);
            List<Expectation<Integer>> expectations = expectations(seed, n);
            for (Strategy strategy : List.of(Strategy.DFS, Strategy.BFS, Strategy.PREEMPTION_BOUNDED)) {
                ExploreOptions whole = ExploreOptions.builder().strategy(strategy).build();
                ExploreResult<Integer> reference = Explorer.explore(g, expectations, whole);
                for (int count = 1; count <= 4; count++) {
                    List<List<Verdict>> perExpectation = new ArrayList<>();
                    for (int i = 0; i < expectations.size(); i++) perExpectation.add(new ArrayList<>());
                    for (int index = 1; index <= count; index++) {
                        ExploreOptions part = whole.toBuilder().shard(new Shard(index, count)).build();
                        ExploreResult<Integer> r = Explorer.explore(g, expectations, part);
                        for (int i = 0; i < expectations.size(); i++) {
                            Outcome<Integer> o = r.outcomes().get(i);
                            perExpectation.get(i).add(o.verdict());
                            if (o.hasTrace() && !(o.expectation() instanceof Expectation.Terminates)) {
                                // a part's trace is a real schedule of the whole system
                                assertThat(Explorer.replay(g, o.trace())).isNotEmpty();
                            }
                        }
                    }
                    for (int i = 0; i < expectations.size(); i++) {
                        Verdict expected = reference.outcomes().get(i).verdict();
                        assertThat(merged(expectations.get(i), perExpectation.get(i)))
                                .as("seed %d, %s, %s, %d shards", seed, strategy, expectations.get(i).text(), count)
                                .isEqualTo(expected);
                        if (expected == Verdict.FAIL) failures++;
                        if (expected == Verdict.PASS) passes++;
                    }
                }
            }
        }
        assertThat(failures).as("failing verdicts compared").isGreaterThan(50);
        assertThat(passes).as("passing verdicts compared").isGreaterThan(50);
    }

    /** Where the futures of the cut states do not meet (a tree), the parts share only the layers above the cut. */
    @Test
    void onATreeAPartExploresAbout1OverNOfTheWhole() {
        GraphSearchTest.Graph g = new GraphSearchTest.Graph(2);
        for (int s = 0; 2 * s + 2 < 1 << 14; s++) {
            g.edge(s, 0, 2 * s + 1).edge(s, 1, 2 * s + 2);
        }
        ExploreOptions whole = ExploreOptions.builder().build();
        long all = Explorer.explore(g, List.of(), whole).stats().statesStored();
        long largest = 0;
        for (int index = 1; index <= 4; index++) {
            ExploreOptions part = whole.toBuilder().shard(new Shard(index, 4)).build();
            largest = Math.max(largest, Explorer.explore(g, List.of(), part).stats().statesStored());
        }
        assertThat(largest).isLessThan(all / 3);
    }

    /**
     * Under hash compaction a part stores the fingerprints of its tagged keys: they must keep the
     * inner keys' 64 bits. States 1 and 2 have fingerprints that differ but share their 32-bit
     * hashCode (as one pair in 2^32 does); a fingerprint made from the hashCode merged them, and
     * "never 2" passed.
     */
    @Test
    void aPartsFingerprintsKeepAll64Bits() {
        GraphSearchTest.Graph g = new GraphSearchTest.Graph(2).edge(0, 0, 1).edge(0, 1, 2);
        TransitionSystem<Integer> packed = new ForwardingSystem<>(g) {
            @Override
            public Object key(Integer s) {
                long h = (long) s << 32 | s; // hashCode (int) (h ^ h >>> 32) is 0 for every state
                return new PackedKey(new byte[] {s.byteValue()}, h);
            }
        };
        List<Expectation<Integer>> never2 = List.of(new Expectation.Never<>("never 2", (s, t) -> s == 2));
        for (int count = 1; count <= 2; count++) {
            List<Verdict> parts = new ArrayList<>();
            for (int index = 1; index <= count; index++) {
                ExploreOptions part = ExploreOptions.builder().hashCompaction(true).shard(new Shard(index, count)).build();
                parts.add(Explorer.explore(packed, never2, part).outcomes().get(0).verdict());
            }
            assertThat(parts).as("%d parts", count).contains(Verdict.FAIL);
        }
    }

    @Test
    void randomRunsTakeDistinctSeedsPerPart() {
        GraphSearchTest.Graph g = ParallelSearchTest.randomGraph(7, 2000);
        List<Expectation<Integer>> none = List.of(new Expectation.Never<>("never 1999", (s, t) -> s == 1999));
        List<String> notes = new ArrayList<>();
        for (int index = 1; index <= 3; index++) {
            ExploreOptions part = ExploreOptions.builder().strategy(Strategy.RANDOM).runs(3).seed(40)
                    .shard(new Shard(index, 3)).build();
            notes.add(Explorer.explore(g, none, part).outcomes().get(0).note());
        }
        assertThat(notes.get(0)).contains("seed 40");
        assertThat(notes.get(1)).contains("seed 41");
        assertThat(notes.get(2)).contains("seed 42");
    }

    @Test
    void parsesAndRejects() {
        assertThat(Shard.parse("2/4")).isEqualTo(new Shard(2, 4));
        for (String bad : List.of("0/4", "5/4", "2", "a/b", "-1/2", "2/4/6", "", "99999999999/2")) {
            try {
                Shard.parse(bad);
                throw new AssertionError("accepted " + bad);
            } catch (IllegalArgumentException e) {
                assertThat(e.getMessage()).contains(bad.isEmpty() ? "I/N" : bad.substring(0, Math.min(3, bad.length())));
            }
        }
    }
}
