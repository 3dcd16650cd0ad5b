package dev.mmu.bench;

import dev.mmu.interp.compile.CompiledScenario;
import dev.mmu.interp.gen.ScenarioGenerator;
import dev.mmu.interp.run.Loaded;
import dev.mmu.interp.run.ScenarioLoader;
import dev.mmu.runtime.explore.Expectation;
import dev.mmu.runtime.explore.ExploreOptions;
import dev.mmu.runtime.explore.ExploreResult;
import dev.mmu.runtime.explore.Explorer;
import dev.mmu.runtime.explore.Outcome;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.MmuSystem;
import dev.mmu.runtime.paths.Op;
import dev.mmu.runtime.paths.Program;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The generated scenarios' sizes and coverage (ScenarioGenerator, the soundness suite's input):
 * for each seed the states of the plain search (every op a step, every stat kept: the reference
 * ReductionsAgreeTest compares against), the generator features the text shows, the ops the
 * search reaches and the verdicts; then the distribution of sizes, which features the big ones
 * have, and the coverage of the scenarios small enough to check. Figures: docs/testing.md.
 * Usage: bench/generated-census.sh, or java ... GeneratedCensus FIRST COUNT [BUDGET [LIMIT]]: BUDGET the plain search's (default
 * 200,000), LIMIT the soundness suite's MAX_STATES (default 15,000; coverage counts the seeds under it).
 * Prints one line per seed ("seed states cpu-ms features"), then the tables.
 */
public final class GeneratedCensus {

    /** Text features: what the generator wrote (statement kinds, kernel paths, machine, expectations). */
    private static final Map<String, Pattern> FEATURES = new TreeMap<>();

    static {
        for (String m : List.of("tdp", "shadow", "both")) feature("mmu " + m, "mmu " + m + "\n");
        feature("nested access", "\\bnested (read|write|exec)");
        feature("backing 4K", "backing 4K");
        feature("backing 2M", "backing 2M");
        feature("backing 1G", "backing 1G");
        feature("flags dirty_log", "flags[^}]*dirty_log");
        feature("flags readonly", "flags[^}]*readonly");
        feature("nx_huge_pages on", "nx_huge_pages on");
        feature("eager_page_split", "eager_page_split ");
        feature("tdp_levels 5", "tdp_levels 5");
        feature("quirk slot_zap_all off", "quirk slot_zap_all off");
        feature("kernel 6.12", "kernel 6.12");
        feature("flush_remote_tlbs_range", "flush_remote_tlbs_range on");
        feature("setup", "setup \\{");
        feature("4 threads", "(?s)(thread .*){4}");
        feature("2+ vcpu threads", "(?s)thread vcpu .*thread vcpu ");
        feature("kernel-thread vcpu access", "\\n    vcpu \\d (nested )?(read|write|exec)");
        for (String s : List.of("choose", "repeat 2", "if spte\\(", "let seen\\d+ = tlb", "assert host\\(")) {
            feature("vcpu: " + s.replace("\\", "").replace("d+", ""), "\\n    " + s);
        }
        for (String p : List.of("kvm_recover_nx_lpages", "kvm_nx_huge_page_recovery_worker", "mmu_notifier_invalidate",
                "host_free", "kvm_flush_remote_tlbs", "kvm_mmu_zap_all_fast", "dirty_log_enable", "dirty_log_disable",
                "clear_dirty_log", "kvm_mmu_zap_collapsible_sptes", "kvm_mmu_recover_huge_pages", "eager_split",
                "memslot_delete", "memslot_move", "kvm_tdp_mmu_zap_gfn_range")) {
            feature("path: " + p, "(\\n    |; |\\{\\n      )" + p + "\\b");
        }
        feature("if cond { path }", "\\n    if .* \\{\\n      [a-z_]+");
        feature("kernel assert", "\\n    assert ");
        feature("setup assert", "(?s)setup \\{[^}]*assert");
        feature("user: prepare_zap loop", "for sp in lpage_disallowed");
        feature("user: unaccount_nx", "unaccount_nx\\(sp\\)");
        feature("user: tdp_zap_sp", "tdp_zap_sp\\(sp\\)");
        feature("user: remote_flush_or_zap in loop", "need_resched \\{\\n\\s+remote_flush_or_zap");
        feature("user: commit_zap", "commit_zap\\(\\)");
        feature("user: locked read region", "let before = ");
        feature("user: lockless loop", "while i < limit");
        feature("user: global plain", "(g\\d+) = \\1 \\+ seen");
        feature("user: try_cmpxchg", "try_cmpxchg\\(");
        feature("user: tdp_zap_range", "tdp_zap_range\\(");
        feature("user: slots_lock", "lock write slots_lock");
        feature("user: need_resched value", "if flush && need_resched");
        feature("user: split_huge walk", "split_huge\\(");
        feature("user: cond_resched", "tdp_mmu_iter_cond_resched\\(");
        feature("user: cond_resched_unguarded", "tdp_mmu_iter_cond_resched_unguarded");
        feature("user: set_spte", "set_spte\\(gfn");
        feature("user: cmpxchg_spte srcu", "lock read srcu\\n  let ok = cmpxchg_spte");
        feature("user: cmpxchg_spte atomic", "atomic \\{");
        feature("user: yield", "\\byield\\n");
        for (String e : List.of("always", "final", "reachable", "terminates", "max", "fails always", "fails final",
                "fails reachable")) {
            feature("expect " + e, "expect " + e + "\\b");
        }
        for (String i : List.of("use_after_free", "stale_tlb_at_unlock", "freed_page_table_walk", "nx_exec_huge",
                "dirty_log_lost", "huge_and_child", "stats_consistent", "page_table_leak", "dangling_memslot", "lockdep",
                "lock_balance", "deadlock")) {
            feature("expect never " + i, "expect never " + i + "\n");
            feature("expect violation " + i, "expect violation " + i + "\n");
        }
        feature("symmetry vcpus", "symmetry vcpus");
        feature("preemptions <=", "preemptions <=");
        feature("strategy bfs", "strategy bfs");
    }

    private static void feature(String name, String regex) {
        FEATURES.put(name, Pattern.compile(regex));
    }

    /** One seed's figures. */
    record Seed(long seed, long states, boolean complete, long cpuMs, Set<String> features, Set<String> ops,
                Set<String> verdicts) {
    }

    public static void main(String[] args) {
        long first = Long.parseLong(args[0]);
        long count = Long.parseLong(args[1]);
        long budget = args.length > 2 ? Long.parseLong(args[2]) : 200_000;
        long limit = args.length > 3 ? Long.parseLong(args[3]) : 15_000;
        List<Seed> seeds = new ArrayList<>();
        for (long seed = first; seed < first + count; seed++) {
            Seed s = measure(seed, budget);
            seeds.add(s);
            System.out.printf("%d %s%d %d %s%n", seed, s.complete() ? "" : ">", s.states(), s.cpuMs(),
                    String.join("|", s.features()));
        }
        distribution(seeds, limit);
        bigFeatures(seeds, limit);
        coverage(seeds, limit);
    }

    static Seed measure(long seed, long budget) {
        String text = ScenarioGenerator.generate(seed);
        Loaded loaded = ScenarioLoader.load("generated-" + seed + ".mmu", text);
        if (loaded.hasErrors()) throw new IllegalStateException("seed " + seed + ": " + loaded.diagnostics());
        CompiledScenario sc = loaded.scenarios().get(0);
        Set<String> features = new TreeSet<>();
        FEATURES.forEach((name, p) -> {
            if (p.matcher(text).find()) features.add(name);
        });
        // The threads that may fault (a guest access of their own or a kernel thread's `vcpu N read`).
        Matcher thread = Pattern.compile("\\n  thread [^{]*\\{\\n(.*?)\\n  \\}", Pattern.DOTALL).matcher(text);
        int faulting = 0;
        while (thread.find()) {
            if (Pattern.compile("\\b(read|write|exec) 0x").matcher(thread.group(1)).find()) faulting++;
        }
        String mmu = text.contains("mmu shadow\n") ? "shadow" : "tdp/both";
        if (faulting >= 2) features.add("2+ faulting threads, mmu " + mmu);
        if (faulting >= 3) features.add("3+ faulting threads, mmu " + mmu);
        Program program = sc.program();
        Set<String> ops = new TreeSet<>();
        // Every reachable state passes this "never": it records the op each thread is at.
        Expectation<VmState> visit = new Expectation.Never<>("visit", (st, terminal) -> {
            for (int t = 0; t < st.threads.length; t++) {
                Op[] code = program.threads().get(t).ops();
                int pc = st.threads[t].pc;
                if (pc < code.length) ops.add(opName(code[pc]));
            }
            return false;
        }, false);
        long cpu = cpu();
        MmuSystem plain = new MmuSystem(program.withAllStatsRead(), false, false);
        ExploreOptions options = ExploreOptions.builder().maxStates(budget).portfolioFallback(false)
                .partialOrder(false).build();
        ExploreResult<VmState> whole = Explorer.explore(plain, List.of(visit), options);
        long ms = (cpu() - cpu) / 1_000_000;
        Set<String> verdicts = new TreeSet<>();
        ExploreResult<VmState> own = Explorer.explore(new MmuSystem(program), sc.expectations(),
                sc.options().toBuilder().maxStates(budget).build());
        for (Outcome<VmState> o : own.outcomes()) {
            // An invariant's expectation by name, a condition's by its kind (never, always, fails final, ..)
            String said = o.text();
            Matcher m = Pattern.compile("^(never|violation) [a-z_]+$|^(fails )?[a-z]+").matcher(said);
            verdicts.add((m.find() ? m.group() : said) + " " + o.verdict());
        }
        return new Seed(seed, whole.stats().statesStored(), whole.coverage() == null, ms, features, ops, verdicts);
    }

    private static String opName(Op op) {
        String d = op.describe();
        Matcher m = Pattern.compile("^[A-Za-z_][A-Za-z_0-9.]*").matcher(d);
        return op.getClass().getSimpleName() + (m.find() ? ":" + m.group() : "");
    }

    private static long cpu() {
        return ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
    }

    private static void distribution(List<Seed> seeds, long limit) {
        long[] bounds = {100, 1_000, 5_000, 10_000, limit, 50_000, 150_000, Long.MAX_VALUE};
        System.out.println("\nplain-search states (seeds " + seeds.get(0).seed() + ".." + seeds.get(seeds.size() - 1).seed()
                + "):");
        long lo = 0;
        long totalMs = 0;
        for (long b : bounds) {
            long lower = lo;
            List<Seed> in = seeds.stream().filter(s -> s.states() > lower && s.states() <= b && s.complete()).toList();
            System.out.printf("  %8d < states <= %-10s %5d seeds, %7d ms%n", lower, b == Long.MAX_VALUE ? "max" : b,
                    in.size(), in.stream().mapToLong(Seed::cpuMs).sum());
            lo = b;
        }
        List<Seed> over = seeds.stream().filter(s -> !s.complete()).toList();
        System.out.printf("  over the budget: %d seeds %s%n", over.size(), over.stream().map(s -> s.seed()).toList());
        for (Seed s : seeds) totalMs += s.cpuMs();
        System.out.printf("  over %d (skipped by the suite): %d of %d; plain-search cpu %d ms%n", limit,
                seeds.stream().filter(s -> s.states() > limit || !s.complete()).count(), seeds.size(), totalMs);
    }

    /** For each feature: how many seeds have it, how many of those are over the limit. */
    private static void bigFeatures(List<Seed> seeds, long limit) {
        System.out.println("\nfeature: seeds with it, over the limit, share over (total share "
                + String.format("%.1f%%", 100.0 * seeds.stream().filter(s -> s.states() > limit || !s.complete()).count()
                / seeds.size()) + ")");
        List<String[]> rows = new ArrayList<>();
        for (String f : FEATURES.keySet()) {
            List<Seed> with = seeds.stream().filter(s -> s.features().contains(f)).toList();
            long over = with.stream().filter(s -> s.states() > limit || !s.complete()).count();
            if (with.isEmpty()) continue;
            rows.add(new String[] {String.format("%5.1f%%", 100.0 * over / with.size()), f, "" + with.size(), "" + over});
        }
        rows.sort((a, b) -> b[0].compareTo(a[0]));
        for (String[] r : rows) System.out.printf("  %s  %-40s %5s %5s%n", r[0], r[1], r[2], r[3]);
    }

    /** What the checkable seeds cover: features, reached ops, verdicts; and what only big seeds have. */
    private static void coverage(List<Seed> seeds, long limit) {
        Map<String, int[]> table = new TreeMap<>();
        for (Seed s : seeds) {
            boolean checked = s.complete() && s.states() <= limit;
            List<String> keys = new ArrayList<>();
            s.features().forEach(f -> keys.add("feature " + f));
            s.ops().forEach(o -> keys.add("op " + o));
            s.verdicts().forEach(v -> keys.add("verdict " + v));
            for (String k : keys) {
                int[] c = table.computeIfAbsent(k, x -> new int[2]);
                c[checked ? 0 : 1]++;
            }
        }
        System.out.println("\ncoverage: item, checked seeds with it, skipped seeds with it");
        table.forEach((k, c) -> System.out.printf("  %-70s %5d %5d%s%n", k, c[0], c[1], c[0] == 0 ? "  UNCOVERED" : ""));
        System.out.printf("coverage: %d items, %d covered by checked seeds%n", table.size(),
                table.values().stream().filter(c -> c[0] > 0).count());
    }
}
