package dev.mmu.interp.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.interp.compile.CompiledScenario;
import dev.mmu.interp.diag.Diagnostic;
import dev.mmu.runtime.explore.ExploreResult;
import dev.mmu.runtime.explore.Explorer;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.MmuSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * `symmetry vcpus` compares vCPU programs up to a consistent renaming of their locals: twins that
 * name their locals apart are interchanged as twins with equal names are (the same search, no
 * warning), and twins that differ in a real way (a constant, which local a statement uses) are
 * still left out, with the warning. The verdicts against the plain search: ReductionsAgreeTest.
 */
class SymmetryUpToLocalNamesTest {
    private static final Path FILE = Path.of("src/test/resources/soundness/symmetry-locals-named-apart.mmu");

    /** vCPU 2's lines in the file, and the same with vCPU 1's names. */
    private static final List<String[]> RENAMED = List.of(
            new String[] {"let b = count; count = b + 1;", "let a = count; count = a + 1;"},
            new String[] {"let x = count; read 0x1000; count = x + 1; let y = count; assert y == x + 1",
                "let a = count; read 0x1000; count = a + 1; let c = count; assert c == a + 1"});

    @Test
    void twinsNamedApartAreInterchangedAsTwinsNamedAlike() throws Exception {
        String apart = Files.readString(FILE);
        String alike = apart;
        for (String[] r : RENAMED) {
            assertThat(alike).contains(r[0]);
            alike = alike.replace(r[0], r[1]);
        }
        Loaded named = ScenarioLoader.load("apart.mmu", apart);
        Loaded same = ScenarioLoader.load("alike.mmu", alike);
        for (int i = 0; i < RENAMED.size(); i++) {
            CompiledScenario a = named.scenarios().get(i);
            CompiledScenario b = same.scenarios().get(i);
            assertThat(warnings(named, a)).as(a.name()).isEmpty();
            ExploreResult<VmState> apartRun = run(a, true, a.expectations());
            ExploreResult<VmState> alikeRun = run(b, true, b.expectations());
            assertThat(counts(apartRun)).as(a.name() + ": states, transitions, depth").isEqualTo(counts(alikeRun));
            assertThat(verdicts(apartRun)).as(a.name()).isEqualTo(verdicts(alikeRun));
            // Every state (a found violation stops the search): what symmetry takes away, the same for both
            long whole = run(a, true, List.of()).stats().statesStored();
            assertThat(whole).as(a.name() + ": every state").isEqualTo(run(b, true, List.of()).stats().statesStored());
            assertThat(run(a, false, List.of()).stats().statesStored()).as(a.name() + " without symmetry")
                    .isGreaterThan(whole);
        }
    }

    @Test
    void twinsThatDifferInARealWayAreStillLeftOut() {
        Loaded loaded = ScenarioLoader.load(FILE);
        for (CompiledScenario sc : loaded.scenarios().subList(RENAMED.size(), loaded.scenarios().size())) {
            assertThat(warnings(loaded, sc)).as(sc.name()).containsExactly(
                    "symmetry vcpus has nothing to interchange: no two vCPU threads run the same program");
            assertThat(counts(run(sc, true, List.of()))).as(sc.name()).isEqualTo(counts(run(sc, false, List.of())));
        }
    }

    /** The warnings on sc's `explore` block. */
    private static List<String> warnings(Loaded loaded, CompiledScenario sc) {
        int line = sc.source().scenario().explore().get(0).pos().line();
        return loaded.diagnostics().stream().filter(d -> d.pos().line() == line).map(Diagnostic::message).toList();
    }

    private static ExploreResult<VmState> run(CompiledScenario sc, boolean symmetry,
            List<dev.mmu.runtime.explore.Expectation<VmState>> expectations) {
        return Explorer.explore(new MmuSystem(sc.program()), expectations,
                sc.options().toBuilder().symmetry(symmetry).build());
    }

    private static List<Long> counts(ExploreResult<VmState> r) {
        return List.of(r.stats().statesStored(), r.stats().transitions(), (long) r.stats().maxDepth());
    }

    private static List<String> verdicts(ExploreResult<VmState> r) {
        return r.outcomes().stream().map(o -> o.text() + " " + o.verdict()).toList();
    }
}
