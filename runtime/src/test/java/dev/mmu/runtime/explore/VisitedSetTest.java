package dev.mmu.runtime.explore;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Differential test of {@link VisitedSet} against {@link HashSet}: the same answer to every add
 * and the same size, for packed keys (short, long, larger than an arena chunk, cut into parts or
 * not, with colliding hashes),
 * fingerprints (including 0) and other objects, mixed. The searches' counts and traces with it
 * are compared with object keys (HashSet path) by ReductionsAgreeTest in examples/.
 */
class VisitedSetTest {

    @Test
    void agreesWithHashSet() {
        agreesWithHashSet(new VisitedSet(), 200_000);
    }

    /** Only the top 8 bits of every hash kept: equal tags and slots, different bytes, everywhere. */
    @Test
    void agreesWithHashSetWhenHashesCollide() {
        agreesWithHashSet(new VisitedSet(0xFF00_0000_0000_0000L), 20_000);
    }

    private static void agreesWithHashSet(VisitedSet set, int adds) {
        Random r = new Random(42);
        Set<Object> reference = new HashSet<>();
        List<byte[]> pool = new java.util.ArrayList<>();
        for (int i = 0; i < adds; i++) {
            Object key;
            int kind = r.nextInt(10);
            if (kind < 6) {
                byte[] b;
                if (!pool.isEmpty() && r.nextInt(3) == 0) {
                    b = pool.get(r.nextInt(pool.size())).clone(); // a duplicate, as a fresh array
                } else {
                    int len = r.nextInt(20) == 0 ? r.nextInt(3000) : r.nextInt(12);
                    if (r.nextInt(20_000) == 0) len = (256 << 10) + r.nextInt(100); // larger than a chunk
                    b = new byte[len];
                    for (int j = 0; j < len; j++) b[j] = (byte) r.nextInt(r.nextBoolean() ? 2 : 256);
                    pool.add(b);
                }
                // Cut as an encoding is, by its bytes (after each 1), or not cut (odd lengths).
                key = b.length % 2 == 1 ? new PackedKey(b) : new PackedKey(b, cutsAfterOnes(b));
            } else if (kind < 9) {
                key = r.nextInt(100) == 0 ? 0L : (long) r.nextInt(50_000) * 0x9E3779B97F4A7C15L;
            } else {
                key = "s" + r.nextInt(5000);
            }
            boolean expected = reference.add(key);
            assertThat(set.add(key)).as("add #%d", i).isEqualTo(expected);
        }
        assertThat(set.size()).isEqualTo(reference.size());
    }

    /** Cuts after every byte 1 (so parts repeat across keys, and some are empty or the whole key). */
    private static int[] cutsAfterOnes(byte[] b) {
        return java.util.stream.IntStream.range(0, b.length).filter(i -> b[i] == 1).map(i -> i + 1).toArray();
    }

    /** Varint length boundaries and the empty encoding. */
    @Test
    void emptyAndLengthBoundaries() {
        VisitedSet set = new VisitedSet();
        for (int len : new int[] {0, 1, 127, 128, 16383, 16384}) {
            byte[] b = new byte[len];
            Arrays.fill(b, (byte) 0x80);
            assertThat(set.add(new PackedKey(b))).isTrue();
            assertThat(set.add(new PackedKey(b.clone()))).isFalse();
        }
        assertThat(set.size()).isEqualTo(6);
    }

    /**
     * Hash compaction mid-way: the stored encodings become their fingerprints (the arena's bytes
     * hash as the keys' own), so every later answer is still the HashSet's (no two of these
     * 30,000 encodings share a fingerprint), and the size is kept.
     */
    @Test
    void compactKeepsEveryAnswer() {
        Random r = new Random(7);
        VisitedSet set = new VisitedSet();
        Set<Object> reference = new HashSet<>();
        List<byte[]> pool = new java.util.ArrayList<>();
        for (int i = 0; i < 60_000; i++) {
            if (i == 30_000) {
                assertThat(set.compacted()).isFalse();
                set.compact();
                assertThat(set.compacted()).isTrue();
                assertThat(set.size()).isEqualTo(reference.size());
            }
            byte[] b;
            if (!pool.isEmpty() && r.nextBoolean()) {
                b = pool.get(r.nextInt(pool.size())).clone();
            } else {
                b = new byte[r.nextInt(40)];
                r.nextBytes(b);
                pool.add(b);
            }
            boolean expected = reference.add(new PackedKey(b));
            assertThat(set.add(new PackedKey(b, cutsAfterOnes(b)))).as("add #%d", i).isEqualTo(expected);
        }
        assertThat(set.size()).isEqualTo(reference.size());
    }

    /** A key of {@code parts} two-byte parts, part i holding i (so ids pass 127 and take two bytes), part 7 holding {@code seven}. */
    private static PackedKey manyParts(int parts, int seven) {
        byte[] b = new byte[2 * parts];
        int[] cuts = new int[parts - 1];
        for (int i = 0; i < parts; i++) {
            int v = i == 7 ? seven : i;
            b[2 * i] = (byte) v;
            b[2 * i + 1] = (byte) (v >> 8);
            if (i < parts - 1) cuts[i] = 2 * i + 2;
        }
        return new PackedKey(b, cuts);
    }

    /** The first key a set sees may have more parts than its id buffer holds (ids of two bytes each). */
    @Test
    void aFreshSetTakesAKeyOfManyParts() {
        for (int parts : new int[] {13, 100, 300}) {
            VisitedSet set = new VisitedSet();
            assertThat(set.add(manyParts(parts, 7))).isTrue();
            assertThat(set.add(manyParts(parts, 7))).isFalse();
            assertThat(set.add(manyParts(parts, 1000))).as("one part differs").isTrue();
            assertThat(set.exactKeys()).isEqualTo(2);
        }
    }

    /**
     * Before compaction every key is stored exactly; after it none is, the set still knows every
     * key it had (also one longer than compaction's first buffer), and compacting again changes
     * nothing.
     */
    @Test
    void compactionOfLongKeysAndTwice() {
        VisitedSet set = new VisitedSet();
        for (int parts : new int[] {2, 100, 400}) assertThat(set.add(manyParts(parts, 7))).isTrue();
        assertThat(set.exactKeys()).isEqualTo(3);
        set.compact();
        set.compact();
        assertThat(set.exactKeys()).isZero();
        assertThat(set.size()).isEqualTo(3);
        for (int parts : new int[] {2, 100, 400}) assertThat(set.add(manyParts(parts, 7))).isFalse();
        assertThat(set.add(manyParts(400, 1000))).isTrue();
        assertThat(set.size()).isEqualTo(4);

        // One part longer than twice compaction's first buffer (a page table's SPTEs can be).
        VisitedSet big = new VisitedSet();
        byte[] b = new byte[2000];
        for (int i = 0; i < b.length; i++) b[i] = (byte) (i * 7);
        assertThat(big.add(new PackedKey(b, new int[] {1}))).isTrue();
        big.compact();
        assertThat(big.add(new PackedKey(b.clone(), new int[] {1}))).isFalse();
        b[1999]++;
        assertThat(big.add(new PackedKey(b, new int[] {1}))).isTrue();
    }
}
