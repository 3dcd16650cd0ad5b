package dev.mmu.runtime.explore;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Hash compaction's fingerprints: the published SplitMix64 values, the packed keys' word-wise hash, and key delegation. */
class FingerprintsTest {
    private static final Dependencies<Integer> DEPENDENCIES = s -> null;

    /** Keys are PackedKeys of the state's one byte; thread 1 is named, steps commute, canonical halves. */
    private static final class Bytes implements TransitionSystem<Integer> {
        @Override public Integer initial() { return 0; }
        @Override public void successors(Integer s, List<Transition<Integer>> out) {
            if (s < 2) {
                out.add(new Transition<>(1, 0, s + 1));
            }
        }
        @Override public boolean finished(Integer s) { return s == 2; }
        @Override public int threadCount() { return 7; }
        @Override public String threadName(int thread) { return "t" + thread; }
        @Override public Object key(Integer s) { return new PackedKey(new byte[] {s.byteValue()}); }
        @Override public Dependencies<Integer> dependencies() { return DEPENDENCIES; }
        @Override public Integer canonical(Integer s) { return s / 2; }
    }

    @Test
    void mixIsTheSplitMix64Finaliser() {
        // SplitMix64 seeded with 0 first outputs mix(golden gamma) = 0xe220a8397b1dcdaf.
        assertThat(Fingerprints.mix(0x9e3779b97f4a7c15L)).isEqualTo(0xe220a8397b1dcdafL);
        assertThat(Fingerprints.mix(0)).isZero();
        assertThat(Fingerprints.mix(1)).isNotEqualTo(Fingerprints.mix(2));
    }

    @Test
    void packedKeyHashIsOneWordWiseHashOfTheBytes() {
        // The empty string: the length round over a zero tail, then SplitMix64.
        long k1 = 0xC2B2AE3D27D4EB4FL;
        long k2 = 0x9E3779B97F4A7C15L;
        assertThat(new PackedKey(new byte[0]).fingerprint()).isEqualTo(Fingerprints.mix(Long.rotateLeft(k2, 31) * k2));
        // Eight bytes are one little-endian word; a ninth goes into the tail round.
        byte[] nine = {1, 2, 3, 4, 5, 6, 7, 8, 9};
        long word = 0x0807060504030201L;
        long h = Long.rotateLeft((k2 ^ 9) ^ (word * k1), 31) * k2;
        assertThat(new PackedKey(nine).fingerprint()).isEqualTo(Fingerprints.mix(Long.rotateLeft(h ^ (9 * k1), 31) * k2));
        // A byte >= 0x80 enters unsigned, and zero padding differs by length.
        assertThat(new PackedKey(new byte[] {(byte) 0x80}).fingerprint())
                .isEqualTo(Fingerprints.mix(Long.rotateLeft((k2 ^ 1) ^ (0x80L * k1), 31) * k2));
        assertThat(new PackedKey(new byte[] {0}).fingerprint()).isNotEqualTo(new PackedKey(new byte[0]).fingerprint())
                .isNotEqualTo(new PackedKey(new byte[] {0, 0}).fingerprint());
        // The table hash is the fingerprint folded to 32 bits; an arena slice hashes as the copy.
        PackedKey key = new PackedKey(nine);
        assertThat(key.hashCode()).isEqualTo((int) (key.fingerprint() ^ (key.fingerprint() >>> 32)));
        byte[] padded = {7, 1, 2, 3, 4, 5, 6, 7, 8, 9, 7};
        assertThat(PackedKey.hash64(padded, 1, 9)).isEqualTo(key.fingerprint());
    }

    @Test
    void packedKeysCompareByBytes() {
        PackedKey ab = new PackedKey(new byte[] {1, 2});
        assertThat(ab).isEqualTo(new PackedKey(new byte[] {1, 2})).hasSameHashCodeAs(new PackedKey(new byte[] {1, 2}));
        assertThat(ab).isNotEqualTo(new PackedKey(new byte[] {2, 1}));
        assertThat(ab.fingerprint()).isEqualTo(new PackedKey(new byte[] {1, 2}).fingerprint())
                .isNotEqualTo(new PackedKey(new byte[] {2, 1}).fingerprint());
        assertThat(ab.length()).isEqualTo(2);
    }

    @Test
    void packedKeysBecomeTheirFingerprint() {
        Fingerprints<Integer> f = new Fingerprints<>(new Bytes());
        assertThat(f.key(1)).isEqualTo(new PackedKey(new byte[] {1}).fingerprint());
        assertThat(f.key(1)).isEqualTo(f.key(1)).isNotEqualTo(f.key(2));
    }

    @Test
    void otherKeysBecomeTheirMixedHashCode() {
        Toys.Counter counter = new Toys.Counter();
        Fingerprints<Toys.Counter.State> f = new Fingerprints<>(counter);
        Toys.Counter.State s = counter.initial();
        assertThat(f.key(s)).isEqualTo(Fingerprints.mix(s.hashCode()));
        List<Transition<Toys.Counter.State>> next = new ArrayList<>();
        f.successors(s, next);
        assertThat(f.key(next.get(0).target())).isNotEqualTo(f.key(s));
    }

    @Test
    void everythingElseIsTheInnerSystems() {
        ForwardingSystem<Integer> f = new ForwardingSystem<>(new Bytes()) {};
        assertThat(f.key(1)).isEqualTo(new PackedKey(new byte[] {1}));
        assertThat(f.initial()).isZero();
        List<Transition<Integer>> next = new ArrayList<>();
        f.successors(1, next);
        assertThat(next).containsExactly(new Transition<>(1, 0, 2));
        assertThat(f.finished(2)).isTrue();
        assertThat(f.finished(1)).isFalse();
        assertThat(f.threadCount()).isEqualTo(7);
        assertThat(f.threadName(3)).isEqualTo("t3");
        assertThat(f.dependencies()).isSameAs(DEPENDENCIES);
        assertThat(f.canonical(5)).isEqualTo(2);
    }
}
