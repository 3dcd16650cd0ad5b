package dev.mmu.runtime.explore;

/**
 * Part {@code index} of {@code count} of one exploration ({@code mmu check --shard i/n}): the
 * parts are independent runs whose union is the whole search ({@link ShardedSystem} splits a
 * systematic search; random and PCT runs take the seed {@code seed + index - 1}, swarm style).
 *
 * @param index 1 .. count
 * @param count how many parts
 */
public record Shard(int index, int count) {

    public Shard {
        if (count < 1 || index < 1 || index > count) {
            throw new IllegalArgumentException("a shard is i/n with 1 <= i <= n, found " + index + "/" + count);
        }
    }

    /**
     * Parses {@code i/n}.
     *
     * @throws IllegalArgumentException saying what is wrong
     */
    public static Shard parse(String text) {
        String[] parts = text.strip().split("/", -1);
        if (parts.length != 2 || !digits(parts[0]) || !digits(parts[1])) {
            throw new IllegalArgumentException("--shard takes I/N, e.g. 2/4, found '" + text + "'");
        }
        try {
            return new Shard(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--shard takes I/N with numbers below 2^31, found '" + text + "'");
        }
    }

    private static boolean digits(String s) {
        return !s.isEmpty() && s.chars().allMatch(Character::isDigit);
    }

    /** The seed of this part's random or PCT runs: distinct per part, the user's seed for part 1. */
    public long seed(long seed) {
        return seed + index - 1;
    }

    @Override
    public String toString() {
        return index + "/" + count;
    }
}
