package dev.mmu.runtime.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * The bytes {@link StateWriter} writes: the visited sets store them as the state, so two states
 * that differ anywhere must get different bytes, equal states the same bytes and the same cuts.
 * There is no decoder: the encodings are pinned byte for byte against {@link StateWriter#value},
 * and injectivity is checked over every small array (alone and followed by another, as
 * {@link VmState#encode} writes them back to back) and over states that differ in one place.
 */
class StateWriterTest {

    private static byte[] bytes(Consumer<StateWriter> write) {
        StateWriter w = StateWriter.detached();
        write.accept(w);
        return w.toBytes();
    }

    private static byte[] of(int... unsigned) {
        byte[] b = new byte[unsigned.length];
        for (int i = 0; i < b.length; i++) b[i] = (byte) unsigned[i];
        return b;
    }

    @Test
    void aValueIsItsZigzagAsABase128VarintLowGroupFirst() {
        assertThat(bytes(w -> w.value(0))).isEqualTo(of(0));
        assertThat(bytes(w -> w.value(-1))).isEqualTo(of(1));
        assertThat(bytes(w -> w.value(1))).isEqualTo(of(2));
        assertThat(bytes(w -> w.value(63))).isEqualTo(of(126));
        assertThat(bytes(w -> w.value(-64))).isEqualTo(of(127));
        assertThat(bytes(w -> w.value(64))).isEqualTo(of(0x80, 0x01));
        assertThat(bytes(w -> w.value(-65))).isEqualTo(of(0x81, 0x01));
        assertThat(bytes(w -> w.value(8191))).isEqualTo(of(0xFE, 0x7F));
        assertThat(bytes(w -> w.value(8192))).isEqualTo(of(0x80, 0x80, 0x01));
        assertThat(bytes(w -> w.value(Long.MAX_VALUE))).isEqualTo(of(0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01));
        assertThat(bytes(w -> w.value(Long.MIN_VALUE))).isEqualTo(of(0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01));
        assertThat(bytes(w -> w.flag(false).flag(true))).isEqualTo(of(0, 2));
    }

    @Test
    void arraysAreWrittenBehindTheirLengthDeltasAsDifferences() {
        assertThat(bytes(w -> w.values(new long[] {5, -1}))).isEqualTo(bytes(w -> w.value(2).value(5).value(-1)));
        assertThat(bytes(w -> w.values(new int[] {5, -1}))).isEqualTo(bytes(w -> w.value(2).value(5).value(-1)));
        assertThat(bytes(w -> w.values(new int[0]))).isEqualTo(of(0));
        assertThat(bytes(w -> w.deltas(new long[] {100, 101, 99}))).isEqualTo(bytes(w -> w.value(3).value(100).value(1).value(-2)));
        assertThat(bytes(w -> w.deltas(new long[0]))).isEqualTo(of(0));
    }

    /** The length, (gap from the last non-zero index, delta from its value) per non-zero entry, then 0. */
    @Test
    void aSparseArrayIsItsNonZeroEntriesAsGapsAndDeltasThenAZero() {
        assertThat(bytes(w -> w.sparse(new long[0]))).isEqualTo(of(0, 0));
        assertThat(bytes(w -> w.sparse(new long[3]))).isEqualTo(bytes(w -> w.value(3).value(0)));
        assertThat(bytes(w -> w.sparse(new long[] {7, 0, 0, 5, 5})))
                .isEqualTo(bytes(w -> w.value(5).value(1).value(7).value(3).value(-2).value(1).value(0).value(0)));
        assertThat(bytes(w -> w.sparse(new long[] {-1, -1})))
                .as("a full bitmap word").isEqualTo(bytes(w -> w.value(2).value(1).value(-1).value(1).value(0).value(0)));
    }

    /** Every array of length 0..3 over {0, 1, -1, 64}: 85 arrays. */
    private static List<long[]> smallArrays() {
        long[] vals = {0, 1, -1, 64};
        List<long[]> all = new ArrayList<>();
        all.add(new long[0]);
        for (int len = 1; len <= 3; len++) {
            int count = (int) Math.pow(vals.length, len);
            for (int code = 0; code < count; code++) {
                long[] a = new long[len];
                for (int i = 0, c = code; i < len; i++, c /= vals.length) a[i] = vals[c % vals.length];
                all.add(a);
            }
        }
        return all;
    }

    /**
     * Two arrays written back to back (as VmState writes a memslot's dirty bitmap after another's)
     * give bytes no other pair gives: a zero entry becoming non-zero, the first or the last,
     * the empty array and the full one, one more zero at the end.
     */
    @Test
    void everyArrayEncodingIsInjectiveAlsoBackToBack() {
        List<long[]> arrays = smallArrays();
        Map<String, BiConsumer<StateWriter, long[]>> kinds = Map.of(
                "values", StateWriter::values, "deltas", StateWriter::deltas, "sparse", StateWriter::sparse);
        kinds.forEach((kind, write) -> {
            Set<String> seen = new HashSet<>();
            for (long[] a : arrays) {
                for (long[] b : arrays) {
                    byte[] once = bytes(w -> {
                        write.accept(w, a);
                        write.accept(w, b);
                    });
                    byte[] again = bytes(w -> {
                        write.accept(w, a.clone());
                        write.accept(w, b.clone());
                    });
                    assertThat(again).as("%s %s %s", kind, Arrays.toString(a), Arrays.toString(b)).isEqualTo(once);
                    assertThat(seen.add(Arrays.toString(once))).as("%s %s %s", kind, Arrays.toString(a), Arrays.toString(b)).isTrue();
                }
            }
            assertThat(seen).hasSize(arrays.size() * arrays.size());
        });
    }

    @Test
    void cutsAreWherePartsEndButTheLast() {
        assertThat(StateWriter.detached().value(1).cuts()).as("no cut").isEmpty();
        assertThat(StateWriter.detached().value(1).cut().cuts()).as("a cut at the end only").isEmpty();
        assertThat(StateWriter.detached().value(1).cut().cut().cuts()).isEmpty();
        assertThat(StateWriter.detached().value(1).cut().value(64).cut().value(2).cuts()).containsExactly(1, 3);
        assertThat(StateWriter.detached().value(1).cut().value(64).cut().value(2).cut().cuts()).containsExactly(1, 3);
        assertThat(new StateWriter().value(1).cut().value(2).cut().cuts()).containsExactly(1);
        assertThat(new StateWriter().cuts()).isEmpty();
    }

    /** More cuts than the first cut list holds, on a detached writer and on the thread's scratch one. */
    @Test
    void manyCutsAreAllKept() {
        for (StateWriter w : List.of(StateWriter.detached(), new StateWriter())) {
            int[] expected = new int[100];
            for (int i = 0; i < 100; i++) {
                w.value(i % 50).cut(); // one byte each
                expected[i] = i + 1;
            }
            w.value(7);
            assertThat(w.cuts()).containsExactly(expected);
            assertThat(w.length()).isEqualTo(101);
        }
        assertThat(new StateWriter().value(1).cut().value(1).cuts()).as("a new scratch writer starts with no cuts").containsExactly(1);
    }

    /** Past the first buffer (64 bytes detached): a value of 10 bytes at a time, and raw parts. */
    @Test
    void theBufferGrowsForValuesAndRawParts() {
        for (StateWriter w : List.of(StateWriter.detached(), new StateWriter())) {
            for (int i = 0; i < 300; i++) w.value(Long.MIN_VALUE);
            byte[] b = w.toBytes();
            assertThat(b).hasSize(3000);
            assertThat(w.length()).isEqualTo(3000);
            for (int i = 0; i < 300; i++) {
                assertThat(Arrays.copyOfRange(b, 10 * i, 10 * i + 10)).isEqualTo(bytes(x -> x.value(Long.MIN_VALUE)));
            }
        }
        assertThat(new StateWriter().value(3).toBytes()).as("a new scratch writer starts empty").isEqualTo(of(6));

        byte[] part = new byte[500];
        for (int i = 0; i < part.length; i++) part[i] = (byte) i;
        StateWriter w = StateWriter.detached().value(64).raw(part).raw(new byte[0]).value(-1);
        byte[] expected = new byte[503];
        expected[0] = (byte) 0x80;
        expected[1] = 1;
        System.arraycopy(part, 0, expected, 2, 500);
        expected[502] = 1;
        assertThat(w.toBytes()).isEqualTo(expected);
        assertThat(w.length()).isEqualTo(503);
    }

    /** A cached part appended raw gives the bytes writing it again would give. */
    @Test
    void aRawPartIsTheSameAsWritingIt() {
        StateWriter part = StateWriter.detached();
        part.values(new long[] {3, 200}).sparse(new long[] {0, 9});
        StateWriter outer = new StateWriter();
        outer.value(1).cut();
        outer.raw(part.toBytes()).cut().value(2);
        assertThat(outer.toBytes()).isEqualTo(bytes(w -> w.value(1).values(new long[] {3, 200}).sparse(new long[] {0, 9}).value(2)));
        assertThat(outer.cuts()).containsExactly(1, 1 + part.length());
    }

    // The same at the state level: VmState.encode over states that differ in one place.

    private static final Memslot SLOT_0 = new Memslot(0, 0, 128, Level.PG_LEVEL_4K, true, false);
    private static final Memslot SLOT_1 = new Memslot(1, 128, 128, Level.PG_LEVEL_4K, true, false);
    private static final VmConfig VM = new VmConfig(Mmu.TDP, false, 1, true, 4, List.of(SLOT_0, SLOT_1), 2);

    private static VmState state(Consumer<VmState> change) {
        VmState s = new VmState(VM, 2, new int[] {3, 3}, 4);
        change.accept(s);
        return s;
    }

    private record Encoded(byte[] bytes, int[] cuts) {}

    private static Encoded encode(VmState s) {
        StateWriter w = new StateWriter();
        s.encode(w, 0, null);
        return new Encoded(w.toBytes(), w.cuts());
    }

    /**
     * A dirty bit at the first and last page of each slot's bitmap, a full bitmap, a host pfn at
     * the first and last backing page, a TLB entry on one vCPU or the other, a local at the first
     * and the last slot of one thread or the other: each a state of its own, with bytes of its
     * own; built twice, the same bytes and the same cuts.
     */
    @Test
    void statesThatDifferInOnePlaceEncodeApartAndEqualStatesAlike() {
        Map<String, Consumer<VmState>> changes = new java.util.LinkedHashMap<>();
        changes.put("none", s -> { });
        for (int slot = 0; slot < 2; slot++) {
            int sl = slot;
            for (long page : new long[] {0, 63, 64, 127}) {
                changes.put("dirty " + slot + " " + page, s -> s.markDirty(sl, page));
            }
            changes.put("dirty " + slot + " all", s -> {
                for (int p = 0; p < 128; p++) s.markDirty(sl, p);
            });
            changes.put("dirty " + slot + " first word", s -> {
                for (int p = 0; p < 64; p++) s.markDirty(sl, p);
            });
        }
        for (int page : new int[] {0, 3}) {
            changes.put("host pfn " + page, s -> s.setHostPfn(page, 0x1000));
            changes.put("host pfn " + page + " other", s -> s.setHostPfn(page, 0x1001));
        }
        changes.put("host pfns 0 and 3", s -> {
            s.setHostPfn(0, 0x1000);
            s.setHostPfn(3, 0x1000);
        });
        for (int v = 0; v < 2; v++) {
            int vcpu = v;
            changes.put("tlb " + v, s -> s.tlb[vcpu] = new TlbEntry[] {new TlbEntry(1, 1, 0x1001, true, true, false)});
        }
        for (int t = 0; t < 2; t++) {
            int thread = t;
            for (int local : new int[] {0, 2}) {
                changes.put("local " + t + " " + local, s -> s.threadForWrite(thread).locals[local] = 1);
            }
            changes.put("pc " + t, s -> s.threadForWrite(thread).pc = 1);
            // a failed link's sp not freed: a leak the thread's end reports, not the clean state
            changes.put("unused sp " + t, s -> s.threadForWrite(thread).unusedSp = 1);
            // an invalidation begun and not ended: lock_balance at the thread's end
            changes.put("invalidating " + t, s -> s.threadForWrite(thread).invalidating = 1);
        }
        changes.put("global 0", s -> s.setGlobal(0, 1));
        changes.put("global 1", s -> s.setGlobal(1, 1));

        Map<String, String> byBytes = new HashMap<>();
        int cutCount = -1;
        for (Map.Entry<String, Consumer<VmState>> c : changes.entrySet()) {
            VmState s = state(c.getValue());
            Encoded e = encode(s);
            Encoded again = encode(state(c.getValue()));
            assertThat(state(c.getValue())).isEqualTo(s);
            assertThat(again.bytes()).as(c.getKey()).isEqualTo(e.bytes());
            assertThat(again.cuts()).as(c.getKey()).isEqualTo(e.cuts());
            assertThat(e.bytes()).as(c.getKey()).isEqualTo(s.encode());
            String other = byBytes.put(Arrays.toString(e.bytes()), c.getKey());
            assertThat(other).as("%s encodes as %s", c.getKey(), other).isNull();
            if (cutCount < 0) cutCount = e.cuts().length;
            assertThat(e.cuts()).as("the same parts for every state of one system: " + c.getKey()).hasSize(cutCount);
        }
    }
}
