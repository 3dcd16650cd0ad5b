package dev.mmu.runtime.paths;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.model.Spte;
import org.junit.jupiter.api.Test;

/**
 * Which snapshots tdp_mmu_set_spte() writes by xchg: spte_has_volatile_bits() (v6.12) counts a
 * clear A bit, spte_needs_atomic_update() (v6.15+, 61d65f2dc766) does not.
 */
class VolatileBitsTest {
    private static final long DIRTY = Spte.leaf(0x1000, true, true) | Spte.DIRTY;
    private static final long CLEAN = Spte.leaf(0x1000, true, true);
    private static final long READ_ONLY = Spte.leaf(0x1000, false, true); // not MMU-writable either

    @Test
    void aClearAccessedBitNeedsAnXchgOnlyWhileItIsVolatile() {
        for (long aged : new long[] {DIRTY & ~Spte.ACCESSED, READ_ONLY & ~Spte.ACCESSED}) {
            assertThat(VolatileBits.needAtomicWrite(aged, true)).as("6.12: the CPU may set A").isTrue();
            assertThat(VolatileBits.needAtomicWrite(aged, false)).as("7.2: WRITE_ONCE").isFalse();
        }
        for (boolean accessedVolatile : new boolean[] {true, false}) {
            assertThat(VolatileBits.needAtomicWrite(CLEAN & ~Spte.ACCESSED, accessedVolatile))
                    .as("a clean writable leaf: the CPU may set D").isTrue();
            assertThat(VolatileBits.needAtomicWrite((CLEAN & ~Spte.WRITABLE) | Spte.DIRTY, accessedVolatile))
                    .as("MMU-writable: fast_page_fault() may set W").isTrue();
            assertThat(VolatileBits.needAtomicWrite(DIRTY, accessedVolatile)).as("nothing left to set").isFalse();
            assertThat(VolatileBits.needAtomicWrite(READ_ONLY, accessedVolatile)).isFalse();
            assertThat(VolatileBits.needAtomicWrite(Spte.table(3), accessedVolatile)).as("not a leaf").isFalse();
            assertThat(VolatileBits.needAtomicWrite(0, accessedVolatile)).as("not present").isFalse();
        }
    }
}
