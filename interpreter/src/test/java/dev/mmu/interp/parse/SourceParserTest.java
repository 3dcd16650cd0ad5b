package dev.mmu.interp.parse;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.interp.ast.Expectation;
import dev.mmu.interp.ast.Expr;
import dev.mmu.interp.ast.Scenario;
import dev.mmu.interp.ast.SourceFile;
import dev.mmu.interp.ast.Stmt;
import dev.mmu.interp.ast.VmSetting;
import dev.mmu.interp.diag.Diagnostic;
import dev.mmu.interp.diag.Diagnostics;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class SourceParserTest {

    @Test
    void parsesThePreFixSeed() throws IOException {
        SourceFile file = parseClean("seed-yield-pre-fix.mmu", resource("/seed/seed-yield-pre-fix.mmu"));

        assertThat(file.paths()).singleElement().satisfies(p -> assertThat(p.name().name()).isEqualTo("recover_nx_lpages_pre_fix"));
        Scenario s = file.scenarios().get(0);
        assertThat(s.memslots()).hasSize(1);
        assertThat(((Expr.IntLit) s.memslots().get(0).size().orElseThrow()).value()).isEqualTo(4L << 20);
        assertThat(s.threads()).extracting(t -> t.name()).containsExactly("recovery", "host", "vcpu 1");
        assertThat(s.expectations()).singleElement().isInstanceOf(Expectation.Violation.class);
        Stmt.CallStmt invalidate = (Stmt.CallStmt) s.threads().get(1).body().statements().get(0);
        assertThat(invalidate.command()).isTrue();
        assertThat(invalidate.call().args()).singleElement()
                .satisfies(a -> assertThat(a.value()).isInstanceOf(Expr.Range.class));
    }

    /**
     * A for loop whose iterator is not a name (found by FrontendFuzzTest: `t---dp_mmu_roots`) is an
     * error at its position, not a NullPointerException in the message's suggestions.
     */
    @Test
    void aForLoopOverAnExpressionIsAnError() {
        Diagnostics d = new Diagnostics();
        SourceParser.parse("f.mmu", "path p() {\n  for r in t--dp_mmu_roots {\n  }\n}\n", d);
        assertThat(d.sorted()).isNotEmpty().allSatisfy(x -> assertThat(x.pos().line()).isPositive());
    }

    @Test
    void parsesTheFixedSeed() throws IOException {
        SourceFile file = parseClean("seed-yield-fixed.mmu", resource("/seed/seed-yield-fixed.mmu"));

        Stmt recovery = file.scenarios().get(0).threads().get(0).body().statements().get(0);
        assertThat(recovery).isInstanceOfSatisfying(Stmt.CallStmt.class,
                c -> assertThat(c.call().name().name()).isEqualTo("kvm_recover_nx_lpages"));
    }

    @Test
    void newlinesSeparateABareCommandFromTheNextStatement() {
        SourceFile file = parseClean("t.mmu", """
                path p() {
                  lock write
                  kvm_flush_remote_tlbs
                  unlock
                  kvm_flush_remote_tlbs
                  x = 1
                }
                """);

        assertThat(file.paths().get(0).body().statements()).extracting(st -> st.getClass().getSimpleName())
                .containsExactly("Lock", "CallStmt", "Unlock", "CallStmt", "Assign");
    }

    @Test
    void parsesEveryStatementAndExpressionForm() {
        SourceFile file = parseClean("t.mmu", """
                @slow @nested
                scenario "all" for vcpus in [2, 3], ratio in [1, 4] {
                  vm { mmu both; nx_huge_pages off; nx_recovery_ratio ratio; eager_page_split on; tdp_levels 5; preempt none }
                  memslot 1 { gpa 1G size 2M backing 2M flags dirty_log, readonly }
                  explore { preemptions <= 3; strategy pct; runs 100; seed 42; max_states 1_000_000; time 30s; symmetry vcpus }
                  path walk(start: int, end) {
                    let flush = false
                    for iter in tdp_pte(root, start .. end) {
                      if iter.level == 1 && !iter.present { break } else if iter.leaf { flush |= true } else { }
                      flush = tdp_mmu_iter_cond_resched(flush)
                    }
                    while flush { flush = false }
                    repeat 2 { atomic { assert spte(0x1000).level >= 1 || tlb(1, 0x1000) } }
                    lock read slots_lock; unlock slots_lock
                    if need_resched { yield } else { rcu_read_lock(); rcu_read_unlock() }
                    vcpu 0 write 0x2000 + 4K * 2 - (1 | 2) % 3
                  }
                  thread vcpu 0 { exec 0x1000 }
                  expect always host(0x1000).freed == false
                  expect final invalid_list.len == 0
                  expect reachable lpage_disallowed.len != 0
                  expect terminates
                  expect max commit_batch <= 8
                }
                """);

        Scenario s = file.scenarios().get(0);
        assertThat(s.tags()).containsExactly("slow", "nested");
        assertThat(s.outline()).extracting(v -> v.name().name()).containsExactly("vcpus", "ratio");
        assertThat(s.vm()).hasSize(6);
        assertThat(s.vm().get(5)).isEqualTo(new VmSetting.Preempt(s.vm().get(5).pos(), VmSetting.PreemptModel.NONE));
        assertThat(s.explore()).hasSize(7);
        assertThat(s.expectations()).hasSize(5);
        assertThat(s.paths().get(0).body().statements()).hasSize(8);
    }

    @Test
    void reportsSeveralSyntaxErrorsInOneRun() {
        Diagnostics diagnostics = new Diagnostics();
        SourceParser.parse("bad.mmu", """
                scenario "a" {
                  vm { mmu tdpx }
                  thread t { read }
                }
                scenario "b" {
                  vcpus 2
                """, diagnostics);

        List<Diagnostic> errors = diagnostics.sorted();
        assertThat(errors).hasSizeGreaterThanOrEqualTo(3);
        assertThat(errors).extracting(d -> d.pos().line()).contains(2, 3, 6);
        assertThat(errors.get(errors.size() - 1).message())
                .isEqualTo("expected '}' to close the scenario opened at line 5, found end of file");
    }

    private static SourceFile parseClean(String name, String text) {
        Diagnostics diagnostics = new Diagnostics();
        SourceFile file = SourceParser.parse(name, text, diagnostics).orElse(null);
        assertThat(diagnostics.sorted()).isEmpty();
        return file;
    }

    private static String resource(String path) throws IOException {
        try (InputStream in = SourceParserTest.class.getResourceAsStream(path)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
