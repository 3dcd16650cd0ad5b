package dev.mmu.interp.compile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.interp.run.Loaded;
import dev.mmu.interp.run.ScenarioLoader;
import dev.mmu.interp.run.ScenarioResult;
import dev.mmu.interp.run.ScenarioResult.Status;
import dev.mmu.interp.run.ScenarioRunner;
import org.junit.jupiter.api.Test;

/**
 * What the readers of docs/language.md ("reading the state") evaluate to, each where a wrong
 * compile would flip the verdict: the first memslot (position 0), vCPU 0, a knob turned on. Found
 * missing by the interpreter's mutation profile (ExprCompiler); what they declare they read is
 * ExpectationReadsTest's.
 */
class ExprValuesTest {

    private static ScenarioResult run(String body) {
        Loaded loaded = ScenarioLoader.load("values.mmu", "scenario \"values\" {\n" + body + "\n}\n");
        assertThat(loaded.hasErrors()).as(loaded.diagnostics().toString()).isFalse();
        return new ScenarioRunner().run(loaded.scenarios().get(0));
    }

    private static void holds(String body) {
        ScenarioResult r = run(body);
        assertThat(r.error()).isNull();
        assertThat(r.status()).as(r.outcomes().toString()).isEqualTo(Status.PASS);
    }

    @Test
    void theFirstMemslotIsReadAsItIsNotAsAnIdNoSlotHas() {
        holds("""
                memslot 0 { gpa 0x200000 size 2M }
                memslot 1 { gpa 0x400000 size 4K }
                thread vcpu 0 { read 0x201000 }
                expect always id_to_memslot(0).npages == 512 && id_to_memslot(1).npages == 1
                expect always id_to_memslot(0).base_gfn == 0x200 && id_to_memslot(1).base_gfn == 0x400
                expect always id_to_memslot(0).userspace_addr == 0x200000
                expect always id_to_memslot(7).npages == 0 && id_to_memslot(7).base_gfn == 0
                expect always id_to_memslot(7).userspace_addr == 0
                """);
    }

    @Test
    void hostFreedIsTheHostsAnswer() {
        holds("""
                memslot 0 { gpa 0x0 size 2M }
                setup { vcpu 0 read 0x0; vcpu 0 read 0x1000 }
                thread host { mmu_notifier_invalidate 0x0 .. 0x1000; host_free 0x0 .. 0x1000 }
                expect final host(0x0).freed && !host(0x1000).freed
                expect reachable !host(0x0).freed
                """);
    }

    @Test
    void machineKnobsAndVcpusAreTheMachines() {
        holds("""
                vm { pml on }
                vcpus 2
                memslot 0 { gpa 0x0 size 2M }
                thread vcpu 0 { read 0x1000 }
                expect always vm.pml && vcpus == 2 && vm.vcpus == 2
                """);
        holds("""
                memslot 0 { gpa 0x0 size 2M }
                thread vcpu 0 { read 0x1000 }
                expect always !vm.pml
                """);
    }

    /** The anonymous enum of arch/x86/kvm/mmu/mmu_internal.h (v7.2, as v6.12), written out from the kernel. */
    @Test
    void pageFaultResultsAreTheKernelsEnum() {
        holds("""
                memslot 0 { gpa 0x0 size 2M }
                thread vcpu 0 { read 0x1000 }
                expect always RET_PF_CONTINUE == 0 && RET_PF_RETRY == 1 && RET_PF_EMULATE == 2
                expect always RET_PF_WRITE_PROTECTED == 3 && RET_PF_INVALID == 4
                expect always RET_PF_FIXED == 5 && RET_PF_SPURIOUS == 6
                """);
    }

    /**
     * is_access_allowed() runs only when the walk finds a present leaf at its target level: the
     * fault that finds the leaf the other vCPU's fault made and its write dirtied (7.2) leaves it
     * alone (examples/tdp/spurious-fault-7.2.mmu).
     */
    @Test
    void aFaultThatFindsALeafThatAllowsItsAccessIsSpurious() {
        holds("""
                vm {
                  nx_huge_pages off
                  kernel 7.2
                }
                memslot 0 { gpa 0x0 size 2M backing 4K }
                vcpus 2
                thread vcpu 0 { write 0x1000 }
                thread vcpu 1 { write 0x1000 }
                expect always !tlb(0, 0x1000).writable || spte(0x1000).dirty
                expect reachable tlb(0, 0x1000).writable && tlb(1, 0x1000).writable
                """);
    }

    /** tlb(0, ...) names vCPU 0 as tlb(2, ...) names vCPU 2: symmetry leaves it out and interchanges the others. */
    @Test
    void aTlbReadNamesItsVcpuEvenVcpuZero() {
        Loaded loaded = ScenarioLoader.load("named.mmu", """
                scenario "named" {
                  memslot 0 { gpa 0x0 size 2M }
                  vcpus 3
                  thread vcpu 0 { read 0x1000 }
                  thread vcpu 1 { read 0x1000 }
                  thread vcpu 2 { read 0x1000 }
                  expect always !tlb(0, 0x1000) || spte(0x1000).present
                  explore { symmetry vcpus }
                }
                """);
        assertThat(loaded.hasErrors()).as(loaded.diagnostics().toString()).isFalse();
        assertThat(loaded.diagnostics()).singleElement().satisfies(d -> assertThat(d.message())
                .isEqualTo("symmetry vcpus leaves out vCPU 0 (thread vcpu 0): named by an expectation"));
    }
}
