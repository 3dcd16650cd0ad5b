package dev.mmu.interp.compile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.interp.check.Frontend;
import dev.mmu.interp.diag.Diagnostic;
import dev.mmu.interp.run.FileResult;
import dev.mmu.interp.run.Loaded;
import dev.mmu.interp.run.ScenarioLoader;
import dev.mmu.interp.run.ScenarioResult;
import dev.mmu.interp.run.ScenarioResult.Status;
import dev.mmu.interp.run.ScenarioRunner;
import dev.mmu.runtime.explore.Verdict;
import dev.mmu.runtime.paths.Footprint;
import dev.mmu.runtime.paths.Op;
import dev.mmu.runtime.paths.Ops;
import dev.mmu.runtime.paths.Resource;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The kernel's WARN_ON_ONCE()/WARN_ON(): a statement or an if's condition, the always-on kernel_warning. */
class WarnOnOnceTest {
    private static final String MACHINE = """
            scenario "s" {
              vm { mmu tdp }
              memslot 0 { gpa 0x0 size 2M backing 4K }
              vcpus 1
              PATHS
              thread vcpu 0 { read 0x1000; BODY }
              EXPECT
            }
            """;

    private static String scenario(String paths, String body, String expect) {
        return MACHINE.replace("PATHS", paths).replace("BODY", body).replace("EXPECT", expect);
    }

    /**
     * kvm_tdp_mmu_map() that runs out of its walk at the target level splats (tdp_mmu.c:1293): one
     * that goes on after it, and the trial-14 patch (no goto retry) where a second fault finds the
     * leaf already there. The prelude's does not.
     */
    @Test
    void aWalkThatRunsOutAtTheTargetLevelWarnsAndThePreludesDoesNot() {
        FileResult r = new ScenarioRunner().runFile(Path.of("src/test/resources/soundness/warn-tdp-map-loop-runs-out.mmu"));
        assertThat(r.scenarios()).extracting(ScenarioResult::status).containsExactly(Status.FAIL, Status.FAIL, Status.PASS);
        assertThat(r.scenarios().get(1).outcomes()).extracting(o -> o.text() + ": " + o.verdict())
                .containsExactly("never stats_consistent: PASS", "never kernel_warning: FAIL");
        ScenarioResult patched = r.scenarios().get(0);
        assertThat(patched.outcomes()).extracting(o -> o.text() + ": " + o.verdict())
                .containsExactly("never stats_consistent: PASS", "never kernel_warning: FAIL");
        ScenarioResult.OutcomeResult warn = patched.outcomes().get(1);
        assertThat(warn.note()).contains("a WARN splat is a bug (syzbot runs with panic_on_warn)");
        assertThat(String.join("\n", warn.steps().stream().map(ScenarioResult.Step::text).toList()))
                .contains("kernel_warning: WARNING: at ", "warn-tdp-map-loop-runs-out.mmu:",
                        " kvm_tdp_mmu_map(): WARN_ON_ONCE(iter.level == fault.goal_level)");
    }

    /**
     * A copy without the step-down test and without the goto retry after the target level, two
     * faults on one page: the later one reached tdp_mmu_link_sp() over the present 4K leaf and the
     * model split it ("internal error: no leaf at level 0"); it is refused, naming the kernel's test.
     */
    @Test
    void aLinkOverAPresent4kLeafIsRefusedNamingTheMissingTest() throws Exception {
        String copy = """
                path kvm_tdp_mmu_map(fault: fault) {
                  rcu_read_lock()
                  for iter in tdp_mmu_for_each_pte(fault) {
                    if iter.level == fault.goal_level {
                      tdp_mmu_map_handle_target_level(fault, iter)
                    }
                    if tdp_mmu_link_sp(fault, iter) != 0 {
                      goto retry
                    }
                  }
                retry:
                  rcu_read_unlock()
                }
                """;
        String text = scenario(copy, "", "expect never stats_consistent").replace("vcpus 1", "vcpus 2")
                .replace("thread vcpu 0 { read 0x1000;  }", "thread vcpu 0 { read 0x1000 }\n  thread vcpu 1 { read 0x1000 }");
        Path file = java.nio.file.Files.createTempFile("link", ".mmu");
        java.nio.file.Files.writeString(file, text);
        FileResult r = new ScenarioRunner().runFile(file);
        java.nio.file.Files.delete(file);
        assertThat(r.scenarios()).isEmpty();
        assertThat(r.diagnostics()).singleElement().extracting(Diagnostic::message).asString()
                .contains("cannot run: tdp_mmu_link_sp() over a present 4K SPTE", "!is_large_pte(iter.old_spte)) continue;");
    }

    /** Named by an expectation, it is the scenario's own: `expect violation kernel_warning` passes. */
    @Test
    void anExpectationNamingItDecidesIt() throws Exception {
        String fires = scenario("", "WARN_ON_ONCE(spte(0x1000).present)", "expect violation kernel_warning");
        assertThat(run(fires)).isEqualTo(Verdict.PASS);
        String holds = scenario("", "WARN_ON(!spte(0x1000).present)", "expect never kernel_warning");
        assertThat(run(holds)).isEqualTo(Verdict.PASS);
        assertThat(run(scenario("", "WARN_ON(spte(0x1000).present)", "expect never nx_exec_huge"))).isEqualTo(Verdict.FAIL);
    }

    /**
     * Beside `expect terminates` alone too: its states pass counted terminates as a state
     * expectation decided, stopped after one state, and the fair-cycle pass checks no watch.
     */
    @Test
    void aWarnIsCheckedBesideExpectTerminatesAlone() throws Exception {
        assertThat(run(scenario("", "WARN_ON_ONCE(spte(0x1000).present)", "expect terminates"))).isEqualTo(Verdict.FAIL);
        assertThat(run(scenario("", "WARN_ON_ONCE(!spte(0x1000).present)", "expect terminates"))).isEqualTo(Verdict.PASS);
    }

    /** `if WARN_ON_ONCE(c) { .. }` warns and branches on c, as the kernel's if (WARN_ON_ONCE(c)). */
    @Test
    void asAnIfsConditionItIsItsConditionsValue() throws Exception {
        String body = "if WARN_ON_ONCE(spte(0x1000).present) { assert spte(0x1000).present } else { assert false }";
        assertThat(run(scenario("", body, "expect violation kernel_warning"))).isEqualTo(Verdict.PASS);
        String taken = "if WARN_ON_ONCE(!spte(0x1000).present) { assert false } else { assert spte(0x1000).present }";
        assertThat(run(scenario("", taken, "expect never kernel_warning"))).isEqualTo(Verdict.PASS);
    }

    /** The WARN op reads exactly what its condition reads (and may set a violation bit, as every check). */
    @Test
    void itsFootprintIsItsConditions() {
        Ops.Warn shared = onlyWarn(scenario("", "WARN_ON_ONCE(spte(0x1000).present)", ""), "spte(0x1000)");
        Loaded plain = ScenarioLoader.load("s.mmu", scenario("", "if spte(0x1000).present { }", ""));
        Op test = opsOf(plain).stream().filter(o -> o instanceof Ops.JumpUnless && o.describe().contains("spte(0x1000)"))
                .findFirst().orElseThrow();
        assertThat(shared.footprint()).isEqualTo(test.footprint().andUpdates(Resource.VIOLATIONS));
        assertThat(shared.footprint().reads()).isNotZero();
        Ops.Warn local = onlyWarn(scenario("", "let x = 1; WARN_ON_ONCE(x == 2)", ""), "(x == 2)");
        assertThat(local.footprint()).isEqualTo(Footprint.LOCAL.andUpdates(Resource.VIOLATIONS));
    }

    /** WARN_ON_ONCE(false) compiles to nothing, as a known assert: no op, no step, no verdict changed. */
    @Test
    void aWarnKnownFalseIsNoOp() {
        Loaded with = ScenarioLoader.load("s.mmu", scenario("", "WARN_ON_ONCE(false); WARN_ON(1 == 2)", ""));
        Loaded without = ScenarioLoader.load("s.mmu", scenario("", "", ""));
        assertThat(with.hasErrors()).as("%s", with.diagnostics()).isFalse();
        assertThat(opsOf(with)).extracting(Op::describe).isEqualTo(opsOf(without).stream().map(Op::describe).toList());
    }

    @Test
    void badWarnsAreErrorsAtTheirPlace() {
        assertThat(errors("WARN_ON_ONCE()")).singleElement().asString()
                .contains(":6:32: error: WARN_ON_ONCE() takes one condition, unnamed");
        assertThat(errors("WARN_ON_ONCE(3)")).singleElement().asString()
                .contains(":6:45: error: WARN_ON_ONCE()'s condition must be a bool, found an int");
        assertThat(errors("WARN_ON(spte(0x1000).present, true)")).singleElement().asString()
                .contains("WARN_ON() takes one condition");
        assertThat(errors("let w = WARN_ON_ONCE(true)")).singleElement().asString()
                .contains(":6:40: error: WARN_ON_ONCE() stands as a statement or as an if's whole condition");
        assertThat(errors("if !WARN_ON(true) { }")).singleElement().asString()
                .contains("WARN_ON() stands as a statement or as an if's whole condition");
    }

    private static List<String> errors(String body) {
        return new Frontend().load("s.mmu", scenario("", body, "")).diagnostics().stream()
                .filter(Diagnostic::isError).map(d -> d.pos() + ": error: " + d.message()).toList();
    }

    private static Verdict run(String text) throws java.io.IOException {
        Path file = java.nio.file.Files.createTempFile("warn", ".mmu");
        java.nio.file.Files.writeString(file, text);
        FileResult r = new ScenarioRunner().runFile(file);
        java.nio.file.Files.delete(file);
        assertThat(r.scenarios()).hasSize(1);
        return r.scenarios().get(0).status() == Status.PASS ? Verdict.PASS : Verdict.FAIL;
    }

    private static Ops.Warn onlyWarn(String text, String cond) {
        // the read's own fault runs the prelude's WARNs too
        List<Op> warns = opsOf(ScenarioLoader.load("s.mmu", text)).stream()
                .filter(o -> o instanceof Ops.Warn w && w.text().contains(cond)).toList();
        assertThat(warns).hasSize(1);
        return (Ops.Warn) warns.get(0);
    }

    private static List<Op> opsOf(Loaded loaded) {
        assertThat(loaded.hasErrors()).as("%s", loaded.diagnostics()).isFalse();
        List<Op> out = new ArrayList<>();
        for (var t : loaded.scenarios().get(0).program().threads()) out.addAll(List.of(t.ops()));
        return out;
    }
}
