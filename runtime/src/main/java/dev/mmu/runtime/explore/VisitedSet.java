package dev.mmu.runtime.explore;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

/**
 * The visited set of the exhaustive searches (DFS, BFS), without one object per state where the
 * key allows it:
 * <ul>
 *   <li>{@link PackedKey}s: the bytes are copied into a chunked byte arena (a varint length, then
 *       the encoding) and an open-addressing table (linear probing) holds each entry's arena
 *       address and hash; no per-state HashMap node, key object or array header;
 *   <li>{@link Long}s (hash compaction fingerprints): an open-addressing table of longs that grows
 *       by half, so that it stays between half and three quarters full: 11-16 bytes a state;
 *   <li>anything else (state objects, canonical states of other systems): a {@link HashSet}.
 * </ul>
 * Exact: a PackedKey is equal to another PackedKey only (same hash and bytes) and a Long to an
 * equal Long, so splitting the keys by type changes no answer of {@link #add}; until
 * {@link #compact}, after which PackedKeys are stored as their fingerprints.
 */
public final class VisitedSet {
    /**
     * Arena chunks grow from 4 KB to 256 KB: small sets stay small, and no chunk is a G1
     * humongous object (half a region or more: regions are 1 MB at least), which would take a
     * whole region (or two, for a 1 MB chunk plus its header) and double the arena's footprint.
     */
    private static final int FIRST_CHUNK = 4 << 10;
    private static final int MAX_CHUNK = 256 << 10;
    private static final long EMPTY_FINGERPRINT = 0; // stands for itself in zeroFingerprint

    // PackedKeys: table of (chunk << 32 | offset) + 1, 0 = empty, with each entry's hash.
    private long[] addr = new long[64];
    private int[] hashes = new int[64];
    private int packed;
    private byte[][] chunks = new byte[4][];
    private int chunkCount;
    private int chunkUsed;

    // Fingerprints: 0 = empty; the fingerprint 0 itself is kept aside. Not a power of two: slots
    // are taken by multiplying (Lemire's fast range reduction).
    private long[] longs = new long[64];
    private int longCount;
    private boolean zeroFingerprint;

    private Set<Object> others;
    private boolean compacted;

    /** Adds key; true if it was not in the set. */
    public boolean add(Object key) {
        if (key instanceof PackedKey p) return compacted ? addLong(p.fingerprint()) : addPacked(p.bytes(), p.hashCode());
        if (key instanceof Long l) return addLong(l);
        if (others == null) others = new HashSet<>();
        return others.add(key);
    }

    public long size() {
        return (long) packed + longCount + (zeroFingerprint ? 1 : 0) + (others == null ? 0 : others.size());
    }

    /**
     * Hash compaction from now on: every stored encoding is replaced by its 64-bit fingerprint
     * (the one {@link PackedKey#fingerprint} gives) and the arena is dropped. From then on two
     * states with one fingerprint are taken for one (probabilistic, see {@link Fingerprints}).
     */
    public void compact() {
        if (compacted) return;
        compacted = true;
        long[] oldAddr = addr;
        addr = null;
        hashes = null;
        for (long a : oldAddr) {
            if (a == 0) continue;
            byte[] c = chunks[(int) ((a - 1) >>> 32)];
            long entry = entry(c, (int) (a - 1));
            addLong(PackedKey.hash64(c, (int) entry, (int) (entry >>> 32)));
        }
        chunks = null;
        packed = 0;
    }

    /** How many keys are stored exactly (as encodings); 0 once compacted. */
    public long exactKeys() {
        return packed;
    }

    /** Whether {@link #compact} ran. */
    public boolean compacted() {
        return compacted;
    }

    private static int slot(int hash, int mask) {
        int h = hash * 0x9E3779B9;
        return (h ^ (h >>> 16)) & mask;
    }

    private boolean addPacked(byte[] bytes, int hash) {
        int mask = addr.length - 1;
        int i = slot(hash, mask);
        for (long a; (a = addr[i]) != 0; i = (i + 1) & mask) {
            if (hashes[i] == hash && sameBytes(a - 1, bytes)) return false;
        }
        addr[i] = store(bytes) + 1;
        hashes[i] = hash;
        if (++packed > addr.length * 3L / 4) growPacked();
        return true;
    }

    private boolean sameBytes(long a, byte[] bytes) {
        byte[] c = chunks[(int) (a >>> 32)];
        long entry = entry(c, (int) a);
        int at = (int) entry;
        int len = (int) (entry >>> 32);
        return len == bytes.length && Arrays.equals(c, at, at + len, bytes, 0, len);
    }

    /** The stored encoding at {@code at}: its varint length (high half) and where its bytes start (low half). */
    private static long entry(byte[] c, int at) {
        int len = 0;
        int shift = 0;
        byte b;
        do {
            b = c[at++];
            len |= (b & 0x7f) << shift;
            shift += 7;
        } while (b < 0);
        return (long) len << 32 | at;
    }

    /** Copies bytes (after their varint length) into the arena; a record never spans two chunks. */
    private long store(byte[] bytes) {
        int need = bytes.length + 5;
        if (chunkCount == 0 || chunkUsed + need > chunks[chunkCount - 1].length) {
            if (chunkCount == chunks.length) chunks = Arrays.copyOf(chunks, chunkCount * 2);
            int size = chunkCount == 0 ? FIRST_CHUNK : Math.min(MAX_CHUNK, chunks[chunkCount - 1].length * 2);
            chunks[chunkCount++] = new byte[Math.max(size, need)];
            chunkUsed = 0;
        }
        byte[] c = chunks[chunkCount - 1];
        long address = (long) (chunkCount - 1) << 32 | chunkUsed;
        int at = chunkUsed;
        int len = bytes.length;
        while (len >= 0x80) {
            c[at++] = (byte) (len | 0x80);
            len >>>= 7;
        }
        c[at++] = (byte) len;
        System.arraycopy(bytes, 0, c, at, bytes.length);
        chunkUsed = at + bytes.length;
        return address;
    }

    private void growPacked() {
        long[] oldAddr = addr;
        int[] oldHashes = hashes;
        addr = new long[oldAddr.length * 2];
        hashes = new int[oldAddr.length * 2];
        int mask = addr.length - 1;
        for (int j = 0; j < oldAddr.length; j++) {
            if (oldAddr[j] == 0) continue;
            int i = slot(oldHashes[j], mask);
            while (addr[i] != 0) i = (i + 1) & mask;
            addr[i] = oldAddr[j];
            hashes[i] = oldHashes[j];
        }
    }

    private boolean addLong(long f) {
        if (f == EMPTY_FINGERPRINT) {
            if (zeroFingerprint) return false;
            zeroFingerprint = true;
            return true;
        }
        int n = longs.length;
        int i = longSlot(f, n);
        for (long x; (x = longs[i]) != 0; i = i + 1 == n ? 0 : i + 1) {
            if (x == f) return false;
        }
        longs[i] = f;
        if (++longCount > n * 3L / 4) {
            long[] old = longs;
            longs = new long[n + n / 2];
            n = longs.length;
            for (long x : old) {
                if (x == 0) continue;
                int j = longSlot(x, n);
                while (longs[j] != 0) j = j + 1 == n ? 0 : j + 1;
                longs[j] = x;
            }
        }
        return true;
    }

    /** The fingerprint's high 32 bits scaled to [0, n): fingerprints are already well mixed. */
    private static int longSlot(long f, int n) {
        return (int) (((f >>> 32) * n) >>> 32);
    }
}
