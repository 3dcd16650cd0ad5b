package dev.mmu.interp.compile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.interp.diag.Diagnostic;
import dev.mmu.interp.run.Loaded;
import dev.mmu.interp.run.ScenarioLoader;
import dev.mmu.runtime.paths.Op;
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
                DynamicTest.dynamicTest(p.name() + " by position", () -> compiles(p, call(p, false))),
                DynamicTest.dynamicTest(p.name() + " by name", () -> compiles(p, call(p, true)))));
    }

    @Test
    void aDefaultedArgumentMayBeLeftOutAndCompilesAsTheDefault() {
        assertThat(ops(scenario("let f = tdp_zap_range(0, 512, false)")))
                .isEqualTo(ops(scenario("let f = tdp_zap_range(0, 512, false, true)")))
                .isNotEqualTo(ops(scenario("let f = tdp_zap_range(0, 512, false, false)")));
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
            case ITER -> "iter";
            case VOID -> throw new AssertionError(q);
        }).toList();
        String call = p.name() + "(" + String.join(", ", args) + ")";
        return p.returns() == Primitive.Type.VOID ? call : "let r = " + call;
    }

    /**
     * A fault path's primitive compiles in a patched kvm_tdp_mmu_map, inside the fault's walk; one of
     * fast_page_fault's in a patched fast_page_fault.
     */
    private static void compiles(Primitive p, String statement) {
        if (p.params().stream().noneMatch(q -> q.type() == Primitive.Type.FAULT)) {
            compiles(statement);
            return;
        }
        if (p.name().contains("fast_pf")) {
            Loaded loaded = ScenarioLoader.load("call.mmu", """
                    path fast_page_fault(fault: fault) {
                      let ret = 4
                      %s
                    }

                    scenario "s" {
                      memslot 0 { gpa 0x0 size 2M }
                      thread vcpu 0 { write 0x1000 }
                      expect never lockdep
                    }
                    """.formatted(statement));
            assertThat(loaded.diagnostics()).as(statement).isEmpty();
            assertThat(loaded.scenarios()).as(statement).hasSize(1);
            return;
        }
        Loaded loaded = ScenarioLoader.load("call.mmu", """
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
                """.formatted(statement));
        assertThat(loaded.diagnostics()).as(statement).isEmpty();
        assertThat(loaded.scenarios()).as(statement).hasSize(1);
    }

    private static void compiles(String statement) {
        Loaded loaded = ScenarioLoader.load("call.mmu", scenario(statement));
        assertThat(loaded.diagnostics()).as(statement).isEmpty();
        assertThat(loaded.scenarios()).as(statement).hasSize(1);
    }

    private static String scenario(String statement) {
        return """
                global g = 0

                path call_it() {
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
                  thread t { call_it() }
                  expect never lockdep
                }
                """.formatted(statement);
    }

    private static List<String> ops(String text) {
        Loaded loaded = ScenarioLoader.load("ops.mmu", text);
        assertThat(loaded.diagnostics()).isEmpty();
        Op[] ops = loaded.scenarios().get(0).program().threads().get(0).ops();
        return Arrays.stream(ops).map(Op::describe).filter(d -> !d.startsWith("f = ")).toList(); // the call's text
    }
}
