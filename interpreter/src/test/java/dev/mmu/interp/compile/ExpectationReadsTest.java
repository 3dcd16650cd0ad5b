package dev.mmu.interp.compile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.interp.run.Loaded;
import dev.mmu.interp.run.ScenarioLoader;
import dev.mmu.runtime.model.Stat;
import dev.mmu.runtime.paths.Resource;
import org.junit.jupiter.api.Test;

/**
 * What the expectations read (Program#expectationReads): a step that writes it is visible to
 * partial-order reduction and stays a step of its own under step merging.
 */
class ExpectationReadsTest {

    private static long reads(String expectation) {
        Loaded loaded = ScenarioLoader.load("reads.mmu", """
                scenario "reads" {
                  memslot 0 { gpa 0x0 size 2M }
                  thread vcpu 0 { read 0x1000 }
                  %s
                }
                """.formatted(expectation));
        assertThat(loaded.hasErrors()).as(loaded.diagnostics().toString()).isFalse();
        return loaded.scenarios().get(0).program().expectationReads();
    }

    @Test
    void aConditionCheckedOnEveryStateIsReadWhetherItIsExpectedToHoldOrToFail() {
        long spte = Resource.SPTE.bit();
        long stats = Resource.STATS.bit();
        long flushes = Resource.STAT_REMOTE_TLB_FLUSH.bit();
        assertThat(reads("expect always spte(0x1000).present") & spte).isNotZero();
        assertThat(reads("expect fails always spte(0x1000).present") & spte).as("a bad state is looked for on every state")
                .isNotZero();
        assertThat(reads("expect reachable stat.remote_tlb_flush == 1") & stats).as("that counter only").isEqualTo(flushes);
        assertThat(reads("expect fails reachable stat.remote_tlb_flush == 1") & stats).isEqualTo(flushes);
        for (Stat st : Stat.values()) {
            assertThat(reads("expect reachable stat." + st + " == 1") & stats).as("stat.%s", st).isEqualTo(Resource.of(st).bit());
        }
        assertThat(reads("expect final spte(0x1000).present")).as("terminal states only").isZero();
    }

    @Test
    void accessedDirtyAndWritableReadTheBitsThatChangeWithoutMmuLock() {
        long access = Resource.SPTE_ACCESS.bit();
        for (String bit : new String[] {"writable", "accessed", "dirty"}) {
            assertThat(reads("expect always spte(0x1000)." + bit) & access).as(bit).isNotZero();
        }
        assertThat(reads("expect always spte(0x1000).present") & access).isZero();
        assertThat(reads("expect always spte(0x1000).level == 1") & access).isZero();
        // MMU-writable changes only under mmu_lock, Host-writable never while the SPTE is present
        assertThat(reads("expect always spte(0x1000).mmu_writable") & access).isZero();
        assertThat(reads("expect always spte(0x1000).host_writable") & access).isZero();
    }
}
