package dev.mmu.interp.fuzz;

import java.util.List;
import java.util.Random;

/**
 * Mutations of .mmu text that keep most of it meaningful, so inputs reach the checker and the
 * compiler rather than dying in the lexer: spans deleted, duplicated or spliced from another seed,
 * lines swapped, and tokens from a dictionary of the language's words and of hostile values
 * (extreme numbers, deep nesting, odd line breaks, a NUL, a byte-order mark).
 */
final class Mutator {
    private static final List<String> DICTIONARY = List.of(
            "{", "}", "(", ")", "[", "]", "..", ";", ",", ".", "=", "|=", "!", "-", "&&", "||", "\"", "#", "//", "@",
            "scenario", "path", "thread", "vcpu", "vcpus", "setup", "memslot", "vm", "explore", "expect", "import",
            "lock write", "lock read", "unlock", "yield", "if need_resched", "if", "else", "let x = ", "while",
            "repeat", "atomic", "assert", "break", "for sp in lpage_disallowed take 1", "read", "write", "exec",
            "nested", "gpa", "size", "backing", "flags dirty_log", "readonly", "mmu both", "mmu shadow", "mmu tdp",
            "nx_huge_pages on", "preemptions <=", "strategy bfs", "runs", "seed", "max_states", "time", "symmetry vcpus",
            "never", "always", "final", "reachable", "violation", "terminates", "max commit_batch <=",
            "kvm_recover_nx_lpages", "mmu_notifier_invalidate", "host_free", "kvm_mmu_zap_all_fast", "memslot_delete",
            "memslot_move", "eager_split", "dirty_log_enable", "clear_dirty_log", "tdp_zap_range", "set_spte",
            "cmpxchg_spte", "split_huge", "spte(0x1000)", "tlb(1, 0x1000)", "host(0x1000)", "stat.pages_4k",
            "use_after_free", "0", "1", "-1", "0x0", "0x1000", "0x200000", "4K", "2M", "1G", "1T", "512G",
            "9223372036854775807", "99999999999999999999", "0xffffffffffffffff", "4294967296", "30s", "0ms",
            "99999999999999999999s", "\n", "\r", "\r\n", "\t", "\u0000", "\uFEFF", "é", "((((((((", "))))))))",
            "{{{{{{{{", "}}}}}}}}");

    private final Random random;
    private final List<String> seeds;

    Mutator(long seed, List<String> seeds) {
        this.random = new Random(seed);
        this.seeds = seeds;
    }

    /** One input: a seed with one to four mutations. */
    String next() {
        StringBuilder s = new StringBuilder(seeds.get(random.nextInt(seeds.size())));
        int n = 1 + random.nextInt(4);
        for (int i = 0; i < n; i++) mutate(s);
        return s.toString();
    }

    private void mutate(StringBuilder s) {
        int len = s.length();
        int at = len == 0 ? 0 : random.nextInt(len + 1);
        switch (random.nextInt(8)) {
            case 0 -> s.insert(at, " " + word() + " ");
            case 1 -> s.insert(at, word());
            case 2 -> { // delete a span
                if (len > 0) s.delete(at, Math.min(len, at + 1 + random.nextInt(40)));
            }
            case 3 -> { // duplicate a span
                if (len > 0) {
                    int end = Math.min(len, at + 1 + random.nextInt(80));
                    s.insert(at, s.substring(at, end));
                }
            }
            case 4 -> { // splice a span of another seed
                String other = seeds.get(random.nextInt(seeds.size()));
                int from = random.nextInt(other.length());
                s.insert(at, other, from, Math.min(other.length(), from + 1 + random.nextInt(200)));
            }
            case 5 -> s.insert(at, numberLike());
            case 6 -> { // replace a character
                if (len > 0 && at < len) s.setCharAt(at, (char) (random.nextBoolean() ? random.nextInt(128) : random.nextInt(0x3000)));
            }
            default -> s.insert(at, nesting());
        }
    }

    private String word() {
        return DICTIONARY.get(random.nextInt(DICTIONARY.size()));
    }

    private String numberLike() {
        return switch (random.nextInt(4)) {
            case 0 -> Long.toString(random.nextLong());
            case 1 -> "0x" + Long.toHexString(random.nextLong());
            case 2 -> (1 + random.nextInt(4096)) + List.of("K", "M", "G", "T").get(random.nextInt(4));
            default -> Integer.toString(random.nextInt(1 << 20));
        };
    }

    /** Deeply nested constructs, the kind that once overflowed the stack. */
    private String nesting() {
        int depth = 1 + random.nextInt(random.nextInt(10) == 0 ? 3000 : 40);
        String open = List.of("(", "if true { ", "!", "-", "1 + ").get(random.nextInt(5));
        return open.repeat(depth);
    }
}
