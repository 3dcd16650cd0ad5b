package dev.mmu.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.interp.compile.CompiledScenario;
import dev.mmu.interp.gen.ScenarioGenerator;
import dev.mmu.interp.run.Loaded;
import dev.mmu.interp.run.ScenarioLoader;
import dev.mmu.interp.run.ScenarioRunner;
import dev.mmu.runtime.explore.Expectation;
import dev.mmu.runtime.explore.ExploreOptions;
import dev.mmu.runtime.explore.ExploreResult;
import dev.mmu.runtime.explore.Explorer;
import dev.mmu.runtime.explore.Outcome;
import dev.mmu.runtime.explore.Transition;
import dev.mmu.runtime.explore.TransitionSystem;
import dev.mmu.runtime.explore.Verdict;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.MmuSystem;
import dev.mmu.runtime.paths.Program;
import dev.mmu.runtime.paths.VcpuSymmetry;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * The soundness suite (issue 11): on every example, every bench scenario and generated scenarios
 * ({@link ScenarioGenerator}, fixed seeds), each reduction gives the verdicts of the plain search
 * (every op a step, exact states as keys, every stat kept), under DFS, BFS, a preemption bound high enough to be
 * exhaustive, and the scenario's own options; the exhaustive strategies agree with each other;
 * and every trace replays, on the system that found it and with every stat kept, to a state that
 * shows what the outcome claims. The reductions:
 * <ul>
 *   <li>step merging (the plain search runs every op as a step of its own): same verdicts,
 *       never more states;</li>
 *   <li>packed keys (MmuSystem.key = VmState.encode()): same verdicts, traces, notes and counts
 *       as keying on the state objects (DFS and own options), and encode-equality is exactly
 *       equals() on every reachable state;</li>
 *   <li>dead locals left out of the key ({@code LiveLocals}; the reference keeps every local):
 *       same verdicts, never more states;</li>
 *   <li>unread stats merged ({@code Program.withAllStatsRead()} is the reference): same verdicts,
 *       never more states;</li>
 *   <li>hash compaction (DFS and own options): same verdicts, traces and counts (64-bit fingerprints: no collision is
 *       expected at these sizes), and every verdict resting on having seen every state says it is
 *       probabilistic;</li>
 *   <li>vCPU symmetry (DFS, BFS and preemption bounding): same verdicts, and on every reachable
 *       state the canonical form is a symmetry of the model (same successors up to canonical form,
 *       each thread's steps those of the thread {@code canonicalThreads} names, same conditions);</li>
 *   <li>symmetry, partial-order reduction and hash compaction together (DFS, and symmetry with
 *       partial-order reduction against symmetry alone: never more states; symmetry alone under
 *       BFS);</li>
 *   <li>partial-order reduction (on by default: every DFS run above but the plain reference and
 *       packed keys uses it): same verdicts, traces that replay, never more states than the
 *       same search without it.</li>
 * </ul>
 *
 * <p>A generated scenario whose plain search passes {@code MAX_STATES} has its verdicts alone
 * compared ({@link #verdictsAgree}); one past {@code VERDICTS_MAX_STATES} too is skipped, named in
 * the figures. {@code -Dsoundness.seed=S -Dsoundness.count=N} or {@code -Dsoundness.seeds=S1,S2,..}
 * choose the generated scenarios (bench/soundness.sh runs 10,000 and more).
 *
 * <p>Its tests run concurrently (one per core, examples/pom.xml): each is independent and its
 * searches single-threaded; it was 40-70 minutes of CI alone.
 */
@Execution(ExecutionMode.CONCURRENT)
class ReductionsAgreeTest {

    private static final long FIRST_SEED = Long.getLong("soundness.seed", 1);
    private static final long COUNT = Long.getLong("soundness.count", 200);
    /** Or a list of seeds, e.g. the disagreements of a long run: {@code -Dsoundness.seeds=70,2108}. */
    private static final String SEEDS = System.getProperty("soundness.seeds", "");
    /** Seeds of 1..200 that disagree for a known reason not fixed yet, skipped with the reason (none now). */
    private static final Map<Long, String> KNOWN = Map.of();
    /**
     * A generated scenario whose plain search needs more is checked by verdicts alone ({@link
     * #verdictsAgree}). 10,000 since the TDP fault runs step by step (at 5,000, 23 of the first 200
     * seeds were over); 15,000 since the MMU notifier's rmap walk runs step by step with `mmu both`
     * (at 10,000, 22 were); the generator's size budget (ScenarioGenerator.BUDGET) keeps most under it.
     */
    private static final long MAX_STATES = 15_000;
    /**
     * The plain search's budget for a generated scenario over MAX_STATES, whose verdicts alone are
     * compared: one over this is skipped (counted, named, and bounded below).
     */
    private static final long VERDICTS_MAX_STATES = 300_000;
    /** Exhaustive for every scenario here: deepening stops at the first bound that prunes nothing. */
    private static final int HIGH_PREEMPTION_BOUND = 1_000;
    private static final long PREEMPTION_BOUNDED_MAX_STATES = 500;
    /**
     * The fine-footprint scenarios' plain searches: two vCPUs' step-by-step TDP faults take them past MAX_STATES;
     * 150,000 since the MMU notifier yields with `mmu tdp` (the host's free against two vCPUs' fault-ins: 108,851);
     * 400,000 since a fault walk stands in each table another thread may unlink under the read lock (the frozen
     * branch: with 2M backing each vCPU's huge leaf may unlink the other's table, and that scenario passed 150,000).
     */
    private static final long FINE_MAX_STATES = 400_000;
    /** The reload race's plain search: two vCPUs' step-by-step faults and reloads. */
    private static final long RELOAD_RACE_MAX_STATES = 400_000;

    private static final AtomicLong generated = new AtomicLong();
    private static final AtomicLong tooBig = new AtomicLong();
    private static final AtomicLong verdictsOnly = new AtomicLong();
    private static final Set<Long> skipped = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private static final AtomicLong disagreements = new AtomicLong();
    /**
     * An example's plain search (every op a step, exact states kept as objects) past this many
     * states has its verdicts alone compared, as a generated one: land30's NX worker and commit
     * examples took a whole plain search past a 6 GB heap (ObjectKeys), and CI past an hour.
     */
    private static final long EXAMPLE_MAX_STATES = 1_500_000;
    private static final Set<String> examplesVerdictsOnly = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** Those whose plain search with the expectations passes the budget too: named, not compared. */
    private static final Set<String> examplesSkipped = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private static final long started = System.nanoTime();

    @TestFactory
    Stream<DynamicTest> everyExampleAndBenchScenario() throws Exception {
        return Scenarios.all().stream().map(f -> DynamicTest.dynamicTest(f.toString(), () -> {
            Loaded loaded = ScenarioLoader.load(f);
            assertThat(loaded.hasErrors()).as(loaded.diagnostics().toString()).isFalse();
            for (CompiledScenario sc : loaded.scenarios()) {
                counted(() -> {
                    if (agree(sc, true, EXAMPLE_MAX_STATES)) return;
                    examplesVerdictsOnly.add(f + ": " + sc.name());
                    if (!verdictsAgree(sc, EXAMPLE_MAX_STATES)) examplesSkipped.add(f + ": " + sc.name());
                });
            }
        }));
    }

    @TestFactory
    Stream<DynamicTest> generatedScenarios() {
        LongStream seeds = SEEDS.isBlank() ? LongStream.range(FIRST_SEED, FIRST_SEED + COUNT)
                : Stream.of(SEEDS.split(",")).mapToLong(x -> Long.parseLong(x.trim()));
        return seeds.mapToObj(seed ->
                DynamicTest.dynamicTest("seed " + seed, () -> {
                    Assumptions.assumeFalse(KNOWN.containsKey(seed), KNOWN.get(seed));
                    String text = ScenarioGenerator.generate(seed);
                    Loaded loaded = ScenarioLoader.load("generated-" + seed + ".mmu", text);
                    assertThat(loaded.hasErrors()).as("the checker rejects what the generator wrote:\n%s\n%s",
                            loaded.diagnostics(), text).isFalse();
                    generated.incrementAndGet();
                    counted(() -> {
                        try {
                            CompiledScenario sc = loaded.scenarios().get(0);
                            if (!agree(sc, false)) {
                                verdictsOnly.incrementAndGet();
                                if (!verdictsAgree(sc, VERDICTS_MAX_STATES)) {
                                    tooBig.incrementAndGet();
                                    skipped.add(seed);
                                }
                            }
                        } catch (AssertionError | RuntimeException e) {
                            throw new AssertionError("seed " + seed + ":\n" + text, e);
                        }
                    });
                }));
    }

    /**
     * Almost every generated scenario is checked whole, and a skip is rare: a generator that drifts
     * to big ones tests little (docs/testing.md, "Generated scenarios that stay checkable").
     */
    @AfterAll
    static void figures() {
        System.out.printf("soundness: %d generated scenarios (%d over %d states, verdicts only; %d over %d, skipped: seeds %s),"
                + " %d disagreements, %.1f s%n", generated.get(), verdictsOnly.get(), MAX_STATES, tooBig.get(),
                VERDICTS_MAX_STATES, new java.util.TreeSet<>(skipped), disagreements.get(),
                (System.nanoTime() - started) / 1e9);
        System.out.printf("soundness: %d example scenarios over %d plain states, verdicts only: %s; of them skipped: %s%n",
                examplesVerdictsOnly.size(), EXAMPLE_MAX_STATES, new java.util.TreeSet<>(examplesVerdictsOnly),
                new java.util.TreeSet<>(examplesSkipped));
        assertThat(examplesVerdictsOnly).as("examples too big to check whole").hasSizeLessThanOrEqualTo(20);
        if (generated.get() >= 100) {
            assertThat(verdictsOnly.get()).as("generated scenarios too big to check whole")
                    .isLessThanOrEqualTo(generated.get() / 10);
            assertThat(tooBig.get()).as("generated scenarios too big to check").isLessThanOrEqualTo(generated.get() / 50);
        }
    }

    private interface Check {
        void run() throws Exception;
    }

    private static void counted(Check check) throws Exception {
        try {
            check.run();
        } catch (AssertionError | Exception e) {
            disagreements.incrementAndGet();
            throw e;
        }
    }

    /** The reference system: every op a step of its own, exact states, every stat and local kept. */
    private static MmuSystem plain(Program program) {
        return new MmuSystem(program.withAllStatsRead(), false, false);
    }

    /**
     * A generated scenario too big to check whole: the plain search's verdicts (DFS, within {@link
     * #VERDICTS_MAX_STATES}) against step merging alone, dead locals, every reduction with
     * partial-order reduction, and vCPU symmetry where the checker applies it, each trace replayed
     * to what it claims. No state counts (an expectation may stop a search early), no whole-space
     * checks (encodings, canonical forms): those are the small scenarios'.
     *
     * @return false when the plain search did not finish within the budget
     */
    private static boolean verdictsAgree(CompiledScenario sc, long budget) {
        MmuSystem exact = plain(sc.program());
        MmuSystem merging = new MmuSystem(sc.program().withAllStatsRead(), true, false);
        MmuSystem deadLocals = new MmuSystem(sc.program().withAllStatsRead(), true, true);
        MmuSystem reduced = new MmuSystem(sc.program());
        List<Expectation<VmState>> expectations = sc.expectations();
        ExploreOptions dfs = ExploreOptions.builder().maxStates(budget).portfolioFallback(false).build();
        ExploreResult<VmState> ref = Explorer.explore(exact, expectations, dfs.toBuilder().partialOrder(false).build());
        if (ref.coverage() != null) return false;
        String what = sc.name() + " DFS (verdicts only)";
        replays(ref, exact, exact, what + " plain");
        for (Map.Entry<String, MmuSystem> e : Map.of("step merging", merging, "dead locals", deadLocals,
                "every reduction", reduced).entrySet()) {
            ExploreResult<VmState> r = Explorer.explore(e.getValue(), expectations, dfs);
            assertThat(verdicts(r)).as(what + " " + e.getKey()).isEqualTo(verdicts(ref));
            replays(r, e.getValue(), merging, what + " " + e.getKey());
        }
        if (sc.options().symmetry()) {
            ExploreResult<VmState> sym = Explorer.explore(reduced, expectations, dfs.toBuilder().symmetry(true).build());
            assertThat(verdicts(sym)).as(what + " symmetry").isEqualTo(verdicts(ref));
            replays(sym, reduced, merging, what + " symmetry");
        }
        return true;
    }

    /** {@link #agree(CompiledScenario, boolean, long)} within {@link #MAX_STATES}. */
    private static boolean agree(CompiledScenario sc, boolean example) {
        return agree(sc, example, MAX_STATES);
    }

    /**
     * Checks every reduction and strategy on one scenario.
     *
     * @return false when the plain search did not finish within maxStates (an example's whole
     *     space only: its own searches run on its own options)
     */
    private static boolean agree(CompiledScenario sc, boolean example, long maxStates) {
        MmuSystem exact = plain(sc.program());
        ObjectKeys<VmState> reference = new ObjectKeys<>(exact);
        // Step merging alone, the system its traces replay on to check what they claim
        MmuSystem merging = new MmuSystem(sc.program().withAllStatsRead(), true, false);
        // and dead locals left out of the key; then every reduction (unread stats too)
        MmuSystem deadLocals = new MmuSystem(sc.program().withAllStatsRead(), true, true);
        MmuSystem reduced = new MmuSystem(sc.program());
        List<Expectation<VmState>> expectations = sc.expectations();
        ExploreOptions base = example ? ExploreOptions.builder().build()
                : ExploreOptions.builder().maxStates(maxStates).portfolioFallback(false).build();
        // Every state stored (no expectation stops the search early), with and without unread stats
        ExploreOptions full = base.toBuilder().maxStates(maxStates).build();
        ExploreOptions fullNoPor = full.toBuilder().partialOrder(false).build();
        ExploreResult<VmState> whole = Explorer.explore(exact, List.of(), fullNoPor);
        if (whole.coverage() != null) return false;
        List<ExploreOptions> exhaustive = new ArrayList<>(List.of(base,
                base.toBuilder().strategy(ExploreOptions.Strategy.BFS).build()));
        // Deepening to an exhaustive bound revisits states at every bound (200,000 transitions
        // for 1,800 states): only on small state spaces.
        if (whole.stats().statesStored() <= PREEMPTION_BOUNDED_MAX_STATES) {
            exhaustive.add(base.toBuilder().strategy(ExploreOptions.Strategy.PREEMPTION_BOUNDED)
                    .preemptionBound(HIGH_PREEMPTION_BOUND).build());
        }
        List<ExploreOptions> all = new ArrayList<>(example ? List.of(sc.options()) : List.of());
        all.addAll(exhaustive);
        long mergedSteps = Explorer.explore(merging, List.of(), fullNoPor).stats().statesStored();
        assertThat(mergedSteps).as("step merging").isLessThanOrEqualTo(whole.stats().statesStored());
        long withoutDeadLocals = Explorer.explore(deadLocals, List.of(), fullNoPor).stats().statesStored();
        assertThat(withoutDeadLocals).as("dead locals").isLessThanOrEqualTo(mergedSteps);
        Set<Object> terminal = new HashSet<>();
        long unreadMerged = Explorer.explore(reduced, List.of(terminalStates(reduced, terminal)), fullNoPor)
                .stats().statesStored();
        assertThat(unreadMerged).as("merging unread stats").isLessThanOrEqualTo(withoutDeadLocals);
        Set<Object> terminalPor = new HashSet<>();
        assertThat(Explorer.explore(reduced, List.of(terminalStates(reduced, terminalPor)), full).stats().statesStored())
                .as("partial-order reduction").isLessThanOrEqualTo(unreadMerged);
        // Persistent and sleep sets keep every terminal state (Godefroid 1996): a footprint that
        // claims a commutation the ops do not have loses some, whatever the expectations look at.
        assertThat(terminalPor).as("partial-order reduction: every terminal state").isEqualTo(terminal);
        // Symmetry where the checker applies it (it turns it off for expectations that read
        // tlb(vcpu, ..)); on every example, all of which allow it.
        boolean symmetry = example || sc.options().symmetry();
        encodingIsExact(exact);
        if (symmetry) canonicalIsASymmetry(reduced, expectations);

        List<String> verdicts = null;
        for (ExploreOptions o : all) {
            String what = sc.name() + " " + o.strategy() + (o == sc.options() ? " (own options)" : "");
            ExploreResult<VmState> ref = Explorer.explore(reference, expectations, o);
            replays(ref, reference, exact, what + " plain");
            if (exhaustive.contains(o)) {
                if (verdicts == null) verdicts = verdicts(ref);
                assertThat(verdicts(ref)).as(what + ": strategies agree").isEqualTo(verdicts);
            }

            boolean dfs = o.strategy() == ExploreOptions.Strategy.DFS;
            boolean systematic = dfs || o.strategy() == ExploreOptions.Strategy.BFS;
            if (dfs || o == sc.options()) {
                // the reference keys on the objects, with no canonical form: symmetry off for both
                ExploreResult<VmState> packed = Explorer.explore(exact, expectations,
                        o.toBuilder().partialOrder(false).symmetry(false).build());
                assertThat(Scenarios.summary(packed)).as(what + " packed keys").isEqualTo(Scenarios.summary(ref));
                assertThat(Scenarios.counts(packed)).as(what + " packed keys").isEqualTo(Scenarios.counts(ref));
            }

            ExploreResult<VmState> steps = Explorer.explore(merging, expectations, o);
            assertThat(verdicts(steps)).as(what + " step merging").isEqualTo(verdicts(ref));
            replays(steps, merging, merging, what + " step merging");

            ExploreResult<VmState> dead = Explorer.explore(deadLocals, expectations, o);
            assertThat(verdicts(dead)).as(what + " dead locals").isEqualTo(verdicts(ref));
            replays(dead, deadLocals, merging, what + " dead locals");

            ExploreResult<VmState> merged = Explorer.explore(reduced, expectations, o);
            assertThat(verdicts(merged)).as(what + " unread stats merged" + (dfs ? " and partial-order reduction" : ""))
                    .isEqualTo(verdicts(ref));
            replays(merged, reduced, merging, what + " unread stats merged");
            if (dfs) {
                ExploreResult<VmState> noPor = Explorer.explore(reduced, expectations,
                        o.toBuilder().partialOrder(false).build());
                assertThat(verdicts(noPor)).as(what + " without partial-order reduction").isEqualTo(verdicts(ref));
            }

            if (dfs || o == sc.options()) {
                ExploreResult<VmState> compact = Explorer.explore(reduced, expectations,
                        o.toBuilder().hashCompaction(true).build());
                compactionAgrees(merged, compact, what + " hash compaction");
            }
            boolean bounded = o.strategy() == ExploreOptions.Strategy.PREEMPTION_BOUNDED;
            if ((systematic || bounded) && symmetry) {
                // symmetry alone, and with partial-order reduction and hash compaction on DFS
                // (every reduction at once)
                ExploreOptions sym = o.toBuilder().symmetry(true).hashCompaction(dfs).build();
                ExploreResult<VmState> symmetric = Explorer.explore(reduced, expectations, sym);
                assertThat(verdicts(symmetric)).as(what + " symmetry" + (dfs ? ", partial-order reduction and hash compaction" : ""))
                        .isEqualTo(verdicts(ref));
                replays(symmetric, reduced, merging, what + " symmetry");
                if (dfs) {
                    ExploreResult<VmState> symNoPor = Explorer.explore(reduced, expectations,
                            sym.toBuilder().partialOrder(false).build());
                    assertThat(verdicts(symNoPor)).as(what + " symmetry without partial-order reduction")
                            .isEqualTo(verdicts(ref));
                    ExploreOptions symWhole = full.toBuilder().symmetry(true).shortestCounterexample(false).build();
                    assertThat(terminalOrbits(reduced, symWhole))
                            .as(what + " symmetry and partial-order reduction: every terminal state's orbit")
                            .isEqualTo(terminalOrbits(reduced, symWhole.toBuilder().partialOrder(false).build()));
                    assertThat(Explorer.explore(reduced, List.of(), symWhole).stats().statesStored())
                            .as(what + " symmetry and partial-order reduction: one state per orbit at most")
                            .isLessThanOrEqualTo(Explorer.explore(reduced, List.of(),
                                    symWhole.toBuilder().partialOrder(false).build()).stats().statesStored());
                }
            }
        }
        return true;
    }

    /** An expectation that records the key of every terminal state a search reaches, and always holds. */
    private static Expectation<VmState> terminalStates(MmuSystem system, Set<Object> keys) {
        return new Expectation.Final<>("every terminal state recorded", s -> keys.add(system.key(s)) || true);
    }

    /**
     * The keys of the canonical forms of the terminal states a search reaches: persistent and
     * sleep sets keep every one (Godefroid 1996), so a reduction that loses one is unsound.
     */
    private static Set<Object> terminalOrbits(MmuSystem system, ExploreOptions options) {
        Set<Object> seen = new HashSet<>();
        Explorer.explore(system, List.of(new Expectation.Final<>("every terminal state recorded",
                s -> seen.add(system.key(system.canonical(s))) || true)), options);
        return seen;
    }

    private static List<String> verdicts(ExploreResult<VmState> r) {
        return r.outcomes().stream().map(o -> o.text() + " " + o.verdict()).toList();
    }

    /** Hash compaction: the same verdicts, traces and counts, and probabilistic where it must say so. */
    private static void compactionAgrees(ExploreResult<VmState> exact, ExploreResult<VmState> compact, String what) {
        assertThat(Scenarios.counts(compact)).as(what).isEqualTo(Scenarios.counts(exact));
        for (int i = 0; i < exact.outcomes().size(); i++) {
            Outcome<VmState> a = exact.outcomes().get(i);
            Outcome<VmState> b = compact.outcomes().get(i);
            assertThat(b.verdict()).as(what + " " + a.text()).isEqualTo(a.verdict());
            assertThat(b.trace() == null ? null : b.trace().token()).as(what + " " + a.text())
                    .isEqualTo(a.trace() == null ? null : a.trace().token());
            boolean probabilistic = b.note().contains("hash compaction: probabilistic");
            boolean needsEveryState = b.verdict() != Verdict.UNKNOWN && (!b.hasTrace()
                    || b.expectation() instanceof Expectation.MaxMetric && b.verdict() == Verdict.PASS);
            assertThat(probabilistic).as(what + " " + b.note()).isEqualTo(needsEveryState);
        }
    }

    /**
     * Every trace replays on the system that found it and on the same steps with every stat kept
     * ({@code exact}), and its last state
     * shows what the outcome claims: the broken invariant or condition, the reached goal, the
     * deadlock, the exceeded metric, or for a lasso a return to the state where the cycle starts.
     */
    private static void replays(ExploreResult<VmState> r, TransitionSystem<VmState> found, MmuSystem exact,
            String what) {
        for (Outcome<VmState> o : r.outcomes()) {
            if (!o.hasTrace()) continue;
            String claim = what + " " + o.text() + " " + o.verdict() + " [" + o.trace().token() + "]";
            List<VmState> own = Explorer.replay(found, o.trace());
            assertThat(own).as(claim).hasSize(o.trace().length() + 1);
            List<VmState> states = Explorer.replay(exact, o.trace());
            VmState last = states.get(states.size() - 1);
            List<Transition<VmState>> next = new ArrayList<>();
            exact.successors(last, next);
            boolean terminal = next.isEmpty();
            Expectation<VmState> e = o.expectation();
            boolean shown;
            if (e instanceof Expectation.Never<VmState> n) {
                shown = o.verdict() == Verdict.FAIL && n.bad().test(last, terminal);
            } else if (e instanceof Expectation.Violation<VmState> v) {
                shown = o.verdict() == Verdict.PASS && v.bad().test(last, terminal);
            } else if (e instanceof Expectation.Final<VmState> f) {
                shown = o.verdict() == Verdict.FAIL && terminal && !f.ok().test(last);
            } else if (e instanceof Expectation.Reachable<VmState> g) {
                shown = o.verdict() == Verdict.PASS && g.goal().test(last);
            } else if (e instanceof Expectation.NoDeadlock) {
                shown = o.verdict() == Verdict.FAIL && terminal && !exact.finished(last);
            } else if (e instanceof Expectation.MaxMetric<VmState> m) {
                long value = m.metric().applyAsLong(last);
                shown = o.maximum().isPresent() && value == o.maximum().getAsLong()
                        && (o.verdict() == Verdict.FAIL) == (value > m.bound());
            } else {
                boolean livelockExpected = e instanceof Expectation.Terminates<VmState> t && t.livelockExpected();
                shown = o.verdict() == (livelockExpected ? Verdict.PASS : Verdict.FAIL) && o.isLasso()
                        && found.key(own.get(o.cycleStart())).equals(found.key(own.get(own.size() - 1)));
            }
            assertThat(shown).as(claim + " replays to what it claims").isTrue();
        }
    }

    /** Encode-equality is exactly equals() on every reachable state, and a copy encodes the same. */
    private static void encodingIsExact(MmuSystem system) {
        Map<VmState, Object> keyOf = new HashMap<>();
        Map<Object, VmState> stateOf = new HashMap<>();
        Deque<VmState> todo = new ArrayDeque<>();
        todo.push(system.initial());
        keyOf.put(system.initial(), system.key(system.initial()));
        List<Transition<VmState>> out = new ArrayList<>();
        while (!todo.isEmpty()) {
            VmState s = todo.pop();
            Object k = keyOf.get(s);
            VmState other = stateOf.putIfAbsent(k, s);
            assertThat(other == null || other.equals(s)).as("two different states share an encoding").isTrue();
            assertThat(system.key(s.copy())).as("a copy encodes the same").isEqualTo(k);
            out.clear();
            system.successors(s, out);
            for (Transition<VmState> t : out) {
                if (!keyOf.containsKey(t.target())) {
                    keyOf.put(t.target(), system.key(t.target()));
                    todo.push(t.target());
                }
            }
        }
        assertThat(stateOf).hasSameSizeAs(keyOf);
    }

    /**
     * On every reachable state s: canonical(s) has the same successors up to canonical form, and
     * every expectation's condition says the same of both. This is what makes the quotient search
     * sound, checked directly rather than only through verdicts.
     */
    private static void canonicalIsASymmetry(MmuSystem system, List<Expectation<VmState>> expectations) {
        Set<Object> seen = new HashSet<>();
        Deque<VmState> todo = new ArrayDeque<>(List.of(system.initial()));
        seen.add(system.key(system.initial()));
        List<Transition<VmState>> out = new ArrayList<>();
        List<Transition<VmState>> outCanon = new ArrayList<>();
        while (!todo.isEmpty()) {
            VmState s = todo.pop();
            VmState c = system.canonical(s);
            out.clear();
            outCanon.clear();
            system.successors(s, out);
            system.successors(c, outCanon);
            assertThat(canonicalKeys(system, outCanon)).isEqualTo(canonicalKeys(system, out));
            for (Transition<VmState> t : out) {
                int image = system.canonicalThreads(s)[t.thread()];
                Object key = system.key(system.canonical(t.target()));
                assertThat(outCanon.stream().anyMatch(u -> u.thread() == image && u.choice() == t.choice()
                        && system.key(system.canonical(u.target())).equals(key)))
                        .as("thread %d's step is thread %d's in the canonical state", t.thread(), image).isTrue();
            }
            boolean terminal = out.isEmpty();
            for (Expectation<VmState> e : expectations) {
                assertThat(condition(e, c, terminal)).as(e.text()).isEqualTo(condition(e, s, terminal));
            }
            for (Transition<VmState> t : out) {
                if (seen.add(system.key(t.target()))) todo.push(t.target());
            }
        }
    }

    private static Set<Object> canonicalKeys(MmuSystem system, List<Transition<VmState>> ts) {
        Set<Object> keys = new HashSet<>();
        for (Transition<VmState> t : ts) keys.add(system.key(system.canonical(t.target())));
        return keys;
    }

    private static Object condition(Expectation<VmState> e, VmState s, boolean terminal) {
        if (e instanceof Expectation.Never<VmState> n) return n.bad().test(s, terminal);
        if (e instanceof Expectation.Violation<VmState> v) return v.bad().test(s, terminal);
        if (e instanceof Expectation.Final<VmState> f) return f.ok().test(s);
        if (e instanceof Expectation.Reachable<VmState> r) return r.goal().test(s);
        if (e instanceof Expectation.MaxMetric<VmState> m) return m.metric().applyAsLong(s);
        return null;
    }

    /** Where symmetry applies (two readers with equal programs), it stores fewer states. */
    @Test
    void symmetryReducesTheTwoReaderSeed() {
        for (String name : List.of("seed-fixed-3vcpus.mmu", "seed-pre-fix-3vcpus.mmu")) {
            CompiledScenario sc = ScenarioLoader.load(Path.of("../bench/scenarios", name)).scenarios().get(0);
            MmuSystem system = new MmuSystem(sc.program());
            ExploreOptions dfs = ExploreOptions.builder().build();
            long plain = Explorer.explore(system, List.of(), dfs).stats().statesStored();
            long reduced = Explorer.explore(system, List.of(), dfs.toBuilder().symmetry(true).build())
                    .stats().statesStored();
            assertThat(reduced).as(name).isLessThan(plain * 3 / 4);
        }
    }

    /**
     * The SPIN scenario's counts, pinned: every stat and local kept 4,248; the flush counter it
     * never reads merged, 4,248 as well; dead locals (the vCPU fault's mmu_seq, pfn, fault->slot and its
     * walk's locals once the fault is mapped or retried, the recovery's flush while it yields and
     * its locals once its loop ends, the MMU notifier's ret, flush and memslot loop's locals) left
     * out 2,690 states and 5,571 edges, which is what SPIN stores with {@code spin -o2}; both 1,968
     * and 4,111, SPIN's default (its dead-variable elimination): bench/spin/seed.pml follows the
     * model step for step, and bench/spin/run.sh compares (docs/performance.md, "SPIN peer
     * comparison"). The states that differ in the flush counter presumably differ in the notifier's
     * kept locals too (its ret), so merging the counter alone merges none.
     * Since the footprints have one resource per counter group (statcounters, 2026-12-02), the host's
     * flush (remote_tlb_flush) joins its put_root step, and the recovery's to_zap (nx_lpage_splits)
     * its srcu_read_lock once the host's zap is behind it: before, 4,256, 4,256, 2,696 / 5,579 and
     * 1,974 / 4,119.
     * Since the twenty-seventh session the NX recovery's TDP pass calls kvm_mmu_remote_flush_or_zap(),
     * whose list_empty() of the thread's own invalid_list declares nothing (ownlist): before, 4,248,
     * 4,248, 2,690 / 5,571 and 1,968 / 4,111.
     * Since 2026-12-01 the scenario's host invalidates without blocking (the OOM reaper's
     * mmu_notifier_invalidate_range_start_nonblock, no yield in tdp_mmu_zap_leafs), so that the
     * Promela model can follow it; with the blockable notifier the counts were 7,948, 7,948, 3,195
     * and 2,473. Before the notifier ran its memslot loop and yielded with `mmu tdp` (notifiertdp):
     * 3,954, 3,103, 2,446, 1,724. Before ops under mmu_lock dropped the end of a grace period they
     * hold off and their lockdep reads of mmu_lock (census13): 4,016, 3,165, 2,498 and 1,776. Before
     * step merging moved ops that write shared state (Lipton movers): 5,630, 4,353, 3,285 and 2,275;
     * before the TDP fault ran step by step (one atomic map): 4,656, 3,297, 3,350 and 2,305.
     */
    @Test
    void unreadStatsAndDeadLocalsMergeStatesThatDifferOnlyThere() {
        CompiledScenario sc = ScenarioLoader.load(Path.of("../bench/scenarios/seed-spin.mmu")).scenarios().get(0);
        ExploreOptions full = ExploreOptions.builder().partialOrder(false).build();
        Program all = sc.program().withAllStatsRead();
        assertThat(Explorer.explore(new MmuSystem(all, true, false), List.of(), full).stats().statesStored()).isEqualTo(3897);
        assertThat(Explorer.explore(new MmuSystem(sc.program(), true, false), List.of(), full).stats().statesStored())
                .isEqualTo(3897);
        var spinO2 = Explorer.explore(new MmuSystem(all, true, true), List.of(), full).stats();
        assertThat(spinO2.statesStored()).isEqualTo(2457);
        assertThat(spinO2.transitions()).isEqualTo(5084);
        var spin = Explorer.explore(new MmuSystem(sc.program()), List.of(), full).stats();
        assertThat(spin.statesStored()).isEqualTo(1824);
        assertThat(spin.transitions()).isEqualTo(3815);
    }

    /**
     * Found by the generated scenarios (seed 70 of the first 300): a kernel thread's guest access
     * as vCPU 0 ({@code vcpu 0 write}) is not permuted with the vCPU threads, so with {@code
     * symmetry vcpus} the canonical state is not a symmetry of the model: vCPU 0's TLB is filled
     * by a thread that the permutation does not rename. Fixed by the footprints, from which
     * symmetry now decides: a vCPU another thread names leaves its class.
     */
    @Test
    void symmetryRenamesAKernelThreadsAccessAsAVcpu() {
        Loaded loaded = ScenarioLoader.load("symmetry-kernel-thread-access.mmu", """
                scenario "a kernel thread accesses as one of two interchangeable vCPUs" {
                  memslot 0 { gpa 0x0 size 64K }
                  vcpus 2
                  thread t { vcpu 0 write 0x1000 }
                  thread vcpu 0 { read 0x1000 }
                  thread vcpu 1 { read 0x1000 }
                  explore { symmetry vcpus }
                  expect never use_after_free
                }
                """);
        CompiledScenario sc = loaded.scenarios().get(0);
        assertThat(sc.options().symmetry()).isTrue();
        canonicalIsASymmetry(new MmuSystem(sc.program()), sc.expectations());
    }

    /**
     * A vCPU in SMM runs on the SMM root: two vCPU threads with the same program, one in SMM, are
     * interchangeable only if a permutation moves HF_SMM_MASK (VmState.smmVcpus, indexed by vCPU)
     * with the vCPU. Fails if VcpuSymmetry leaves the SMM bits where they were.
     */
    @Test
    void symmetryMovesSmmWithItsVcpu() {
        Loaded loaded = ScenarioLoader.load("symmetry-smm.mmu", """
                scenario "two interchangeable vCPUs, one in SMM" {
                  memslot 0 { gpa 0x0 size 64K }
                  vcpus 2
                  setup {
                    kvm_smm_changed(1, true)
                    vcpu 1 write 0x1000
                  }
                  thread t { mmu_notifier_invalidate 0x0 .. 0x10000 }
                  thread vcpu 0 { write 0x1000 }
                  thread vcpu 1 { write 0x1000 }
                  explore { symmetry vcpus }
                  expect never use_after_free
                  expect never stale_tlb_at_unlock
                }
                """);
        CompiledScenario sc = loaded.scenarios().get(0);
        assertThat(sc.options().symmetry()).isTrue();
        assertThat(VcpuSymmetry.limits(sc.program())).isEmpty();
        canonicalIsASymmetry(new MmuSystem(sc.program()), sc.expectations());
    }

    /**
     * Found by the generated scenarios (14 seeds of 1..20000, 2918 the first): a user path's
     * {@code for iter in tdp_pte(root, ..)} that yielded while {@code kvm_mmu_zap_all_fast} freed
     * the root restarted at the freed root: NullPointerException in TdpIter. In the kernel a walk
     * holds a reference on its root (kvm_tdp_mmu_get_root), as the model now does.
     */
    @Test
    void aYieldingWalkRacingZapAllFastHasAVerdict() {
        Loaded loaded = ScenarioLoader.load("walk-vs-zap-all-fast.mmu", """
                path walk(start, end) {
                  lock read
                  for iter in tdp_pte(root, start .. end) {
                    tdp_mmu_iter_cond_resched(false)
                  }
                  unlock
                }
                scenario "a yielding TDP walk races kvm_mmu_zap_all_fast" {
                  memslot 0 { gpa 0x0 size 16K }
                  setup { vcpu 0 read 0x1000 }
                  thread walker { walk(0x0, 0x4) }
                  thread zap { kvm_mmu_zap_all_fast }
                  expect never freed_page_table_walk
                }
                """);
        assertThat(agree(loaded.scenarios().get(0), false)).isTrue();
    }

    /**
     * Scenarios aimed at the fine footprints of partial-order reduction (each vCPU's TLB, each
     * thread's srcu read side, the host's freed pfns apart from its mappings, a TLB hit that reads
     * no SPTE, need_resched() that reads nothing without full preemption): the same address on two
     * vCPUs, different addresses, a remote flush against TLB hits, a zap of a range against
     * accesses inside and outside it, a memslot's synchronize_srcu against two faults, and the
     * NX recovery against two vCPUs under `preempt none`, fault-ins of present and missing host
     * pages against the host's free. Each with the plain search's verdicts.
     */
    @TestFactory
    Stream<DynamicTest> fineFootprintScenarios() {
        String zaps = """
                path zap_forgets_flush(start, end) {
                  lock write
                  let flush = tdp_zap_range(start, end, flush: false, can_yield: false)
                  unlock
                }
                path zap_then_flush(start, end) {
                  lock write
                  let flush = tdp_zap_range(start, end, flush: false, can_yield: false)
                  if flush {
                    flush_remote_tlbs()
                  }
                  unlock
                }
                """;
        Map<String, String> scenarios = new LinkedHashMap<>();
        for (String zap : List.of("zap_forgets_flush", "zap_then_flush")) {
            scenarios.put("same address on two vCPUs, " + zap, zaps + """
                    scenario "two vCPUs read the page a zap and the host free take away" {
                      vm { nx_huge_pages off }
                      memslot 0 { gpa 0x0 size 2M }
                      vcpus 2
                      setup { vcpu 0 read 0x1000; vcpu 1 read 0x1000 }
                      thread zap { %s(0x0, 0x200) }
                      thread host { host_free 0x0 .. 0x200000 }
                      thread vcpu 0 { read 0x1000 }
                      thread vcpu 1 { read 0x1000 }
                      expect never use_after_free
                      expect never stale_tlb_at_unlock
                    }
                    """.formatted(zap));
            scenarios.put("a zap of a range, accesses inside and outside it, " + zap, zaps + """
                    scenario "a zap of the first 4K page against reads inside and outside it" {
                      vm { nx_huge_pages off }
                      memslot 0 { gpa 0x0 size 2M backing 4K }
                      vcpus 2
                      setup { vcpu 0 read 0x1000; vcpu 1 read 0x3000 }
                      thread zap { %s(0x1, 0x2) }
                      thread vcpu 0 { read 0x1000; read 0x3000 }
                      thread vcpu 1 { read 0x3000; write 0x1000 }
                      expect never stale_tlb_at_unlock
                      expect reachable tlb(0, 0x1000) && !tlb(1, 0x1000)
                    }
                    """.formatted(zap));
        }
        scenarios.put("a remote flush against TLB hits and walks", """
                scenario "a remote flush races two vCPUs' TLB hits and walks" {
                  memslot 0 { gpa 0x0 size 4M backing 2M }
                  vcpus 2
                  setup { vcpu 0 read 0x1000; vcpu 1 read 0x201000 }
                  thread flush { lock write; flush_remote_tlbs(); unlock }
                  thread vcpu 0 { read 0x1000; read 0x201000 }
                  thread vcpu 1 { read 0x201000; write 0x1000 }
                  expect always !tlb(0, 0x201000) || tlb(0, 0x1000) || !tlb(1, 0x201000)
                  expect reachable tlb(0, 0x1000) && !tlb(1, 0x201000)
                }
                """);
        scenarios.put("synchronize_srcu against two vCPUs' faults", """
                scenario "a memslot delete waits for two vCPUs' srcu readers" {
                  vm { quirk slot_zap_all off }  # the slot's leaves (the fast zap is past FINE_MAX_STATES)
                  memslot 0 { gpa 0x0 size 2M backing 4K }
                  memslot 1 { gpa 0x200000 size 2M backing 2M }
                  vcpus 2
                  thread ioctl { memslot_delete 1 }
                  thread vcpu 0 { write 0x201000 }
                  thread vcpu 1 { read 0x1000 }
                  expect never dangling_memslot
                  expect never use_after_free
                }
                """);
        // An atomic block is a step of its own: its opening note commutes, the block need not.
        scenarios.put("a load, then an atomic store, in two threads", """
                global g = 0
                scenario "a load, then an atomic store" {
                  memslot 0 { gpa 0x0 size 2M }
                  thread a { let x = g; atomic { g = x + 1 } }
                  thread b { atomic { g = 5 }; let y = g; atomic { g = y + 1 } }
                  expect reachable g == 1
                  expect final g == 7
                }
                """);
        // A lock inside an atomic block ends the step before it while another thread holds it.
        scenarios.put("atomic blocks that wait for mmu_lock beside a vCPU's fault", """
                global g = 0
                scenario "atomic blocks that wait for mmu_lock" {
                  memslot 0 { gpa 0x0 size 2M }
                  vcpus 1
                  thread vcpu 0 { read 0x0 }
                  thread a { atomic { lock write; let x = g; g = x + 1; flush_remote_tlbs(); unlock } }
                  thread b { let y = g; atomic { lock read; g = y + 1; unlock } }
                  expect reachable g == 1
                  expect final g == 2
                  expect never stale_tlb_at_unlock
                }
                """);
        // A fault-in of a present host page only reads it; of a missing one fills it (HOST_ALLOC).
        scenarios.put("fault-ins of present and missing host pages against the host's free", """
                scenario "two vCPUs fault in a present and a missing host page while the host frees one" {
                  memslot 0 { gpa 0x0 size 4M backing 2M }
                  vcpus 2
                  setup { vcpu 0 exec 0x1000 }
                  thread host { mmu_notifier_invalidate 0x0 .. 0x200000; host_free 0x0 .. 0x200000 }
                  thread vcpu 0 { read 0x201000 }
                  thread vcpu 1 { read 0x201000; read 0x2000 }
                  expect never use_after_free
                  expect reachable host(0x1000).freed
                }
                """);
        for (String flush : List.of("flush_remote_tlbs()", "let unflushed = 1")) {
            scenarios.put("NX recovery, two vCPUs, preempt none, " + flush, """
                    path recover() {
                      lock read srcu
                      lock write
                      for sp in lpage_disallowed take 1 {
                        tdp_zap_range(sp.gfn, sp.gfn_end, flush: false, can_yield: false)
                        if need_resched {
                          %s
                          yield
                        }
                      }
                      flush_remote_tlbs()
                      unlock
                      unlock srcu
                    }
                    scenario "NX recovery against two vCPUs without preemption" {
                      vm { mmu tdp; nx_huge_pages on; nx_recovery_ratio 1; preempt none }
                      memslot 0 { gpa 0x0 size 2M backing 2M }
                      vcpus 2
                      setup { vcpu 0 exec 0x1000; lock write; flush_remote_tlbs(); unlock }
                      thread recovery { recover }
                      thread vcpu 0 { read 0x2000 }
                      thread vcpu 1 { read 0x1000 }
                      expect never stale_tlb_at_unlock
                    }
                    """.formatted(flush));
        }
        return scenarios.entrySet().stream().map(e -> DynamicTest.dynamicTest(e.getKey(), () -> {
            Loaded loaded = ScenarioLoader.load("fine-footprints.mmu", e.getValue());
            assertThat(loaded.hasErrors()).as(ScenarioRunner.render(loaded)).isFalse();
            for (CompiledScenario sc : loaded.scenarios()) {
                assertThat(agree(sc, false, FINE_MAX_STATES)).as(sc.name() + ": small enough to compare").isTrue();
            }
        }));
    }

    /**
     * Each thread's RCU read side is its own: two vCPUs' faults (rcu_read_lock() under read_lock)
     * and a lone rcu_read_lock() without mmu_lock race an NX table zap whose table call_rcu frees
     * after a grace period, the flush before or after the unlock (a freed table still in vCPU 1's
     * paging-structure cache). Each with the plain search's verdicts.
     */
    @TestFactory
    Stream<DynamicTest> rcuReadersRacingATableFreedAfterAGracePeriod() {
        String paths = """
                path zap_nx_table(flush_before_unlock: bool) {
                  lock write
                  let flush = false
                  for sp in lpage_disallowed take 1 {
                    flush = tdp_zap_sp(sp)
                  }
                  if flush && flush_before_unlock {
                    flush_remote_tlbs()
                  }
                  unlock
                  if flush && !flush_before_unlock {
                    flush_remote_tlbs()
                  }
                }
                """;
        Map<String, String> scenarios = new LinkedHashMap<>();
        scenarios.put("flushed before the unlock", paths + """
                scenario "two vCPUs' and a lone RCU reader race a table zap flushed before the unlock" {
                  vm { nx_huge_pages on }
                  memslot 0 { gpa 0x0 size 4M backing 2M }
                  vcpus 2
                  setup { vcpu 0 exec 0x0; vcpu 1 read 0x1000 }
                  thread zap { zap_nx_table(true) }
                  thread vcpu 0 { read 0x201000 }
                  thread vcpu 1 { read 0x2000; read 0x202000 }
                  thread reader { rcu_read_lock(); rcu_read_unlock() }
                  expect never freed_page_table_walk
                  expect never use_after_free
                  expect never stale_tlb_at_unlock
                }
                """);
        scenarios.put("flushed after the unlock", paths + """
                scenario "two vCPUs' and a lone RCU reader race a table zap flushed after the unlock" {
                  vm { nx_huge_pages on }
                  memslot 0 { gpa 0x0 size 4M backing 2M }
                  vcpus 2
                  setup { vcpu 0 exec 0x0; vcpu 1 read 0x1000 }
                  thread zap { zap_nx_table(false) }
                  thread vcpu 0 { read 0x201000 }
                  thread vcpu 1 { read 0x2000; read 0x202000 }
                  thread reader { rcu_read_lock(); rcu_read_unlock() }
                  expect violation freed_page_table_walk
                  expect never use_after_free
                }
                """);
        return scenarios.entrySet().stream().map(e -> DynamicTest.dynamicTest(e.getKey(), () -> {
            Loaded loaded = ScenarioLoader.load("rcu-readers.mmu", e.getValue());
            assertThat(loaded.hasErrors()).as(ScenarioRunner.render(loaded)).isFalse();
            for (CompiledScenario sc : loaded.scenarios()) {
                assertThat(agree(sc, false, FINE_MAX_STATES)).as(sc.name() + ": small enough to compare").isTrue();
            }
        }));
    }

    /**
     * Threads that queue tables with call_rcu() while they hold off grace periods (under mmu_lock:
     * the 6.18 NX recovery's zap under the read lock, the vCPUs' faults), so that no grace period
     * ends in those ops, beside a lone rcu_read_lock() outside mmu_lock and a vCPU walking into the
     * zapped table; the flush kept or dropped. Each with the plain search's verdicts.
     */
    @TestFactory
    Stream<DynamicTest> callRcuWhileHoldingOffGracePeriods() {
        String paths = """
                path recover_nx(flush_it: bool) {
                  let flush = false
                  lock read srcu
                  lock read
                  rcu_read_lock()
                  lock write tdp_mmu_pages_lock
                  if lpage_disallowed.len == 0 {
                    unlock tdp_mmu_pages_lock
                  }
                  for sp in lpage_disallowed take 1 {
                    unaccount_nx(sp)
                    unlock tdp_mmu_pages_lock
                    flush |= tdp_mmu_zap_possible_nx_huge_page(sp)
                  }
                  rcu_read_unlock()
                  if flush && flush_it {
                    flush_remote_tlbs()
                  }
                  unlock
                  unlock srcu
                }
                """;
        Map<String, String> scenarios = new LinkedHashMap<>();
        for (boolean flushed : new boolean[] {true, false}) {
            scenarios.put(flushed ? "flushed" : "not flushed", paths + """
                    scenario "call_rcu under the read lock beside an RCU reader, %s" {
                      vm { nx_huge_pages on  kernel 6.18 }
                      memslot 0 { gpa 0x0 size 4M backing 2M }
                      vcpus 2
                      setup { vcpu 0 exec 0x1000; vcpu 1 read 0x1000 }
                      thread recovery { recover_nx(%s) }
                      thread vcpu 0 { read 0x201000 }
                      thread vcpu 1 { read 0x2000 }
                      thread reader { rcu_read_lock(); rcu_read_unlock() }
                      expect never freed_page_table_walk
                      expect never use_after_free
                      expect never stale_tlb_at_unlock
                    }
                    """.formatted(flushed ? "flushed" : "not flushed", flushed));
        }
        return scenarios.entrySet().stream().map(e -> DynamicTest.dynamicTest(e.getKey(), () -> {
            Loaded loaded = ScenarioLoader.load("call-rcu-held.mmu", e.getValue());
            assertThat(loaded.hasErrors()).as(ScenarioRunner.render(loaded)).isFalse();
            for (CompiledScenario sc : loaded.scenarios()) {
                assertThat(agree(sc, false, FINE_MAX_STATES)).as(sc.name() + ": small enough to compare").isTrue();
            }
        }));
    }

    /**
     * A vCPU's root handling is out of the others' reach only while it has a root, no request and
     * nothing can still write those (kvm_mmu_zap_all_fast()'s request can; its zap of the
     * invalidated roots is left out, for size): each vCPU reloads mid-race, one while the other
     * may still fault on its old root.
     */
    @Test
    void zapAllFastRacingTwoVcpusThatFaultAndReload() {
        Loaded loaded = ScenarioLoader.load("reload-race.mmu", """
                scenario "kvm_mmu_zap_all_fast's request races two vCPUs that fault and reload" {
                  memslot 0 { gpa 0x0 size 2M backing 4K }
                  vcpus 2
                  setup { vcpu 0 read 0x1000 }
                  thread zap {
                    lock write
                    kvm_mmu_toggle_valid_gen()
                    kvm_tdp_mmu_invalidate_roots()
                    kvm_make_all_cpus_request_free_obsolete_roots()
                    unlock
                  }
                  thread vcpu 0 { read 0x1000 }
                  thread vcpu 1 { read 0x1000; read 0x2000 }
                  expect never freed_root_in_use
                  expect never stale_tlb_at_unlock
                  expect reachable tlb(0, 0x1000) && !tlb(1, 0x1000)
                }
                """);
        assertThat(loaded.hasErrors()).as(ScenarioRunner.render(loaded)).isFalse();
        assertThat(agree(loaded.scenarios().get(0), false, RELOAD_RACE_MAX_STATES)).as("small enough to compare").isTrue();
    }

    /**
     * Twin vCPUs whose locals are named apart (interchanged: symmetry compares programs up to a
     * renaming of locals), one pair with a lost update and one whose assert fails only when the
     * other twin's store comes between its own store and load; and twins that differ in which local
     * a statement uses, or in a constant (left out). Each with the plain search's verdicts, every
     * reachable state's canonical form a symmetry of the model. And `expect terminates` under
     * symmetry (the fair-cycle search on the lifted graph): twins that wait for a flag raised or
     * never raised, and a lost update that leaves them waiting forever (a livelock in one order).
     */
    @TestFactory
    Stream<DynamicTest> twinsWithLocalsNamedApart() {
        return Stream.of("symmetry-locals-named-apart.mmu", "symmetry-terminates.mmu").flatMap(f -> {
            Loaded loaded = ScenarioLoader.load(Path.of("../interpreter/src/test/resources/soundness", f));
            assertThat(loaded.hasErrors()).as(ScenarioRunner.render(loaded)).isFalse();
            return loaded.scenarios().stream().map(sc -> DynamicTest.dynamicTest(f + ": " + sc.name(), () -> {
                assertThat(sc.options().symmetry()).isTrue();
                counted(() -> assertThat(agree(sc, true, EXAMPLE_MAX_STATES)).as(sc.name() + " finishes in its budget").isTrue());
            }));
        });
    }

    /** The generator is deterministic: a seed names one scenario, so a failing seed can be rerun. */
    @Test
    void aSeedNamesOneScenario() {
        assertThat(ScenarioGenerator.generate(42)).isEqualTo(ScenarioGenerator.generate(42))
                .isNotEqualTo(ScenarioGenerator.generate(43));
    }
}
