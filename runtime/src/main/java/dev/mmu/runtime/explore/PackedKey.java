package dev.mmu.runtime.explore;

import java.util.Arrays;

/**
 * A visited-set key made of a state's exact byte encoding (see {@link TransitionSystem#key}):
 * one small array instead of the state's object graph.
 */
public final class PackedKey {
    private final byte[] bytes;
    private final int hash;

    public PackedKey(byte[] bytes) {
        this(bytes, Arrays.hashCode(bytes));
    }

    /**
     * With a hash the caller already has (for example the state's cached hashCode); it must be
     * equal for equal byte strings.
     */
    public PackedKey(byte[] bytes, int hash) {
        this.bytes = bytes;
        this.hash = hash;
    }

    /** A 64-bit FNV-1a fingerprint of the bytes, mixed (for hash compaction). */
    public long fingerprint() {
        long h = 0xcbf29ce484222325L;
        for (byte b : bytes) {
            h = (h ^ (b & 0xff)) * 0x100000001b3L;
        }
        return Fingerprints.mix(h);
    }

    /** The encoding itself (not copied: callers must not change it). */
    byte[] bytes() {
        return bytes;
    }

    public int length() {
        return bytes.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PackedKey k && hash == k.hash && Arrays.equals(bytes, k.bytes);
    }

    @Override
    public int hashCode() {
        return hash;
    }
}
