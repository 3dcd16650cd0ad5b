package dev.mmu.runtime.paths;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.Level;
import dev.mmu.runtime.model.Memslot;
import dev.mmu.runtime.model.Mmu;
import dev.mmu.runtime.model.VmConfig;
import dev.mmu.runtime.paths.MmuOps.Access;
import org.junit.jupiter.api.Test;

/**
 * The host side of guest memory (hva_to_pfn, zap_page_range between the notifier's halves, the
 * free at the end of munmap): which pages a free releases decides whether KVM's remaining
 * mappings are a use after free.
 */
class HostTest {
    static final long SZ_2M = 0x200000L;
    /** Two 2M hugetlb pages at gpa 0 (gfns 0..1023). */
    static final VmConfig VM = InvariantsTest.vm(Mmu.TDP, false, 1, new Memslot(0, 0, 1024, Level.PG_LEVEL_2M, false, false));

    static void read(PathBuilder b, long gpa) {
        FaultPaths.guestAccess(b, VM, 0, Access.READ, Expr.constant(gpa));
    }

    static void invalidate(PathBuilder b, long start, long end) {
        KernelFixtures.mmuNotifierInvalidate(b, Expr.constant(start), Expr.constant(end));
    }

    static void free(PathBuilder b, long start, long end) {
        HostPaths.hostFree(b, Expr.constant(start), Expr.constant(end));
    }

    /**
     * The unmap and the free of a 4K-backed range touch each hva page's entry in a sorted set once:
     * one copy-and-sort per page made a 2M range's step allocate megabytes (trial7: a shadow-MMU
     * memslot-delete scenario grew a 2 GB heap and ran 3x longer than with -Xmx512m).
     */
    @Test
    void unmapAndFreeOfA4kBackedRangeAllocateLittle() {
        VmConfig vm4k = InvariantsTest.vm(Mmu.TDP, false, 1, new Memslot(0, 0, 4096, Level.PG_LEVEL_4K, false, false));
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long[] bytes = new long[2];
        for (int round = 0; round < 2; round++) { // the first round loads and compiles the classes
            long before = threads.getCurrentThreadAllocatedBytes();
            Run unmapped = Run.of(vm4k, s -> { }, b -> {
                KernelFixtures.mmuNotifierInvalidate(b, Expr.constant(0x800000), Expr.constant(0x1000000));
                KernelFixtures.mmuNotifierInvalidate(b, Expr.constant(0), Expr.constant(0x800000));
            });
            assertThat(unmapped.s.hvaUnmapped).as("every hva page, sorted").hasSize(4096).isSorted();
            Run half = Run.of(vm4k, s -> { }, b -> {
                KernelFixtures.mmuNotifierInvalidate(b, Expr.constant(0), Expr.constant(0x1000000));
                HostPaths.hostFree(b, Expr.constant(0), Expr.constant(0x800000));
            });
            assertThat(half.s.hvaUnmapped).as("the free forgets the pages of its range only").hasSize(2048)
                    .startsWith(2048L).isSorted();
            Run r = Run.of(vm4k, s -> { }, b -> {
                KernelFixtures.mmuNotifierInvalidate(b, Expr.constant(0), Expr.constant(0x1000000));
                HostPaths.hostFree(b, Expr.constant(0), Expr.constant(0x1000000));
            });
            bytes[round] = threads.getCurrentThreadAllocatedBytes() - before;
            assertThat(r.s.hvaUnmapped).as("the free forgets the unmapped hva pages").isEmpty();
        }
        assertThat(bytes[1]).as("bytes allocated for 4096 hva pages").isLessThan(4_000_000L);
    }

    @Test
    void aFreeWithoutAnInvalidationFreesThePageKvmStillMaps() {
        Run r = Run.of(VM, s -> read(s, 0x0), b -> {
            free(b, 0, SZ_2M);
            read(b, 0x1000);
        });
        assertThat(r.trace()).contains("host faults in pfn 0x1000")
                .contains("host frees pfns 0x1000..0x11ff, still mapped at the hva (no invalidation)");
        assertThat(r.hostFreed(0x0)).isTrue();
        assertThat(r.hostFreed(SZ_2M)).as("the other 2M page was never freed").isFalse();
        assertThat(r.spte(0x0, "pfn")).as("the SPTE still maps the freed page").isEqualTo(0x1000);
        assertThat(r.violated(Invariant.use_after_free)).isTrue();
    }

    @Test
    void aPageFaultedInAfterTheInvalidationIsANewMappingTheFreeLeaves() {
        Run r = Run.of(VM, s -> read(s, 0x0), b -> {
            invalidate(b, 0, SZ_2M);
            read(b, 0x0);
            free(b, 0, SZ_2M);
        });
        assertThat(r.trace()).contains("host unmaps pfns 0x1000..0x11ff").contains("host frees pfns 0x1000..0x11ff\n");
        long now = r.spte(0x0, "pfn");
        assertThat(now).as("a new host page behind gpa 0").isNotEqualTo(0x1000).isNotZero();
        assertThat(r.hostFreed(0x0)).isFalse();
        assertThat(r.s.isFreedPfn(0x1000, 512)).isTrue();
        assertThat(r.s.isFreedPfn(now, 512)).isFalse();
        assertThat(r.violated(Invariant.use_after_free)).isFalse();
    }

    @Test
    void aSecondFreeWithoutInvalidationFreesTheNewMappingToo() {
        // Two invalidations of the same range: the hva was unmapped once, the page faulted in
        // after them is one new mapping, which the first free leaves and the second frees.
        Run r = Run.of(VM, s -> read(s, 0x0), b -> {
            invalidate(b, 0, SZ_2M);
            invalidate(b, 0, SZ_2M);
            read(b, 0x0);
            free(b, 0, SZ_2M);
            free(b, 0, SZ_2M);
        });
        assertThat(r.hostFreed(0x0)).isTrue();
        assertThat(r.s.isFreedPfn(r.spte(0x0, "pfn"), 512)).as("the SPTE maps the page the second free released").isTrue();
    }

    @Test
    void unmappedPagesAreFreedRangeByRange() {
        for (boolean highFirst : new boolean[] {true, false}) {
            Run r = Run.of(VM, s -> {
                read(s, 0x0);
                read(s, SZ_2M);
            }, b -> {
                invalidate(b, 0, 2 * SZ_2M);
                if (highFirst) free(b, SZ_2M, 2 * SZ_2M);
                else free(b, 0, SZ_2M);
            });
            assertThat(r.hostFreed(0x0)).as("high first %s", highFirst).isEqualTo(!highFirst);
            assertThat(r.hostFreed(SZ_2M)).as("high first %s", highFirst).isEqualTo(highFirst);
            Run both = Run.of(VM, s -> {
                read(s, 0x0);
                read(s, SZ_2M);
            }, b -> {
                invalidate(b, 0, 2 * SZ_2M);
                free(b, highFirst ? SZ_2M : 0, highFirst ? 2 * SZ_2M : SZ_2M);
                free(b, highFirst ? 0 : SZ_2M, highFirst ? SZ_2M : 2 * SZ_2M);
            });
            assertThat(both.hostFreed(0x0)).as("high first %s", highFirst).isTrue();
            assertThat(both.hostFreed(SZ_2M)).as("high first %s", highFirst).isTrue();
            assertThat(both.s.unmappedPfns).isEmpty();
        }
    }

    @Test
    void theFreeRecognisesANewMappingWhateverOrderTheHvasWereUnmappedIn() {
        Run r = Run.of(VM, s -> {
            read(s, 0x0);
            read(s, SZ_2M);
        }, b -> {
            invalidate(b, SZ_2M, 2 * SZ_2M);
            invalidate(b, 0, SZ_2M);
            read(b, 0x0);
            free(b, 0, SZ_2M);
        });
        assertThat(r.hostFreed(0x0)).isFalse();
        assertThat(r.violated(Invariant.use_after_free)).isFalse();
    }

    @Test
    void aFreeOfMemoryNeverFaultedInFreesNothing() {
        Run r = Run.of(VM, b -> free(b, 0, 2 * SZ_2M));
        assertThat(r.s.freedPfns).isEmpty();
        assertThat(r.hostFreed(0x0)).isFalse();
    }

    @Test
    void aHugePageFaultedInAtAnUnalignedGpaIsOwnedByItsAlignedHva() {
        Run r = Run.of(VM, s -> read(s, 0x1f0000), b -> {
            invalidate(b, 0, SZ_2M);
            free(b, 0, SZ_2M);
        });
        assertThat(r.hostFreed(0x0)).isTrue();
        assertThat(r.hostFreed(0x1f0000)).isTrue();
    }

    @Test
    void eachMemslotHasItsOwnBackingPages() {
        VmConfig two = InvariantsTest.vm(Mmu.TDP, false, 1, InvariantsTest.SMALL, InvariantsTest.SMALL_1);
        Run r = Run.of(two, b -> {
            FaultPaths.guestAccess(b, two, 0, Access.READ, Expr.constant(0x3000));
            FaultPaths.guestAccess(b, two, 0, Access.READ, Expr.constant(SZ_2M + 0x3000));
            free(b, 0x3000, 0x4000);
        });
        assertThat(r.trace()).contains("host frees pfn 0x1000, still mapped");
        assertThat(r.hostFreed(0x3000)).isTrue();
        assertThat(r.hostFreed(SZ_2M + 0x3000)).isFalse();
        assertThat(r.trace()).contains("host faults in pfn 0x1000;").contains("host faults in pfn 0x1001;");
        assertThat(r.spte(0x3000, "pfn")).isEqualTo(0x1000);
        assertThat(r.spte(SZ_2M + 0x3000, "pfn")).isEqualTo(0x1001);
        assertThat(Host.backingPage(two, 3)).isEqualTo(3);
        assertThat(Host.backingPage(two, 512 + 3)).isEqualTo(512 + 3);
        assertThatThrownBy(() -> Host.backingPage(two, 1024)).isInstanceOf(ScenarioError.class)
                .hasMessageContaining("gpa 0x400000 is in no memslot");
    }
}
