package dev.mmu.interp.prelude;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.interp.run.Loaded;
import dev.mmu.interp.run.ScenarioLoader;
import dev.mmu.interp.run.ScenarioResult;
import dev.mmu.interp.run.ScenarioRunner;
import dev.mmu.runtime.paths.Op;
import dev.mmu.runtime.paths.Ops;
import dev.mmu.runtime.paths.Program;
import dev.mmu.runtime.paths.VcpuSymmetry;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The prelude's vcpu_enter_guest() (kernel/x86.mmu, v6.12) as each vCPU's access compiles it: calls
 * on the access's vCPU (Ops.VcpuCall), so that twin vCPUs stay interchangeable; a vCPU another
 * thread names leaves their class; a user path of a built-in's name replaces it.
 */
class VcpuEnterGuestPreludeTest {
    /** A scenario's name, its own paths and its threads. */
    private static final String SCENARIO = """
            scenario "%s" {
              memslot 0 { gpa 0x0 size 2M }
              vcpus 2
              setup {
                vcpu 0 read 0x1000
                vcpu 1 read 0x1000
              }
              %s
              %s
              expect never freed_root_in_use
              expect never lockdep
            }
            """;

    private static Loaded load(String paths, String threads) {
        String text = paths + "\n" + SCENARIO.formatted("enter guest", "", threads);
        Loaded loaded = ScenarioLoader.load("enter-guest.mmu", text);
        assertThat(loaded.diagnostics()).isEmpty();
        return loaded;
    }

    private static Program program(Loaded loaded) {
        return loaded.scenarios().get(0).program();
    }

    private static final String ZAP_AND_TWO_READERS =
            "thread zap { kvm_mmu_zap_all_fast }\n  thread vcpu 0 { read 0x1000 }\n  thread vcpu 1 { read 0x1000 }";

    @Test
    void eachVcpuCallsThePrimitivesOnItsOwnVcpuAndTheTwinsStayInterchangeable() {
        Program p = program(load("", ZAP_AND_TWO_READERS));
        for (int t = 1; t <= 2; t++) {
            int vcpu = t - 1;
            List<Ops.VcpuCall> calls = Arrays.stream(p.threads().get(t).ops()).map(VcpuEnterGuestPreludeTest::unwrap)
                    .filter(Ops.VcpuCall.class::isInstance).map(Ops.VcpuCall.class::cast).toList();
            assertThat(calls).extracting(c -> c.primitive().name()).containsExactly("kvm_check_request_free_obsolete_roots",
                    "is_obsolete_root", "root_hpa_valid", "mmu_free_root_page", "root_hpa_valid",
                    "tdp_mmu_get_or_alloc_root", "flush_tlb_current");
            assertThat(calls).allSatisfy(c -> assertThat(c.vcpu()).isEqualTo(vcpu));
        }
        assertThat(VcpuSymmetry.limits(p)).as("the vCPU is in no local and no argument").isEmpty();
    }

    /** Before vcpu_id was a compile-time vCPU, kvm_vcpu_set_smm()'s footprint named none: symmetry kept vCPU 1. */
    @Test
    void aVcpuThatAnotherThreadPutsInSmmLeavesTheSymmetryClass() {
        Program p = program(load("", ZAP_AND_TWO_READERS + "\n  thread t { kvm_smm_changed(1, true) }"));
        assertThat(VcpuSymmetry.limits(p)).containsExactly(
                "leaves out vCPU 1 (thread vcpu 1): named by `kvm_vcpu_set_smm()` in thread t");
    }

    @Test
    void aVcpuIdIsAConstantNamingAVcpuOfTheMachine() {
        String text = """
                scenario "bad" {
                  memslot 0 { gpa 0x0 size 2M }
                  vcpus 2
                  thread t {
                    let v = 1
                    %s
                  }
                }
                """;
        assertThat(ScenarioRunner.render(ScenarioLoader.load("bad.mmu", text.formatted("kvm_smm_changed(2, true)"))))
                .contains("bad.mmu:6:21: error: no vCPU 2: the machine has vcpus 2");
        assertThat(ScenarioRunner.render(ScenarioLoader.load("bad.mmu", text.formatted("kvm_smm_changed(v, true)"))))
                .contains("bad.mmu:6:21: error: a vCPU here is a constant (vcpu_id)");
    }

    /** A user's kvm_mmu_free_roots() without read_lock(): every vCPU that frees its obsolete root runs it. */
    @Test
    void aUserPathOfABuiltInsNameReplacesItAtGuestEntry() {
        String unlocked = "path kvm_mmu_free_roots(vcpu_id: int, guest_mmu: bool) {\n  mmu_free_root_page(vcpu_id)\n}";
        ScenarioResult patched = new ScenarioRunner().run(load(unlocked, ZAP_AND_TWO_READERS).scenarios().get(0));
        assertThat(patched.outcomes()).extracting(o -> o.text() + ": " + o.verdict()).containsExactly(
                "never freed_root_in_use: PASS", "never lockdep: FAIL");
        ScenarioResult kernel = new ScenarioRunner().run(load("", ZAP_AND_TWO_READERS).scenarios().get(0));
        assertThat(kernel.status()).isEqualTo(ScenarioResult.Status.PASS);
    }

    /** The same copy inside one scenario: that scenario's guest entries run it, the file's other scenario the kernel's. */
    @Test
    void aScenariosPathOfABuiltInsNameReplacesItThereOnly() {
        String unlocked = "path kvm_mmu_free_roots(vcpu_id: int, guest_mmu: bool) {\n  mmu_free_root_page(vcpu_id)\n}";
        Loaded file = ScenarioLoader.load("both.mmu", SCENARIO.formatted("patched", unlocked, ZAP_AND_TWO_READERS)
                + SCENARIO.formatted("today", "", ZAP_AND_TWO_READERS));
        assertThat(file.diagnostics()).isEmpty();
        ScenarioRunner runner = new ScenarioRunner();
        assertThat(runner.run(file.scenarios().get(0)).outcomes()).extracting(o -> o.text() + ": " + o.verdict())
                .containsExactly("never freed_root_in_use: PASS", "never lockdep: FAIL");
        assertThat(runner.run(file.scenarios().get(1)).status()).isEqualTo(ScenarioResult.Status.PASS);
    }

    /**
     * kvm_tdp_mmu_alloc_root() under write_lock(): its walk asserts only lockdep_assert_held() (tdp_mmu_next_root(),
     * v7.2), so either mode passes; the primitive asserted the read lock until session 35 (alloc2 trial).
     */
    @Test
    void aTdpRootAllocatedUnderTheWriteLockIsNoLockdep() {
        String write = "path kvm_tdp_mmu_alloc_root(vcpu_id: int) {\n  lock write\n  tdp_mmu_get_or_alloc_root(vcpu_id)\n  unlock\n}";
        ScenarioResult patched = new ScenarioRunner().run(load(write, ZAP_AND_TWO_READERS).scenarios().get(0));
        assertThat(patched.outcomes()).extracting(o -> o.text() + ": " + o.verdict()).containsExactly(
                "never freed_root_in_use: PASS", "never lockdep: PASS");
        String none = "path kvm_tdp_mmu_alloc_root(vcpu_id: int) {\n  tdp_mmu_get_or_alloc_root(vcpu_id)\n}";
        assertThat(new ScenarioRunner().run(load(none, ZAP_AND_TWO_READERS).scenarios().get(0)).outcomes())
                .extracting(o -> o.text() + ": " + o.verdict()).contains("never lockdep: FAIL");
    }

    private static Op unwrap(Op op) {
        return op instanceof Ops.Atomic a ? a.inner() : op;
    }
}
