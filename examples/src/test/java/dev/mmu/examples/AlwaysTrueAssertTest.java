package dev.mmu.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.interp.compile.CompiledScenario;
import dev.mmu.interp.gen.ScenarioGenerator;
import dev.mmu.interp.run.Loaded;
import dev.mmu.interp.run.ScenarioLoader;
import dev.mmu.runtime.explore.ExploreResult;
import dev.mmu.runtime.explore.Explorer;
import dev.mmu.runtime.explore.Outcome;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.MmuSystem;
import java.nio.file.Files;
import java.util.List;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * An assert that always holds, but is not known when compiling, checks nothing: every example
 * again with one at the start of each thread keeps every verdict. Unlike NoOpStatementsTest's
 * no-ops it is a step and adds "every assert holds", which searches every state: an expected
 * violation no longer ends the search, so the model must not break lockdep past a bug it models
 * (roots/walk-every-root's freed root: the restart after a yield took RCU back only in a live
 * root, and the walk's rcu_read_unlock() was then a lock_balance splat).
 */
class AlwaysTrueAssertTest {
    private static final String ALWAYS_TRUE = " assert stat.pages_4k >= 0;";
    /** Generated scenarios checked (seeds 1..GENERATED). */
    private static final int GENERATED = 100;

    @TestFactory
    Stream<DynamicTest> alwaysTrueAssertsKeepEveryVerdict() throws Exception {
        return Scenarios.examples().stream().map(f -> DynamicTest.dynamicTest(f.toString(),
                () -> sameVerdicts(f.toString(), Files.readString(f))));
    }

    /** The same on the soundness suite's generated scenarios (ReductionsAgreeTest's seeds). */
    @TestFactory
    Stream<DynamicTest> alwaysTrueAssertsKeepEveryVerdictInGeneratedScenarios() {
        return LongStream.rangeClosed(1, GENERATED).mapToObj(seed -> DynamicTest.dynamicTest("seed " + seed,
                () -> sameVerdicts("generated-" + seed + ".mmu", ScenarioGenerator.generate(seed))));
    }

    private static void sameVerdicts(String name, String text) {
        String variantText = text.replaceAll("(\\n\\s*thread [^{\\n]*\\{)", "$1" + ALWAYS_TRUE);
        Loaded original = ScenarioLoader.load(name, text);
        Loaded variant = ScenarioLoader.load(name, variantText);
        assertThat(variant.hasErrors()).as("%s with asserts: %s", name, variant.diagnostics()).isFalse();
        assertThat(variant.scenarios()).hasSameSizeAs(original.scenarios());
        for (int i = 0; i < original.scenarios().size(); i++) {
            CompiledScenario before = original.scenarios().get(i);
            assertThat(verdicts(check(variant.scenarios().get(i))))
                    .as("%s: %s with an always-true assert at each thread's start:%n%s", name, before.name(), variantText)
                    .isEqualTo(verdicts(check(before)));
        }
    }

    /** Each expectation's verdict, but the one the asserts add. */
    private static List<String> verdicts(ExploreResult<VmState> r) {
        return r.outcomes().stream().filter(o -> !o.text().equals("every assert holds"))
                .map(AlwaysTrueAssertTest::verdict).toList();
    }

    private static String verdict(Outcome<VmState> o) {
        return o.text() + " " + o.verdict();
    }

    private static ExploreResult<VmState> check(CompiledScenario sc) {
        return Explorer.explore(new MmuSystem(sc.program()), sc.expectations(), sc.options());
    }
}
