package dev.mmu.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.interp.compile.CompiledScenario;
import dev.mmu.interp.run.Loaded;
import dev.mmu.interp.run.ScenarioLoader;
import dev.mmu.runtime.explore.ExploreResult;
import dev.mmu.runtime.explore.Explorer;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.MmuSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * An example file against a variant of its text (prelude functions pasted in another shape): each
 * scenario gives the same verdicts, states, transitions and depth. EarlyReturnShapesTest and
 * GotoShapesTest use it to show that a form of the language is no step of its own.
 */
final class SameRows {

    private SameRows() {
    }

    /** Every scenario of f, as written and as {@code variant} (f's text with the pasted paths), described as {@code shape}. */
    static void check(Path f, String variant, String shape) {
        check(f, read(f), variant, shape);
    }

    /** The same for two variants of f's text: {@code text} stands for f as written. */
    static void check(Path f, String text, String variant, String shape) {
        Loaded original = ScenarioLoader.load(f.toString(), text);
        assertThat(original.hasErrors()).as("%s: %s", f, original.diagnostics()).isFalse();
        Loaded changed = ScenarioLoader.load(f.toString(), variant);
        assertThat(changed.hasErrors()).as("%s %s: %s", f, shape, changed.diagnostics()).isFalse();
        assertThat(changed.scenarios()).hasSameSizeAs(original.scenarios());
        for (int i = 0; i < original.scenarios().size(); i++) {
            CompiledScenario before = original.scenarios().get(i);
            ExploreResult<VmState> was = explore(before);
            ExploreResult<VmState> now = explore(changed.scenarios().get(i));
            String what = f + ": " + before.name() + ", " + shape;
            // verdicts, not traces: a user path's statements have positions of their own
            assertThat(verdicts(now)).as("%s: verdicts", what).isEqualTo(verdicts(was));
            assertThat(Scenarios.counts(now)).as("%s: states, transitions, depth", what).isEqualTo(Scenarios.counts(was));
        }
    }

    static String read(Path f) {
        try {
            return Files.readString(f);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static List<String> verdicts(ExploreResult<VmState> r) {
        return r.outcomes().stream().map(o -> o.text() + " " + o.verdict()).toList();
    }

    private static ExploreResult<VmState> explore(CompiledScenario sc) {
        return Explorer.explore(new MmuSystem(sc.program()), sc.expectations(), sc.options());
    }
}
