package dev.mmu.runtime.explore;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

/**
 * The visited set of the exhaustive searches (DFS, BFS), without one object per state where the
 * key allows it:
 * <ul>
 *   <li>{@link PackedKey}s, collapsed (SPIN's collapse compression): each part of the encoding
 *       that the key marks (a page table, a vCPU's TLB, a thread, ...) is stored once in a
 *       numbered set of byte strings, and the state as the varints of its parts' ids in another
 *       ({@link ByteStrings}: a chunked arena and an open-addressing table of longs, no object
 *       per string). Most parts are shared by millions of states, so a state costs its ~20 ids
 *       instead of its ~150-300 bytes;
 *   <li>{@link Long}s (hash compaction fingerprints): an open-addressing table of longs that grows
 *       by half, so that it stays between half and three quarters full: 11-16 bytes a state;
 *   <li>anything else (state objects, canonical states of other systems): a {@link HashSet}.
 * </ul>
 * Exact: a PackedKey is equal to another PackedKey only (same bytes; its parts are a function of
 * its bytes, so equal id strings mean equal bytes and back) and a Long to an equal Long, so
 * splitting the keys by type changes no answer of {@link #add}; until {@link #compact}, after
 * which PackedKeys are stored as their fingerprints.
 */
public final class VisitedSet {
    private static final long EMPTY_FINGERPRINT = 0; // stands for itself in zeroFingerprint

    // PackedKeys: their parts by id, and each state's string of part ids (varints).
    private ByteStrings parts;
    private ByteStrings states;
    private byte[] ids = new byte[64];
    /**
     * The key added last (its bytes and cuts) and its parts' ids: the next state, most often a
     * sibling, shares most parts, and comparing a part with the same part of that key (in cache,
     * unlike the arena's copy) is cheaper than hashing and finding it.
     */
    private byte[] lastBytes = new byte[0];
    private int[] lastCuts;
    private int[] lastIds = new int[0];
    private int lastCount;

    // Fingerprints: 0 = empty; the fingerprint 0 itself is kept aside. Not a power of two: slots
    // are taken by multiplying (Lemire's fast range reduction).
    private long[] longs = new long[64];
    private int longCount;
    private boolean zeroFingerprint;

    private Set<Object> others;
    private boolean compacted;

    public VisitedSet() {
        this(-1L);
    }

    /** With only the {@code hashMask} bits of the tables' hashes kept (tests: colliding hashes). */
    VisitedSet(long hashMask) {
        parts = new ByteStrings(true, hashMask);
        states = new ByteStrings(false, hashMask);
    }

    /** Adds key; true if it was not in the set. */
    public boolean add(Object key) {
        if (key instanceof PackedKey p) return compacted ? addLong(p.fingerprint()) : addPacked(p);
        if (key instanceof Long l) return addLong(l);
        if (others == null) others = new HashSet<>();
        return others.add(key);
    }

    public long size() {
        return (long) (states == null ? 0 : states.size()) + longCount + (zeroFingerprint ? 1 : 0) + (others == null ? 0 : others.size());
    }

    /**
     * The bytes its own arrays take on the heap (the tables, the arenas, the fingerprints); keys of
     * the {@link HashSet} fall-back are not counted. Divided by {@link #size}: bytes per state.
     */
    public long bytes() {
        long b = 16 + 8L * longs.length;
        if (states != null) b += states.bytes() + parts.bytes() + 16 + ids.length;
        return b;
    }

    /**
     * Hash compaction from now on: every stored encoding is replaced by its 64-bit fingerprint
     * (the one {@link PackedKey#fingerprint} gives) and the arena is dropped. From then on two
     * states with one fingerprint are taken for one (probabilistic, see {@link Fingerprints}).
     */
    public void compact() {
        if (compacted) return;
        compacted = true;
        byte[][] whole = {new byte[256]};
        states.forEach(address -> {
            byte[] c = states.chunk(address);
            int at = states.start(address);
            int end = at + states.length(address);
            int n = 0;
            while (at < end) { // the state's bytes again: its parts, in order
                int id = 0;
                int shift = 0;
                byte x;
                do {
                    x = c[at++];
                    id |= (x & 0x7f) << shift;
                    shift += 7;
                } while (x < 0);
                long part = parts.address(id);
                int len = parts.length(part);
                if (n + len > whole[0].length) whole[0] = Arrays.copyOf(whole[0], Math.max(2 * whole[0].length, n + len));
                System.arraycopy(parts.chunk(part), parts.start(part), whole[0], n, len);
                n += len;
            }
            addLong(PackedKey.hash64(whole[0], 0, n));
        });
        states = null;
        parts = null;
        ids = null;
        lastBytes = null;
        lastIds = null;
    }

    /** How many keys are stored exactly (as encodings); 0 once compacted. */
    public long exactKeys() {
        return states == null ? 0 : states.size();
    }

    /** Whether {@link #compact} ran. */
    public boolean compacted() {
        return compacted;
    }

    /** The state as the ids of its parts, each part added to {@link #parts} if new. */
    private boolean addPacked(PackedKey p) {
        byte[] b = p.bytes();
        int[] cuts = p.cuts();
        int count = cuts == null ? 1 : cuts.length + 1;
        if (ids.length < count * 5) ids = new byte[count * 5];
        if (lastIds.length < count) lastIds = Arrays.copyOf(lastIds, count);
        int n = 0;
        int from = 0;
        for (int k = 0; k < count; k++) {
            int to = end(cuts, count, k, b.length);
            int id;
            if (k < lastCount && Arrays.equals(b, from, to, lastBytes, k == 0 ? 0 : lastCuts[k - 1],
                    end(lastCuts, lastCount, k, lastBytes.length))) {
                id = lastIds[k];
            } else {
                id = parts.id(b, from, to - from);
                lastIds[k] = id;
            }
            while (id >= 0x80) {
                ids[n++] = (byte) (id | 0x80);
                id >>>= 7;
            }
            ids[n++] = (byte) id;
            from = to;
        }
        lastBytes = b;
        lastCuts = cuts;
        lastCount = count;
        return states.add(ids, 0, n);
    }

    /** Where part k of a key with {@code count} parts ends. */
    private static int end(int[] cuts, int count, int k, int length) {
        return k < count - 1 ? cuts[k] : length;
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
