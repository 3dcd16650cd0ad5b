package dev.mmu.runtime.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * VmState.encode() must cover every field equals() compares, or the explorer's visited set would
 * merge distinct states. A new field fails this test until it is added to encode() (and to the
 * lists below); the examples module checks encode-equality against equals() on every example.
 */
class VmStateEncodeTest {

    private static Set<String> fields(Class<?> c) {
        return Arrays.stream(c.getDeclaredFields()).filter(f -> !Modifier.isStatic(f.getModifiers()))
                .map(Field::getName).collect(Collectors.toCollection(TreeSet::new));
    }

    @Test
    void vmStateFieldsAreAllEncoded() {
        // config is the same for every state of a system; owned, threadsOwned and hash are not part of equality.
        assertThat(fields(VmState.class)).as("VmState fields: add a new one to encode()").containsExactlyInAnyOrder(
                "config", "sps", "owned", "root", "nestedRoot", "smmRoot", "smmVcpus", "smramStart", "smramEnd", "vcpuRoots", "vcpuNestedRoots", "parkedTlbRoots",
                "parkedNestedTlbRoots", "freeObsoleteRootsRequests",
                "lpageDisallowed", "tdpMmuNxHugePages", "shadowMmuNxNrPages", "tdpMmuNxNrPages", "tlb", "psc", "hostPfn", "hostOwned", "freedPfns",
                "unmappedPfns", "hvaUnmapped", "pfnOwners", "nextPfn", "mmuWriter", "mmuReaders", "mmuQueue", "mutexOwner", "srcuReaders",
                "rcuReaders", "rcuPending", "mmuInvalidateSeq", "mmuInvalidateInProgress",
                "mmuInvalidateRangeStart", "mmuInvalidateRangeEnd", "mnActiveInvalidateCount", "stats", "commitBatch", "lockHoldWork",
                "violations", "assertFailed", "dirtyBitmap", "slotLogging", "slotInvalid", "slotDeleted", "slotStructs", "slotBase",
                "goneRanges", "dirtyLogBusy", "mmuValidGen", "invalidRoots", "tdpMmuRoots", "globals", "threads", "threadsOwned", "hash");
    }

    @Test
    void shadowPageAndThreadFieldsAreAllEncoded() {
        assertThat(fields(ShadowPage.class)).as("ShadowPage fields: add a new one to encode()")
                .containsExactlyInAnyOrder("id", "level", "gfn", "tdp", "smm", "invalid", "nxHugePageDisallowed", "status",
                        "rootCount", "gen", "parent", "parentIndex", "index", "sptes", "encoded", "hash");
        assertThat(fields(ThreadState.class)).as("ThreadState fields: add a new one to VmState.encode()")
                .containsExactlyInAnyOrder("pc", "locals", "invalidList", "holdWork", "srcuDepth", "rcuDepth", "mmuReadDepth", "unusedSp", "invalidating");
        assertThat(fields(TlbEntry.class)).containsExactlyInAnyOrder("gfn", "level", "pfn", "writable", "exec", "nested", "dirty");
        assertThat(fields(PscEntry.class)).containsExactlyInAnyOrder("regionGfn", "spId", "spGfn", "nested");
    }

    /** Symmetry sorts vCPUs by their pcs' bytes without writing them: the same order as the bytes'. */
    @Test
    void compareValuesOrdersAsTheBytes() {
        java.util.Random r = new java.util.Random(3);
        long[] edges = {0, 1, -1, 2, 63, 64, -64, -65, 127, 128, 255, 256, 8191, 8192, Long.MAX_VALUE, Long.MIN_VALUE};
        for (int i = 0; i < 100_000; i++) {
            long a = i < 256 ? edges[i % 16] : r.nextInt(3) == 0 ? r.nextLong() : r.nextInt(20_000) - 10_000;
            long b = i < 256 ? edges[i / 16] : r.nextInt(3) == 0 ? r.nextLong() : r.nextInt(20_000) - 10_000;
            int bytes = Arrays.compare(new StateWriter().value(a).toBytes(), new StateWriter().value(b).toBytes());
            assertThat(Integer.signum(StateWriter.compareValues(a, b))).as("%d vs %d", a, b).isEqualTo(Integer.signum(bytes));
        }
    }

    @Test
    void varintsRoundTripDistinctValues() {
        // Injectivity of the value encoding on a few edge cases: distinct inputs, distinct bytes.
        long[] samples = {0, 1, -1, 63, 64, -64, -65, 127, 128, Long.MAX_VALUE, Long.MIN_VALUE, 0x1000, 0x7fffffffL};
        Set<String> seen = new TreeSet<>();
        for (long v : samples) {
            seen.add(Arrays.toString(new StateWriter().value(v).toBytes()));
        }
        assertThat(seen).hasSize(samples.length);
        assertThat(new StateWriter().values(new long[] {1}).value(2).toBytes())
                .isNotEqualTo(new StateWriter().values(new long[] {1, 2}).toBytes());
    }
}
