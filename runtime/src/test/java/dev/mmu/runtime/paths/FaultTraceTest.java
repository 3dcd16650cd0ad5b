package dev.mmu.runtime.paths;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.Mmu;
import dev.mmu.runtime.model.VmConfig;
import dev.mmu.runtime.paths.MmuOps.Access;
import org.junit.jupiter.api.Test;

/**
 * What a counterexample trace says about a guest access: a TLB hit, a hardware walk, or an EPT
 * violation through kvm_faultin_pfn and the map step (kvm_tdp_mmu_map / direct_map), and an access
 * to no memslot (emulated MMIO).
 */
class FaultTraceTest {
    static final VmConfig TDP = InvariantsTest.vm(Mmu.TDP, false, 2, InvariantsTest.SMALL);

    static void access(PathBuilder b, VmConfig c, int vcpu, Access kind, long gpa) {
        FaultPaths.guestAccess(b, c, vcpu, kind, Expr.constant(gpa));
    }

    @Test
    void aFaultThenAWalkThenATlbHit() {
        Run r = Run.of(TDP, b -> {
            access(b, TDP, 0, Access.READ, 0x3000);
            access(b, TDP, 1, Access.READ, 0x3000);
            access(b, TDP, 1, Access.READ, 0x3000);
        });
        assertThat(r.trace()).contains("vCPU 0 read 0x3000: EPT violation")
                .contains("kvm_faultin_pfn: mmu_seq=0, pfn 0x1000")
                .contains("kvm_tdp_mmu_map gfn 0x3")
                .contains("vCPU 0 read 0x3000: walk -> 4K pfn 0x1000, TLB filled")
                .contains("vCPU 1 read 0x3000: walk -> 4K pfn 0x1000, TLB filled")
                .contains("vCPU 1 read 0x3000: TLB hit -> pfn 0x1000");
    }

    @Test
    void theShadowMmuMapsWithDirectMapAndL2AccessesAreMarked() {
        VmConfig shadow = InvariantsTest.vm(Mmu.SHADOW, false, 1, InvariantsTest.SMALL);
        assertThat(Run.of(shadow, b -> access(b, shadow, 0, Access.WRITE, 0x5000)).trace()).contains("direct_map gfn 0x5")
                .contains("vCPU 0 write 0x5000");
        VmConfig both = InvariantsTest.vm(Mmu.BOTH, false, 1, InvariantsTest.SMALL);
        Run nested = Run.of(both, b -> FaultPaths.guestAccess(b, both, 0, Access.EXEC, Expr.constant(0x5000), true));
        assertThat(nested.trace()).contains("vCPU 0 (L2) exec 0x5000").contains("direct_map gfn 0x5");
    }

    @Test
    void anAccessToNoMemslotIsEmulatedMmio() {
        Run r = Run.of(TDP, b -> access(b, TDP, 0, Access.READ, 0x400000));
        assertThat(r.trace()).contains("no memslot for gfn 0x400: emulated MMIO");
        assertThat(Tlbs.lookup(r.s, 0, 0x400)).isNull();
    }

    @Test
    void aWalkToAPageTheHostFreedIsAUseAfterFree() {
        Run r = Run.of(TDP, s -> access(s, TDP, 0, Access.READ, 0x3000), b -> {
            HostPaths.hostFree(b, Expr.constant(0x3000), Expr.constant(0x4000));
            KernelFixtures.flushRemoteTlbs(b);
            access(b, TDP, 1, Access.READ, 0x3000);
        });
        assertThat(r.trace()).contains("vCPU 1 read 0x3000: walk -> 4K pfn 0x1000");
        assertThat(r.violated(Invariant.use_after_free)).isTrue();
    }
}
