package dev.mmu.interp.compile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.interp.diag.Diagnostic;
import dev.mmu.interp.run.Loaded;
import dev.mmu.interp.run.ScenarioLoader;
import dev.mmu.runtime.paths.Op;
import dev.mmu.runtime.paths.Ops;
import dev.mmu.runtime.paths.Primitive;
import dev.mmu.runtime.paths.Primitives;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every primitive the runtime's registry declares can be called from a path as declared, by
 * position and by name, and compiles: a primitive the compiler expands needs its case there, and
 * the checker's arity and types come from the same declaration.
 */
class PrimitiveCallsTest {

    @TestFactory
    Stream<DynamicTest> everyPrimitiveChecksAndCompiles() {
        assertThat(Primitives.all()).isNotEmpty();
        return Primitives.all().values().stream().flatMap(p -> Stream.of(
                DynamicTest.dynamicTest(p.name() + " by position", () -> compiles(p, statement(p, false))),
                DynamicTest.dynamicTest(p.name() + " by name", () -> compiles(p, statement(p, true)))));
    }

    /** The primitives expanded into a loop: their value is a local of the loop (the flush it owes). */
    private static final List<String> LOOPS = List.of("tdp_zap_range", "wrprot_gfn_range",
            "tdp_mmu_iter_cond_resched", "tdp_mmu_iter_cond_resched_unguarded");

    /**
     * Every primitive that returns a value may be an if's or while's whole condition, in each form;
     * each that runs as one op tests its value in that op, whatever the primitive (no list of names
     * in the compiler): no local holds it, so no state keeps it after its use.
     */
    @TestFactory
    Stream<DynamicTest> everyPrimitiveReturningAValueIsAConditionWithoutALocal() {
        return Primitives.all().values().stream().filter(p -> p.returns() != Primitive.Type.VOID).flatMap(p -> (
                p.returns() == Primitive.Type.BOOL ? Stream.of("if %s {\n  assert true\n}",
                        "if !%s {\n  assert true\n} else {\n  assert true\n}", "if %s == false {\n  assert true\n}",
                        "while %s {\n  break\n}")
                        : Stream.of("if %s != 0 {\n  assert true\n}", "if %s == 0 {\n  assert true\n} else {\n  assert true\n}",
                        "while %s != 0 {\n  break\n}")
        ).map(form -> DynamicTest.dynamicTest(p.name() + ": " + form.lines().findFirst().orElseThrow(), () -> {
            Loaded loaded = compiles(p, form.formatted(call(p, false)));
            if (LOOPS.contains(p.name())) return;
            for (var t : loaded.scenarios().get(0).program().threads()) {
                assertThat(t.localNames()).as(form).doesNotContain(p.name() + "()");
            }
        })));
    }

    /** A user-written condition on a primitive (not one the prelude uses) is that primitive's op, jumping. */
    @Test
    void aUserWrittenPrimitiveConditionIsTheCallsOwnBranch() {
        Loaded loaded = ScenarioLoader.load("cond.mmu", scenario("if !is_tdp_mmu_page(sp) {\n  assert false\n}"));
        assertThat(loaded.diagnostics()).isEmpty();
        var thread = loaded.scenarios().get(0).program().threads().get(0);
        assertThat(thread.localNames()).doesNotContain("is_tdp_mmu_page()");
        var branch = Arrays.stream(thread.ops()).filter(o -> o instanceof Ops.Call c && c.primitive().name().equals("is_tdp_mmu_page"))
                .map(o -> (Ops.Call) o).toList();
        assertThat(branch).hasSize(1);
        assertThat(branch.get(0).result()).as("no local").isEqualTo(-1);
        assertThat(branch.get(0).negate()).isTrue();
        assertThat(branch.get(0).unless()).as("past the assert").isEqualTo(Arrays.asList(thread.ops()).indexOf(branch.get(0)) + 2);
        assertThat(ops(scenario("let r = is_tdp_mmu_page(sp)"))).as("as a value, it stores into a local")
                .contains("is_tdp_mmu_page()");
    }

    @Test
    void aDefaultedArgumentMayBeLeftOutAndCompilesAsTheDefault() {
        assertThat(ops(scenario("let f = tdp_zap_range(0, 512, false)")))
                .isEqualTo(ops(scenario("let f = tdp_zap_range(0, 512, false, true)")))
                .isNotEqualTo(ops(scenario("let f = tdp_zap_range(0, 512, false, false)")));
    }

    /**
     * C's short circuit: with can_yield passed false, `can_yield && tdp_mmu_iter_cond_resched()`
     * never calls, so never yields (the OOM reaper's notifier); `true || ...` neither. Hoisting the
     * call before the test would yield anyway.
     */
    @Test
    void aLeftOperandKnownWhenCompilingDecidesWithoutTheCallOnTheRight() {
        List<String> without = ops(canYield("assert true", "false"));
        assertThat(ops(canYield("if can_yield && tdp_mmu_iter_cond_resched(false) {\n  assert false\n}", "false")))
                .isEqualTo(without);
        assertThat(ops(canYield("if !can_yield || tdp_mmu_iter_cond_resched(false) {\n  assert true\n} else {\n"
                + "  assert false\n}", "false"))).as("true || ...").isEqualTo(without);
        assertThat(ops(canYield("let r = can_yield && tdp_mmu_iter_cond_resched(false)", "false")))
                .as("as a value: one op, its source text").hasSameSizeAs(ops(canYield("let r = false", "false")))
                .doesNotContain("tdp_mmu_iter_cond_resched()");
        assertThat(ops(canYield("if can_yield && tdp_mmu_iter_cond_resched(false) {\n  assert false\n}", "true")))
                .as("passed true, the call runs").isNotEqualTo(without);
    }

    @Test
    void aMissingArgumentIsReportedWithTheDeclaredSignature() {
        Loaded loaded = ScenarioLoader.load("missing.mmu", scenario("let f = tdp_zap_range(0, 512)"));
        assertThat(loaded.diagnostics()).map(Diagnostic::message).containsExactly(
                "primitive 'tdp_zap_range' needs 'flush' (start_gfn: int, end_gfn: int, flush: bool, can_yield: bool = true)");
    }

    /**
     * A statement calling p with an argument of each parameter's type: the sp and iter of the loops
     * around it; try_cmpxchg's ptr is the file's global and its old a local; a memslot id, a
     * memslot's new base and a vcpu_id are constants.
     */
    private static String statement(Primitive p, boolean named) {
        return p.returns() == Primitive.Type.VOID ? call(p, named) : "let r = " + call(p, named);
    }

    private static String call(Primitive p, boolean named) {
        boolean cmpxchg = p.name().equals("try_cmpxchg");
        List<String> args = p.params().stream().map(q -> (named ? q.name() + ": " : "") + switch (q.type()) {
            case INT -> cmpxchg && q.name().equals("ptr") ? "g" : cmpxchg && q.name().equals("old") ? "o"
                    : q.name().equals("slot") || q.name().equals("base_gpa") || q.name().equals(Primitive.VCPU_ID)
                    ? "0" // memslot ids, gpas, vCPUs: constants
                    : q.name().equals("min_level") ? "1" : "iter.gfn"; // wrprot_gfn_range's level: a constant
            case BOOL -> "true"; // tdp_zap_range's can_yield must be a constant
            case SP -> "sp";
            case FAULT -> "fault";
            case ITER, SHADOW_ITER -> "iter";
            case LOCK -> "mmu_lock"; // lockdep_assert_held*(): a lock keyword
            case VOID -> throw new AssertionError(q);
        }).toList();
        return p.name() + "(" + String.join(", ", args) + ")";
    }

    /**
     * A fault path's primitive (one that takes the fault or its walk's iter) compiles in a patched
     * kvm_tdp_mmu_map, inside the fault's walk; one of
     * fast_page_fault's in a patched fast_page_fault.
     */
    private static Loaded compiles(Primitive p, String statement) {
        // tdp_mmu_set_spte_atomic(iter, new_spte) takes the fault walk's iter alone
        if (p.params().stream().noneMatch(q -> q.type() == Primitive.Type.FAULT || q.type() == Primitive.Type.ITER)) {
            // A renamed primitive's older name is called by a kernel that has it (Prelude.PRIMITIVE_RENAMES).
            boolean older = dev.mmu.runtime.paths.Prelude.primitiveRenamedIn(dev.mmu.runtime.paths.Prelude.LATEST, p.name()).isPresent();
            if (!older) return compiles(statement);
            Loaded loaded = ScenarioLoader.load("call.mmu", scenario(statement).replace("scenario \"s\" {\n",
                    "scenario \"s\" {\n  vm { kernel 6.12 }\n"));
            assertThat(loaded.diagnostics()).as(statement).isEmpty();
            assertThat(loaded.scenarios()).as(statement).hasSize(1);
            return loaded;
        }
        String text;
        if (p.name().contains("fast_pf")) {
            text = """
                    path fast_page_fault(fault: fault) {
                      let ret = 4
                      %s
                    }

                    scenario "s" {
                      memslot 0 { gpa 0x0 size 2M }
                      thread vcpu 0 { write 0x1000 }
                      expect never lockdep
                    }
                    """.formatted(statement.replace("\n", "\n  "));
        } else if (p.params().stream().anyMatch(q -> q.type() == Primitive.Type.SHADOW_ITER)) {
            text = """
                    path direct_map(fault: fault) {
                      for iter in for_each_shadow_entry(fault) {
                        %s
                        break
                      }
                    }

                    scenario "s" {
                      vm { mmu shadow }
                      memslot 0 { gpa 0x0 size 2M }
                      thread vcpu 0 { read 0x1000 }
                      expect never lockdep
                    }
                    """.formatted(statement.replace("\n", "\n    "));
        } else {
            text = """
                    path kvm_tdp_mmu_map(fault: fault) {
                      rcu_read_lock()
                      for iter in tdp_mmu_for_each_pte(fault) {
                        %s
                        break
                      }
                      rcu_read_unlock()
                    }

                    scenario "s" {
                      memslot 0 { gpa 0x0 size 2M }
                      thread vcpu 0 { read 0x1000 }
                      expect never lockdep
                    }
                    """.formatted(statement.replace("\n", "\n    "));
        }
        Loaded loaded = ScenarioLoader.load("call.mmu", text);
        assertThat(loaded.diagnostics()).as(statement).isEmpty();
        assertThat(loaded.scenarios()).as(statement).hasSize(1);
        return loaded;
    }

    private static Loaded compiles(String statement) {
        Loaded loaded = ScenarioLoader.load("call.mmu", scenario(statement));
        assertThat(loaded.diagnostics()).as(statement).isEmpty();
        assertThat(loaded.scenarios()).as(statement).hasSize(1);
        return loaded;
    }

    private static String scenario(String statement) {
        return scenario("", statement, "");
    }

    /** The statement in a path that takes {@code can_yield}, called with {@code value}. */
    private static String canYield(String statement, String value) {
        return scenario("can_yield: bool", statement, value);
    }

    private static String scenario(String params, String statement, String args) {
        return """
                global g = 0

                path call_it(%s) {
                  let o = 0
                  lock write
                  for sp in lpage_disallowed take 1 {
                    for iter in tdp_pte(root, 0 .. 512) {
                      %s
                    }
                  }
                  unlock
                }

                scenario "s" {
                  memslot 0 { gpa 0x0 size 2M }
                  thread t { call_it(%s) }
                  expect never lockdep
                }
                """.formatted(params, statement.replace("\n", "\n          "), args);
    }

    private static List<String> ops(String text) {
        Loaded loaded = ScenarioLoader.load("ops.mmu", text);
        assertThat(loaded.diagnostics()).isEmpty();
        Op[] ops = loaded.scenarios().get(0).program().threads().get(0).ops();
        return Arrays.stream(ops).map(Op::describe).filter(d -> !d.startsWith("f = ")).toList(); // the call's text
    }
}
