package dev.mmu.runtime.explore;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A visited-set key made of a state's exact byte encoding (see {@link TransitionSystem#key}):
 * one small array instead of the state's object graph, with one 64-bit hash of the bytes that
 * serves as the hash and as the hash compaction fingerprint, and optionally where the encoding's
 * parts end ({@link VisitedSet} stores each part once). Equality is the bytes'.
 */
public final class PackedKey {
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long K1 = 0xC2B2AE3D27D4EB4FL;
    private static final long K2 = 0x9E3779B97F4A7C15L;

    private final byte[] bytes;
    /**
     * Computed when first asked for (0: not yet): a visited set storing the parts hashes them
     * itself, so most keys never need it. Volatile: keys cross threads in the parallel search.
     */
    private volatile long hash;
    private final int[] cuts;

    public PackedKey(byte[] bytes) {
        this(bytes, (int[]) null);
    }

    /**
     * @param cuts where each part of the encoding but the last ends, ascending, or null (one
     *             part); a function of the bytes (the same bytes are always cut the same way),
     *             so that a visited set may store the parts apart
     */
    public PackedKey(byte[] bytes, int[] cuts) {
        this(bytes, 0, cuts);
    }

    /** With a given hash, equal for equal byte strings (tests use it to force collisions). */
    PackedKey(byte[] bytes, long hash) {
        this(bytes, hash, null);
    }

    private PackedKey(byte[] bytes, long hash, int[] cuts) {
        this.bytes = bytes;
        this.hash = hash;
        this.cuts = cuts;
    }

    /**
     * The 64-bit hash of {@code len} bytes from {@code off}: eight bytes per round (xxHash64's
     * round on one lane), the length mixed in first so that zero-padded tails differ, then the
     * SplitMix64 finaliser. One pass, word by word: several times cheaper than a byte-wise hash.
     */
    static long hash64(byte[] b, int off, int len) {
        long h = K2 ^ len;
        int i = off;
        int end = off + len;
        for (; i + 8 <= end; i += 8) {
            h = Long.rotateLeft(h ^ ((long) LONGS.get(b, i) * K1), 31) * K2;
        }
        long tail = 0;
        for (int shift = 0; i < end; i++, shift += 8) {
            tail |= (b[i] & 0xffL) << shift;
        }
        return Fingerprints.mix(Long.rotateLeft(h ^ (tail * K1), 31) * K2);
    }

    /** The 64-bit hash, used as the fingerprint under hash compaction. */
    public long fingerprint() {
        long h = hash;
        if (h == 0) {
            h = hash64(bytes, 0, bytes.length);
            hash = h;
        }
        return h;
    }

    /** The encoding itself (not copied: callers must not change it). */
    byte[] bytes() {
        return bytes;
    }

    /** Where the parts end (not copied), or null: one part. */
    int[] cuts() {
        return cuts;
    }

    public int length() {
        return bytes.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PackedKey k && fingerprint() == k.fingerprint() && Arrays.equals(bytes, k.bytes);
    }

    @Override
    public int hashCode() {
        long h = fingerprint();
        return (int) (h ^ (h >>> 32));
    }
}
