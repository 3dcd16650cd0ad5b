package dev.mmu.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.interp.ast.Block;
import dev.mmu.interp.ast.Scenario;
import dev.mmu.interp.ast.SourceFile;
import dev.mmu.interp.ast.Stmt;
import dev.mmu.interp.compile.CompiledScenario;
import dev.mmu.interp.diag.Diagnostics;
import dev.mmu.interp.gen.ScenarioGenerator;
import dev.mmu.interp.parse.SourceParser;
import dev.mmu.interp.run.Loaded;
import dev.mmu.interp.run.ScenarioLoader;
import dev.mmu.runtime.explore.ExploreResult;
import dev.mmu.runtime.explore.Explorer;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.MmuSystem;
import java.nio.file.Files;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * A statement that does nothing never changes a verdict (the brief's rule): every example again
 * with no-ops at the start of every block (each thread, path and setup body, each branch and loop
 * body), checked as the CLI checks it.
 */
class NoOpStatementsTest {
    /**
     * A dead local, a branch never taken, an assert that holds and a WARN that cannot fire (%d: the block's number, so that
     * every block's local has a name of its own: twin vCPU threads then name their locals apart,
     * which symmetry must see through, as it compares programs up to the names of locals).
     */
    private static final String NO_OPS = " let noop_%d = 0; if false { }; assert true; WARN_ON_ONCE(false);";
    /** Generated scenarios checked (seeds 1..GENERATED), each with its default budget. */
    private static final int GENERATED = 100;

    /**
     * A dead local writes only itself, reads nothing shared and never blocks: it joins the step
     * after it and leaves nothing in the stored state; a branch never taken, an assert that
     * holds and a WARN_ON_ONCE(false) are known when compiling and compile to nothing. So every outcome keeps its verdict
     * and trace, and the search its states, transitions and depth. (An `assert true` used to add
     * its own step and its "every assert holds", which kept the search going past an expected
     * violation: roots/walk-every-root's buggy walk then met a lock_balance splat past its bug.)
     */
    @TestFactory
    Stream<DynamicTest> noOpsChangeNothing() throws Exception {
        return Scenarios.examples().stream().map(f -> DynamicTest.dynamicTest(f.toString(),
                () -> sameOutcomes(f.toString(), Files.readString(f))));
    }

    /** The same on the soundness suite's generated scenarios (ReductionsAgreeTest's seeds). */
    @TestFactory
    Stream<DynamicTest> noOpsChangeNothingInGeneratedScenarios() {
        return LongStream.rangeClosed(1, GENERATED).mapToObj(seed -> DynamicTest.dynamicTest("seed " + seed,
                () -> sameOutcomes("generated-" + seed + ".mmu", ScenarioGenerator.generate(seed))));
    }

    /** The file's scenarios and the same with {@link #NO_OPS}: the same outcomes, traces and counts. */
    private static void sameOutcomes(String name, String text) {
        Loaded original = ScenarioLoader.load(name, text);
        String noOps = withNoOps(name, text);
        Loaded variant = ScenarioLoader.load(name, noOps);
        assertThat(variant.hasErrors()).as("%s with no-ops: %s", name, variant.diagnostics()).isFalse();
        assertThat(variant.scenarios()).hasSameSizeAs(original.scenarios());
        for (int i = 0; i < original.scenarios().size(); i++) {
            CompiledScenario before = original.scenarios().get(i);
            ExploreResult<VmState> was = check(before);
            ExploreResult<VmState> now = check(variant.scenarios().get(i));
            String what = name + ": " + before.name() + " with no-ops:\n" + noOps;
            assertThat(Scenarios.summary(now)).as("%s%nits outcomes", what).isEqualTo(Scenarios.summary(was));
            assertThat(Scenarios.counts(now)).as("%s%nstates, transitions, depth", what).isEqualTo(Scenarios.counts(was));
        }
    }

    private static ExploreResult<VmState> check(CompiledScenario sc) {
        return Explorer.explore(new MmuSystem(sc.program()), sc.expectations(), sc.options());
    }

    /** The text with {@link #NO_OPS} after the opening brace of every statement block. */
    private static String withNoOps(String name, String text) {
        SourceFile file = SourceParser.parse(name, text, new Diagnostics()).orElseThrow();
        TreeMap<Integer, Integer> blocks = new TreeMap<>(); // insertion offset -> block number
        file.paths().forEach(p -> collect(text, p.body(), blocks));
        for (Scenario sc : file.scenarios()) {
            sc.setups().forEach(b -> collect(text, b, blocks));
            sc.threads().forEach(t -> collect(text, t.body(), blocks));
            sc.paths().forEach(p -> collect(text, p.body(), blocks));
        }
        StringBuilder out = new StringBuilder(text);
        blocks.descendingMap().forEach((at, n) -> out.insert((int) at, NO_OPS.formatted(n)));
        return out.toString();
    }

    /** Where b and the blocks in it take a no-op, each numbered in the order met: its local's name. */
    private static void collect(String text, Block b, Map<Integer, Integer> into) {
        int at = offset(text, b);
        if (text.charAt(at) == '{') { // an `else if`'s block is the `if` itself: its blocks follow
            into.put(at + 1, into.size());
        }
        for (Stmt s : b.statements()) {
            Stmt.blocks(s).forEach(inner -> collect(text, inner, into));
        }
    }

    /** The offset of where the block starts (its position is 1-based line and column). */
    private static int offset(String text, Block b) {
        int at = 0;
        for (int line = 1; line < b.pos().line(); line++) {
            at = text.indexOf('\n', at) + 1;
        }
        return at + b.pos().column() - 1;
    }
}
