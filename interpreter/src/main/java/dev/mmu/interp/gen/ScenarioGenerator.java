package dev.mmu.interp.gen;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;

/**
 * Small random but meaningful `.mmu` scenarios, as source text, from a seed: the same seed gives
 * the same text. A scenario has a machine (mmu flavour, NX settings, one to three memslots of
 * every backing and flag), an optional setup that warms TLBs, one to four threads (vCPUs doing
 * guest accesses, built-in kernel paths, user paths with locks, yields, flushes and primitives,
 * correct or with a flush or lock dropped), sometimes a shared counter (a `global` that threads
 * bump by plain loads and stores, atomic blocks, try_cmpxchg loops, gotos and choose, and that
 * expectations read), sometimes explore settings, and expectations of every kind; and, from a
 * stream of its own ({@link #more}), preempt modes, kernel versions 5.10 to 7.3, pml, more built-in
 * paths (in `atomic` too), the counter in locked regions and read by vCPUs, read-lock cmpxchg
 * paths, yielding loops, returns and gotos out of walks; and from a fourth ({@link #gen2}) calls of
 * the prelude's kvm_zap_gfn_range and root-reference walks, in an eighth of the seeds as a scenario
 * of their own with what races them (docs/testing.md, "What the generator writes"); and from a fifth
 * ({@link #gen3}) root censuses, a walk of every root racing the fast zap for an invalidated root's
 * last reference, with expectations only that race decides. Each stays small enough to explore exhaustively in well under a second: a scenario whose
 * threads' estimated interleavings exceed {@link #BUDGET} is drawn again ({@link #cost()}).
 *
 * <p>It lives in main scope so that every test module (the soundness suite in examples, the front
 * end's fuzzing in interpreter) and the long-run script share one generator without a test jar.
 * Every text it returns must pass the checker and the compiler: one that does not is a bug here
 * or in the checker.
 */
public final class ScenarioGenerator {

    private static final long K4 = 0x1000;
    private static final long M2 = 0x200000;
    private static final long G1 = 0x40000000;
    /** The most a hand-written walk covers: each SPTE it visits is a step. */
    private static final long WALK = 16 * K4;

    private static final List<String> INVARIANTS = List.of("use_after_free", "stale_tlb_at_unlock",
            "freed_page_table_walk", "nx_exec_huge", "dirty_log_lost", "huge_and_child", "stats_consistent",
            "page_table_leak", "dangling_memslot", "lockdep", "lock_balance", "deadlock");
    private static final List<String> STATS = List.of("pages_4k", "pages_2m", "pages_1g", "nx_lpage_splits",
            "remote_tlb_flush", "mmu_shadow_zapped");

    /** One declared memslot. */
    private record Slot(int id, long gpa, long size, long backing, boolean dirtyLog, boolean readonly) {
    }

    /**
     * The estimated interleavings (ln of the multinomial of the threads' weights, {@link #cost()})
     * above which a scenario is drawn again: about the dearest fifth of the drawn ones, which held
     * most of those whose plain search (every op a step) passes the soundness suite's MAX_STATES
     * (docs/testing.md, "Generated scenarios that stay checkable").
     */
    static final double BUDGET = 23.5;
    /** Draws per seed at most; the last is kept whatever its cost. */
    private static final int ATTEMPTS = 16;
    /**
     * Item weights, about the steps each adds to its thread: a guest access that may fault runs
     * the TDP fault step by step (kvm_tdp_mmu_map(): a step per table linked and for the leaf),
     * the shadow MMU's in fewer, as does one whose page the setup faulted in already (a TLB
     * fill or a short fault); a built-in slot or range path walks SPTEs step by step.
     */
    private static final int TDP_ACCESS = 12;
    private static final int SHADOW_ACCESS = 4;
    private static final int WARM_ACCESS = 4;
    private static final int KERNEL_PATH = 8;
    private static final int USER_PATH = 4;
    private static final int LIGHT = 1;

    private final Random r;
    /**
     * The shared counter's stream (global loads and stores, atomic blocks, try_cmpxchg, gotos,
     * choose), drawn apart from r so that a seed's other lines stay as they were without it.
     */
    private final Random shared;
    /**
     * The gencover stream (docs/testing.md, "What the generator writes"): preempt modes, kernel
     * versions, pml, the aging and non-blocking notifiers, built-in paths inside `atomic`, the
     * counter bumped inside locked regions and read by vCPU branches, read-lock user paths with
     * cmpxchg primitives, yields in loops and returns from inside loops and locks. Drawn apart from
     * r and shared, so that a seed's old lines stay as they were where it draws nothing new.
     */
    private final Random more;
    /**
     * The gen2 stream (docs/testing.md, "What the generator writes", twenty-third session): calls
     * of the prelude's kvm_zap_gfn_range (ranges inside, across and outside memslots, sometimes
     * beside a notifier thread) and root-reference walks (yield-safe root loops left early by a
     * break or a return with their put, an explicit get and put, copies of
     * kvm_tdp_mmu_zap_invalidated_roots). Drawn apart from the other three, so that a seed's old
     * lines stay as they were where it adds nothing.
     */
    private final Random gen2;
    /**
     * The gen3 stream (docs/testing.md, "What the generator writes, third round"): root-census
     * scenarios, a yield-safe walk of every root racing kvm_mmu_zap_all_fast for the last
     * reference of an invalidated root. Drawn apart from the other four.
     */
    private final Random gen3;
    private boolean census;                                  // a gen3 root-census scenario
    private long[] zapped;                                   // the gpa range a kvm_zap_gfn_range item zaps, or null
    private boolean zapRootsCopy;                            // kvm_tdp_mmu_zap_invalidated_roots declared
    private Boolean focusedRoots;                            // a gen2 scenario: of a root walk, of a zap; else null
    private String counter;                                  // the shared counter's global, or null
    private int bumps;                                       // the items that bump it, each by one
    private final long seed;
    private final int attempt;
    private final List<Integer> weights = new ArrayList<>(); // each racing thread's but its accesses, for cost()
    private final List<List<long[]>> accesses = new ArrayList<>(); // each thread's guest accesses (a choice's gpas)
    private final java.util.Set<Long> warm = new java.util.HashSet<>(); // what the setup faulted in, by mapping
    private int weight;                                      // the thread being drawn
    private List<long[]> accessed;                           // the thread being drawn
    private final StringBuilder out = new StringBuilder();
    private final List<Slot> slots = new ArrayList<>();
    private final List<Long> addresses = new ArrayList<>(); // the few gpas the threads race on
    private final List<String> paths = new ArrayList<>();   // user path declarations
    private final List<String> globals = new ArrayList<>(); // global declarations (file level)
    private String mmu;
    private int vcpus;
    private long freeGpa;                                    // above every slot: where memslot_move goes
    private boolean moved;                                   // memslot_move at most once per scenario
    private boolean slotZap;                                 // a memslot delete or move: the quirk matters
    private final boolean kernel612;                         // `kernel 6.12`, else latest (7.2)
    /** The `kernel` line: 5.10, 5.12 or 6.12 where kernel612 (their prelude names agree), else 6.18, 7.2, 7.3 or none. */
    private final String kernelVersion;
    private boolean pml;                                     // `pml on`: clear_dirty_gfn_range is written
    private int pathCount;

    private ScenarioGenerator(long seed, int attempt) {
        this.seed = seed;
        this.attempt = attempt;
        // The first draw is the seed's stream as it was before the budget; a redraw, another.
        this.r = new Random(attempt == 0 ? seed : new SplittableRandom(seed).split().nextLong() + attempt);
        this.shared = new Random(new SplittableRandom(~seed * 31).split().nextLong() + attempt);
        this.more = new Random(new SplittableRandom(seed * 0x9E3779B97F4A7C15L + 7).split().nextLong() + attempt);
        this.gen2 = new Random(new SplittableRandom(seed * 0xC2B2AE3D27D4EB4FL + 23).split().nextLong() + attempt);
        this.gen3 = new Random(new SplittableRandom(seed * 0x165667B19E3779F9L + 41).split().nextLong() + attempt);
        // Half the scenarios run 6.12's prelude (one NX list, locked aging, the collapsible zap), the
        // other half latest's, today's 7.2. Drawn apart from r (the quirk's stream, second draw), so
        // that every other line of a seed stays as it was when 6.12 was the default.
        SplittableRandom apart = new SplittableRandom(seed);
        apart.nextBoolean();
        this.kernel612 = apart.nextBoolean();
        int kv = more.nextInt(12);
        this.kernelVersion = kernel612 ? (kv < 2 ? "5.12" : kv < 3 ? "5.10" : "6.12")
                : (kv < 2 ? "6.18" : kv < 4 ? "7.2" : kv < 5 ? "7.3" : null);
    }

    /** 5.10 and 5.12 predate KVM_X86_QUIRK_SLOT_ZAP_ALL (an error to turn off there) and aging without mmu_lock. */
    private boolean before612() {
        return kernelVersion != null && kernelVersion.startsWith("5.");
    }

    /** The scenario of {@code seed}, a whole `.mmu` file. */
    public static String generate(long seed) {
        for (int attempt = 0; ; attempt++) {
            ScenarioGenerator g = new ScenarioGenerator(seed, attempt);
            String text = g.file();
            if (g.cost() <= BUDGET || attempt == ATTEMPTS - 1) return text;
        }
    }

    /**
     * ln of the number of ways to interleave the threads' weights (the multinomial coefficient
     * (w1 + .. + wn)! / (w1! .. wn!)): the plain search's states grow with it. Fitted on seeds
     * 1..1000 (bench GeneratedCensus): it ranks a scenario over 15,000 states above one under with
     * probability 0.88.
     */
    double cost() {
        int total = 0;
        double c = 0;
        for (int t = 0; t < weights.size(); t++) {
            int w = weights.get(t);
            for (long[] gpas : accesses.get(t)) {
                int most = 0;
                for (long gpa : gpas) most = Math.max(most, accessWeight(gpa));
                w += most;
            }
            total += w;
            c -= lnFactorial(w);
        }
        return c + lnFactorial(total);
    }

    private int accessWeight(long gpa) {
        return mmu.equals("shadow") ? SHADOW_ACCESS : warm.contains(mapping(gpa)) ? WARM_ACCESS : TDP_ACCESS;
    }

    /** The 4K page, or the 2M region of a huge-backed slot, that a fault of gpa maps. */
    private long mapping(long gpa) {
        return slotOf(gpa).backing() == K4 ? gpa / K4 : gpa / M2 * M2;
    }

    private static double lnFactorial(int n) {
        double f = 0;
        for (int i = 2; i <= n; i++) f += Math.log(i);
        return f;
    }


    private String file() {
        machine();
        if (shared.nextInt(5) < 2) {
            counter = "g" + globals.size();
            globals.add("global " + counter + " = " + shared.nextInt(2) + "\n");
        }
        List<String> vcpuThreads = new ArrayList<>();
        List<String> kernelThreads = new ArrayList<>();
        int threads;
        int vcpuThreadCount;
        if (gen2.nextInt(8) == 0) {
            // a gen2 scenario: the new shape and what races it, and nothing else to crowd them out
            vcpuThreadCount = focused(vcpuThreads, kernelThreads);
            threads = 4;
        } else if (mmu.equals("tdp") && !before612() && gen3.nextInt(6) == 0) {
            // a gen3 scenario: who drops an invalidated root's last reference, and who sees it go
            vcpuThreadCount = census(kernelThreads);
            threads = 4;
        } else {
        threads = r.nextInt(20) == 0 ? 4 : pick(1, 2, 2, 2, 3, 3);
        int items = threads >= 3 ? 1 : 4 - threads; // statements per thread, at most: states grow fast
        vcpuThreadCount = Math.min(vcpus, r.nextInt(4) == 0 ? 0 : 1 + r.nextInt(Math.min(threads, 3)));
            boolean sameBodies = vcpuThreadCount > 1 && r.nextInt(4) > 0; // interchangeable for symmetry
            Long sharedBody = sameBodies ? r.nextLong() : null; // the seed of the one vCPU program
            List<Integer> ids = new ArrayList<>();
            for (int v = 0; v < vcpus; v++) ids.add(v);
            Collections.shuffle(ids, r);
            for (int i = 0; i < vcpuThreadCount; i++) {
                int v = ids.get(i);
                Random body = sharedBody != null ? new Random(sharedBody) : r;
                weight = 0;
                accessed = new ArrayList<>();
                accesses.add(accessed);
                String own = vcpuBody(body, v, items);
                // interchangeable vCPU programs get the same shared-counter item (symmetry)
                Random item = sharedBody != null ? new Random(sharedBody ^ seed) : shared;
                Random extra = sharedBody != null ? new Random(sharedBody ^ 0x5eedL) : more;
                vcpuThreads.add("  thread vcpu " + v + " {\n" + withCounter(item, own, false, extra) + "  }\n");
                weights.add(weight);
            }
            for (int i = vcpuThreadCount; i < threads; i++) {
                weight = 0;
                accessed = new ArrayList<>();
                accesses.add(accessed);
                String own = kernelBody(items);
                if (gen2.nextInt(3) == 0) {
                    String item = gen2Item();
                    own = gen2.nextBoolean() ? item + own : own + item;
                }
                kernelThreads.add("  thread " + threadName(i) + " {\n" + withCounter(shared, own, true) + "  }\n");
                weights.add(weight);
            }
        }

        if (zapped != null && threads < 4 && (mmu.equals("both") || gen2.nextBoolean())) {
            // the notifier racing the zap, on a range that overlaps it (inside one memslot, as the checker asks)
            Slot in = slots.stream().filter(s -> s.gpa() < zapped[1] && zapped[0] < s.gpa() + s.size()).findFirst()
                    .orElse(null);
            if (in != null) {
                long start = Math.max(zapped[0], in.gpa());
                long end = Math.min(Math.min(zapped[1], in.gpa() + in.size()), start + M2);
                String range = hex(start) + " .. " + hex(end);
                accesses.add(new ArrayList<>());
                weights.add(KERNEL_PATH);
                boolean delete = in.backing() != G1 && (mmu.equals("both") || gen2.nextBoolean());
                if (cost() > BUDGET) {
                    // only where it fits: a thread more is a redraw in most scenarios
                    accesses.remove(accesses.size() - 1);
                    weights.remove(weights.size() - 1);
                } else if (delete) {
                    // or the memslot's deletion: kvm_zap_gfn_range's memslot walk (mmu both) beside it
                    slotZap = true;
                    kernelThreads.add("  thread mn {\n    memslot_delete " + in.id() + "\n  }\n");
                } else {
                    kernelThreads.add("  thread mn {\n    mmu_notifier_invalidate " + range
                            + (gen2.nextBoolean() ? "; host_free " + range : "") + "\n  }\n");
                }
            }
        }

        StringBuilder sc = new StringBuilder();
        sc.append("# generated by ScenarioGenerator, seed ").append(seed)
                .append(attempt > 0 ? ", draw " + (attempt + 1) : "").append('\n');
        boolean pathsAtFileLevel = r.nextBoolean();
        String setup = census ? censusSetup() : setup();
        StringBuilder members = new StringBuilder();
        members.append(vmBlock());
        for (Slot s : slots) members.append(memslot(s));
        members.append("  vcpus ").append(vcpus).append('\n');
        if (!pathsAtFileLevel) {
            for (String p : paths) members.append(indent(p));
        }
        members.append(setup);
        kernelThreads.forEach(members::append);
        vcpuThreads.forEach(members::append);
        // no preemption bound on a census: its race needs a switch inside the zap's read-locked section
        if (!census) members.append(explore(vcpuThreadCount));
        if (census) {
            members.append(censusExpectations());
        } else {
            members.append(expectations());
        }
        if (focusedRoots != null) members.append(focusedExpectations());
        members.append(counterExpectations());
        for (String g : globals) sc.append(g);
        if (pathsAtFileLevel) {
            for (String p : paths) sc.append(p);
        }
        sc.append("scenario \"generated ").append(seed).append("\" {\n").append(members).append("}\n");
        return sc.toString();
    }

    // ---- the machine -------------------------------------------------------------------------

    private void machine() {
        int m = r.nextInt(10);
        mmu = m < 6 ? "tdp" : m < 8 ? "shadow" : "both";
        vcpus = 1 + r.nextInt(3);
        int n = 1 + r.nextInt(3);
        long cursor = 0;
        int id = r.nextInt(4) == 0 ? 1 : 0;
        for (int i = 0; i < n; i++) {
            int b = r.nextInt(10);
            long backing = b < 5 ? K4 : b < 9 ? M2 : G1;
            long gpa;
            long size;
            if (backing == G1) {
                gpa = align(cursor, G1);
                size = G1;
            } else if (backing == M2) {
                gpa = align(cursor, M2);
                size = r.nextInt(4) == 0 ? 2 * M2 : M2;
            } else {
                gpa = align(cursor, M2);
                size = pick(4 * K4, 16 * K4, M2);
            }
            boolean dirtyLog = backing != G1 && r.nextInt(5) == 0;
            boolean readonly = r.nextInt(10) == 0;
            slots.add(new Slot(id, gpa, size, backing, dirtyLog, readonly));
            cursor = gpa + size;
            id += 1 + (r.nextInt(5) == 0 ? 1 : 0);
        }
        freeGpa = align(cursor, G1) + G1;
        pml = !mmu.equals("shadow") && more.nextInt(6) == 0;
        int a = 1 + r.nextInt(3);
        for (int i = 0; i < a; i++) {
            Slot s = slot();
            long page = pick(0L, K4, 2 * K4, s.size() - K4);
            addresses.add(s.gpa() + page);
        }
    }

    private String vmBlock() {
        StringBuilder vm = new StringBuilder("  vm {\n    mmu ").append(mmu).append('\n');
        vm.append("    nx_huge_pages ").append(r.nextBoolean() ? "on" : "off").append('\n');
        if (r.nextBoolean()) vm.append("    nx_recovery_ratio ").append(pick(0, 1, 1, 2, 4)).append('\n');
        if (r.nextInt(3) == 0) vm.append("    eager_page_split ").append(r.nextBoolean() ? "on" : "off").append('\n');
        if (r.nextInt(20) == 0) vm.append("    tdp_levels 5\n");
        // KVM_X86_QUIRK_SLOT_ZAP_ALL, for a scenario that deletes or moves a memslot: half of them
        // zap the slot alone. Drawn apart from r, so that every other line of a seed stays as it was
        // (SplittableRandom: java.util.Random's first draws of neighbouring seeds agree).
        if (slotZap && new SplittableRandom(seed).nextBoolean() && !before612()) vm.append("    quirk slot_zap_all off\n");
        if (kernelVersion != null) vm.append("    kernel ").append(kernelVersion).append('\n');
        // rwlock_needbreak(): only under preempt full does a waiter force the yield branch
        int p = more.nextInt(10);
        if (p < 3) vm.append("    preempt ").append(p == 0 ? "full" : p == 1 ? "voluntary" : "none").append('\n');
        if (pml) vm.append("    pml on\n");
        // KVM on Hyper-V (a ranged remote TLB flush) for a third of the EPT/NPT machines, drawn apart too.
        if (!mmu.equals("shadow") && new SplittableRandom(~seed).nextInt(3) == 0) vm.append("    flush_remote_tlbs_range on\n");
        return vm.append("  }\n").toString();
    }

    private static String memslot(Slot s) {
        StringBuilder m = new StringBuilder("  memslot ").append(s.id()).append(" { gpa ").append(hex(s.gpa()))
                .append(" size ").append(size(s.size())).append(" backing ").append(size(s.backing()));
        if (s.dirtyLog() || s.readonly()) {
            m.append(" flags ").append(s.dirtyLog() ? "dirty_log" : "")
                    .append(s.dirtyLog() && s.readonly() ? ", " : "").append(s.readonly() ? "readonly" : "");
        }
        return m.append(" }\n").toString();
    }

    // ---- setup and threads -------------------------------------------------------------------

    private String setup() {
        int n = r.nextInt(4);
        if (n == 0) return "";
        StringBuilder s = new StringBuilder("  setup {\n");
        for (int i = 0; i < n; i++) {
            int k = r.nextInt(10);
            long gpa = address();
            if (k < 7) {
                String access = access(r, gpa);
                warm.add(mapping(gpa));
                s.append("    vcpu ").append(r.nextInt(vcpus)).append(' ').append(nested())
                        .append(access).append(' ').append(hex(gpa)).append('\n');
            } else if (k < 8) {
                s.append("    assert ").append(condition(1)).append('\n');
            } else {
                Slot small = slotWideTarget();
                s.append("    ").append(small == null ? "kvm_flush_remote_tlbs"
                        : pick("kvm_flush_remote_tlbs", "dirty_log_enable " + small.id(), "eager_split " + small.id()))
                        .append('\n');
            }
        }
        return s.append("  }\n").toString();
    }

    private String nested() {
        return mmu.equals("both") && r.nextInt(3) == 0 ? "nested " : "";
    }

    /** A vCPU's guest accesses; `body` is a separate stream when vCPU threads share one program. */
    private String vcpuBody(Random body, int vcpu, int items) {
        StringBuilder b = new StringBuilder();
        int n = 1 + body.nextInt(items);
        for (int i = 0; i < n; i++) {
            int k = body.nextInt(12);
            long address = addresses.get(body.nextInt(addresses.size()));
            String gpa = hex(address);
            String access = access(body, address);
            String write = slotOf(address).readonly() ? "read" : "write";
            String nested = mmu.equals("both") && body.nextInt(3) == 0 ? "nested " : "";
            if (k < 7 || k == 9 || k == 10) accessed.add(new long[] {address});
            if (k == 8) {
                accessed.add(new long[] {address});
                accessed.add(new long[] {address});
            }
            weight += k == 10 ? 2 * LIGHT : k == 11 ? LIGHT : 0;
            if (k < 7) {
                b.append("    ").append(nested).append(access).append(' ').append(gpa).append('\n');
            } else if (k < 8) {
                // the scenario's own choice between two accesses (a choose reads nothing shared)
                long other = addresses.get(body.nextInt(addresses.size()));
                accessed.add(new long[] {address, other});
                b.append("    choose { ").append(access).append(' ').append(gpa).append(" } or { ")
                        .append(access(body, other)).append(' ').append(hex(other)).append(" }\n");
            } else if (k < 9) {
                b.append("    repeat 2 { ").append(access).append(' ').append(gpa).append(" }\n");
            } else if (k < 10) {
                b.append("    if spte(").append(gpa).append(").present { ").append(write).append(' ').append(gpa)
                        .append(" } else { read ").append(gpa).append(" }\n");
            } else if (k < 11) {
                String x = "seen" + i;
                b.append("    let ").append(x).append(" = tlb(").append(vcpu).append(", ").append(gpa).append(")\n");
                b.append("    ").append(access).append(' ').append(gpa).append('\n');
                b.append("    assert !").append(x).append(" || spte(").append(gpa).append(").present || !tlb(")
                        .append(vcpu).append(", ").append(gpa).append(")\n");
            } else {
                b.append("    assert host(").append(gpa).append(").freed || !tlb(").append(vcpu).append(", ")
                        .append(gpa).append(") || spte(").append(gpa).append(").present\n");
            }
        }
        return b.toString();
    }

    private String kernelBody(int items) {
        StringBuilder b = new StringBuilder();
        int n = 1 + r.nextInt(items);
        for (int i = 0; i < n; i++) {
            int k = r.nextInt(12);
            if (k < 5) {
                if (more.nextInt(5) == 0) {
                    // a whole kernel path as one step (it waits at a lock or synchronize_srcu inside)
                    int before = weight;
                    String path = builtinPath();
                    weight = before + 2 * LIGHT;
                    String bump = "";
                    if (counter != null && more.nextBoolean()) {
                        bump = "; " + counter + " = " + counter + " + 1";
                        bumps++;
                    }
                    b.append("    atomic { ").append(path).append(bump).append(" }\n");
                } else {
                    b.append("    ").append(builtinPath()).append('\n');
                }
            } else if (k < 9) {
                weight += USER_PATH;
                b.append("    ").append(more.nextInt(3) == 0 ? extraUserPathCall() : userPathCall()).append('\n');
            } else if (k < 10) {
                long gpa = address();
                accessed.add(new long[] {gpa});
                b.append("    vcpu ").append(r.nextInt(vcpus)).append(' ').append(nested())
                        .append(access(r, gpa)).append(' ').append(hex(gpa)).append('\n');
            } else if (k < 11) {
                // an observer: a check of what the racing threads did (it may name a vCPU)
                weight += LIGHT;
                b.append("    assert ").append(condition(1)).append('\n');
            } else {
                weight += LIGHT;
                b.append("    if ").append(condition(1)).append(" {\n      ").append(builtinPath())
                        .append("\n    }\n");
            }
        }
        return b.toString();
    }

    private boolean tdp() {
        return !mmu.equals("shadow");
    }

    /** One built-in kernel path in command form, its weight added to the thread's. */
    private String builtinPath() {
        String path = drawBuiltinPath();
        if (more.nextInt(4) == 0) path = extraBuiltinPath();
        weight += path.equals("kvm_flush_remote_tlbs") ? LIGHT : path.contains(";") ? 2 * KERNEL_PATH : KERNEL_PATH;
        return path;
    }

    private String drawBuiltinPath() {
        Slot s = slotWideTarget();
        int k = r.nextInt(tdp() ? 15 : 13);
        if (s == null && k >= 4 && k <= 10) {
            return "kvm_mmu_zap_all_fast";
        }
        switch (k) {
            case 0:
                return nxRecovery();
            case 1: {
                String range = range();
                return "mmu_notifier_invalidate " + range + (r.nextInt(3) > 0 ? "; host_free " + range : "");
            }
            case 2:
                return "kvm_flush_remote_tlbs";
            case 3:
                return "kvm_mmu_zap_all_fast";
            case 4:
                return "dirty_log_enable " + s.id();
            case 5:
                return "dirty_log_disable " + s.id();
            case 6:
                return "clear_dirty_log " + s.id();
            case 7:
                // the kernel's name: v6.13 renamed it kvm_mmu_recover_huge_pages (Prelude.RENAMES)
                return (kernel612 ? "kvm_mmu_zap_collapsible_sptes " : "kvm_mmu_recover_huge_pages ") + s.id();
            case 8:
                return "eager_split " + s.id();
            case 9:
                slotZap = true;
                return "memslot_delete " + s.id();
            case 10:
                if (!moved) {
                    moved = true;
                    slotZap = true;
                    return "memslot_move " + s.id() + " " + hex(align(freeGpa, s.backing()));
                }
                return nxRecovery();
            case 11:
                return "host_free " + range();
            case 12:
                return "mmu_notifier_invalidate " + range();
            default:
                return "kvm_tdp_mmu_zap_gfn_range " + range();
        }
    }

    /**
     * The built-in paths drawBuiltinPath does not write: the aging notifiers (under mmu_lock in
     * 6.12 and older, lockless since 6.15), the OOM reaper's non-blocking invalidation, the slot
     * write-protect alone, and an SMM switch (mmu tdp only).
     */
    private String extraBuiltinPath() {
        Slot s = slotWideTarget();
        int k = more.nextInt(mmu.equals("tdp") ? 7 : 6);
        String range = extraRange();
        return switch (k) {
            case 0 -> "kvm_mmu_notifier_clear_flush_young " + range;
            case 1 -> "kvm_mmu_notifier_clear_young " + range;
            case 2 -> "kvm_mmu_notifier_test_young " + range;
            case 3 -> "mmu_notifier_invalidate_nonblock " + range
                    + (more.nextBoolean() ? "; host_free " + range : "");
            case 4, 5 -> s == null ? "kvm_mmu_notifier_clear_young " + range
                    : "kvm_mmu_slot_remove_write_access " + s.id();
            default -> "kvm_smm_changed " + more.nextInt(vcpus) + " " + more.nextBoolean();
        };
    }

    /** range(), drawn from more: a whole slot (at most 2M of it) or one raced-on page. */
    private String extraRange() {
        Slot s = slots.get(more.nextInt(slots.size()));
        if (more.nextBoolean()) return hex(s.gpa()) + " .. " + hex(s.gpa() + Math.min(s.size(), M2));
        long a = addresses.get(more.nextInt(addresses.size())) & ~(K4 - 1);
        return hex(a) + " .. " + hex(a + K4);
    }

    /** The recovery worker's run: 6.12's one loop, or 7.2's pass per MMU type (which takes the type). */
    private String nxRecovery() {
        return kernel612 ? "kvm_recover_nx_lpages" : "kvm_nx_huge_page_recovery_worker";
    }

    /** A gpa range in one slot: the whole slot, its first 2M, or the page of a raced-on address. */
    private String range() {
        Slot s = slot();
        int k = r.nextInt(3);
        long start = s.gpa();
        long end = s.gpa() + s.size();
        if (k == 1) {
            end = s.gpa() + Math.min(s.size(), M2);
        } else if (k == 2) {
            long a = address();
            start = a & ~(K4 - 1);
            end = start + K4;
        }
        return hex(start) + " .. " + hex(end);
    }

    /** Declares a user path (a correct or a subtly broken variant of a kernel routine) and calls it. */
    private String userPathCall() {
        String name = "p" + pathCount++;
        int k = r.nextInt(tdp() ? 7 : 3);
        long gpa = address();
        long gfn = gpa >>> 12;
        String call;
        StringBuilder p = new StringBuilder();
        switch (k) {
            case 0 -> {
                // kvm_mmu_prepare_zap_page + commit (shadow MMU)/ NX recovery of the list's head.
                p.append("path ").append(name).append("(n) {\n");
                boolean srcu = r.nextBoolean();
                if (srcu) p.append("  lock read srcu\n");
                p.append("  lock write\n  let flush = false\n  for sp in lpage_disallowed take n {\n");
                if (r.nextInt(4) == 0) {
                    // a dirty-logged slot's page is only unaccounted (kvm_recover_nx_huge_pages)
                    p.append("    unaccount_nx(sp)\n");
                } else if (tdp()) {
                    p.append("    if is_tdp_mmu_page(sp) {\n      flush |= tdp_zap_sp(sp)\n    } else {\n"
                            + "      prepare_zap(sp)\n    }\n");
                } else {
                    p.append("    prepare_zap(sp)\n");
                }
                if (r.nextBoolean()) {
                    p.append("    if need_resched {\n");
                    if (r.nextInt(3) > 0) {
                        p.append(r.nextBoolean() ? "      remote_flush_or_zap(flush)\n"
                                : "      commit_zap()\n      if flush {\n        flush_remote_tlbs()\n      }\n");
                        p.append("      flush = false\n");
                    }
                    p.append("      yield\n    }\n");
                }
                p.append("  }\n  remote_flush_or_zap(flush)\n  unlock\n");
                if (srcu) p.append("  unlock srcu\n");
                p.append("}\n");
                call = name + "(" + (1 + r.nextInt(2)) + ")";
            }
            case 1 -> {
                // a locked region that reads state, maybe asserts, maybe flushes
                p.append("path ").append(name).append("() {\n  lock ").append(pick("read", "write")).append('\n');
                p.append("  let before = ").append(condition(1)).append('\n');
                if (r.nextBoolean()) p.append("  if need_resched {\n    yield\n  }\n");
                if (r.nextBoolean()) p.append("  flush_remote_tlbs()\n");
                p.append("  assert before || ").append(condition(1)).append('\n');
                p.append("  unlock\n}\n");
                call = name + "()";
            }
            case 2 -> {
                // a bounded loop of lockless reads and a fast-path cmpxchg
                p.append("path ").append(name).append("(limit) {\n  let i = 0\n  let seen = 0\n");
                p.append("  while i < limit {\n    if ").append(condition(1)).append(" {\n      seen = seen + 1\n");
                p.append("    } else {\n      break\n    }\n    i = i + 1\n  }\n");
                p.append("  assert seen <= limit\n");
                if (r.nextBoolean()) {
                    // a shared counter, bumped by a plain load and store or by a try_cmpxchg loop
                    String g = "g" + globals.size();
                    globals.add("global " + g + " = 0\n");
                    p.append(r.nextBoolean() ? "  " + g + " = " + g + " + seen\n"
                            : "  let old = " + g + "\n  while !try_cmpxchg(" + g + ", old, old + seen) {\n  }\n");
                    p.append("  assert ").append(g).append(" >= seen\n");
                }
                p.append("}\n");
                call = name + "(" + (1 + r.nextInt(2)) + ")";
            }
            case 3 -> {
                // zap_gfn_range with or without its flush
                p.append("path ").append(name).append("(start, end) {\n");
                boolean slots = r.nextInt(4) == 0;
                boolean srcu = r.nextBoolean();
                if (slots) p.append("  lock write slots_lock\n");
                if (srcu) p.append("  lock read srcu\n");
                p.append("  lock write\n  let flush = tdp_zap_range(start, end, flush: false, can_yield: ")
                        .append(r.nextBoolean()).append(")\n");
                if (r.nextBoolean()) {
                    // need_resched as a statement, or as a value (the flush decided before the yield)
                    boolean value = r.nextBoolean();
                    p.append(value ? "  if flush && need_resched {\n" : "  if need_resched {\n");
                    if (r.nextInt(3) > 0) p.append("    if flush {\n      flush_remote_tlbs()\n      flush = false\n    }\n");
                    p.append("    yield\n  }\n");
                }
                if (r.nextInt(4) > 0) p.append("  if flush {\n    flush_remote_tlbs()\n  }\n");
                p.append("  unlock\n");
                if (srcu) p.append("  unlock srcu\n");
                if (slots) p.append("  unlock slots_lock\n");
                p.append("}\n");
                Slot s = slotOf(gpa);
                long start = r.nextBoolean() ? s.gpa() : gpa & ~(K4 - 1);
                long end = Math.min(s.gpa() + s.size(), start + (r.nextBoolean() ? K4 : WALK));
                call = name + "(" + hex(start >>> 12) + ", " + hex(end >>> 12) + ")";
            }
            case 4 -> {
                // eager split written by hand, RCU protected or not, yielding or not
                Slot s = slotOf(gpa);
                boolean rcu = r.nextInt(4) > 0;
                p.append("path ").append(name).append("(start, end) {\n  lock read\n");
                if (rcu) p.append("  rcu_read_lock()\n");
                p.append("  for iter in tdp_pte(root, start .. end) {\n"
                        + "    if iter.present && iter.leaf && iter.level > 1 {\n      split_huge(iter.gfn)\n    }\n");
                if (r.nextBoolean()) {
                    p.append("    ").append(pick("tdp_mmu_iter_cond_resched", "tdp_mmu_iter_cond_resched_unguarded"))
                            .append("(false)\n");
                }
                p.append("  }\n");
                if (rcu) p.append("  rcu_read_unlock()\n");
                p.append("  unlock\n}\n");
                long start = r.nextBoolean() ? s.gpa() : gpa & ~(M2 - 1);
                long end = Math.min(s.gpa() + s.size(), start + WALK);
                call = name + "(" + hex(start >>> 12) + ", " + hex(end >>> 12) + ")";
            }
            case 5 -> {
                // write-protect one 4K SPTE (a bad one may forget the flush)
                p.append("path ").append(name).append("(gfn) {\n  lock write\n");
                p.append("  let was = spte(").append(hex(gpa)).append(").present\n");
                p.append("  set_spte(gfn, 1, ").append(r.nextInt(4) > 0).append(", false, ").append(r.nextBoolean())
                        .append(")\n");
                if (r.nextInt(3) > 0) p.append("  flush_remote_tlbs()\n");
                p.append("  assert was || !spte(").append(hex(gpa)).append(").writable\n  unlock\n}\n");
                call = name + "(" + hex(gfn) + ")";
            }
            default -> {
                // the fast page fault's lockless cmpxchg, in an SRCU read side or an atomic block
                p.append("path ").append(name).append("(gfn) {\n");
                if (r.nextBoolean()) {
                    p.append("  lock read srcu\n  let ok = cmpxchg_spte(gfn, ").append(r.nextBoolean()).append(")\n");
                    p.append("  if ok {\n    assert spte(").append(hex(gpa)).append(").present\n  }\n  unlock srcu\n");
                } else {
                    p.append("  atomic {\n    let ok = cmpxchg_spte(gfn, true)\n    assert !ok || spte(")
                            .append(hex(gpa)).append(").writable\n  }\n");
                }
                p.append("}\n");
                call = name + "(" + hex(gfn) + ")";
            }
        }
        paths.add(p.toString());
        return call;
    }

    /**
     * A user path of the gencover stream: a loop under mmu_lock that yields (and bumps the
     * counter in the locked region), a walk that returns from inside its loop and lock (sometimes
     * keeping the lock, the kernel's missing `goto out_unlock`), a read-lock path over a
     * cmpxchg primitive (wrprot_gfn_range, clear_dirty_gfn_range, or lockless aging), or an SRCU
     * read side that bumps the counter beside synchronize_srcu().
     */
    private String extraUserPathCall() {
        String name = "p" + pathCount++;
        int k = more.nextInt(tdp() ? 4 : 2);
        if (k == 1 && counter == null) k = 0;
        Slot s = slots.get(more.nextInt(slots.size()));
        long gpa = addresses.get(more.nextInt(addresses.size()));
        StringBuilder p = new StringBuilder();
        String call;
        switch (k) {
            case 0 -> {
                int limit = 1 + more.nextInt(2);
                String mode = more.nextBoolean() ? "read" : "write";
                p.append("path ").append(name).append("(limit) {\n  lock ").append(mode).append("\n  let i = 0\n");
                p.append("  while i < limit {\n    i = i + 1\n");
                if (counter != null && more.nextInt(3) > 0) {
                    String g = counter;
                    p.append("    let x = ").append(g).append("\n");
                    if (more.nextBoolean()) p.append("    flush_remote_tlbs()\n");
                    p.append("    ").append(g).append(" = x + 1\n");
                    bumps += limit;
                } else {
                    p.append("    if !spte(").append(hex(gpa)).append(").present {\n      ")
                            .append(more.nextBoolean() ? "break" : "continue").append("\n    }\n");
                }
                p.append("    if need_resched {\n      yield\n    }\n  }\n  unlock\n}\n");
                call = name + "(" + limit + ")";
            }
            case 1 -> {
                String g = counter;
                p.append("path ").append(name).append("() {\n  lock read srcu\n  let x = ").append(g).append('\n');
                p.append("  ").append(g).append(" = x + 1\n  unlock srcu\n");
                if (more.nextBoolean()) p.append("  synchronize_srcu()\n");
                p.append("}\n");
                bumps++;
                call = name + "()";
            }
            case 2 -> {
                boolean keep = more.nextInt(4) == 0;
                boolean rcu = more.nextBoolean();
                long start = s.gpa() >>> 12;
                long end = (s.gpa() + Math.min(s.size(), WALK)) >>> 12;
                if (more.nextInt(3) == 0) {
                    // the same walk left by a goto forward out of the loop (the kernel's goto out)
                    p.append("path ").append(name).append("(start, end) {\n  lock read\n");
                    if (rcu) p.append("  rcu_read_lock()\n");
                    p.append("  for iter in tdp_pte(root, start .. end) {\n    if iter.present && iter.leaf {\n")
                            .append("      goto out\n    }\n  }\n  out:\n");
                    if (rcu) p.append("  rcu_read_unlock()\n");
                    p.append(keep ? "}\n" : "  unlock\n}\n");
                    paths.add(p.toString());
                    return name + "(" + hex(start) + ", " + hex(end) + ")";
                }
                p.append("path ").append(name).append("(start, end) -> bool {\n  lock read\n");
                if (rcu) p.append("  rcu_read_lock()\n");
                p.append("  for iter in tdp_pte(root, start .. end) {\n    if iter.present && iter.leaf")
                        .append(more.nextBoolean() ? " && iter.level > 1" : "").append(" {\n");
                if (rcu) p.append("      rcu_read_unlock()\n");
                if (!keep) p.append("      unlock\n");
                p.append("      return true\n    }\n  }\n");
                if (rcu) p.append("  rcu_read_unlock()\n");
                p.append("  unlock\n  return false\n}\n");
                call = "let found" + pathCount + " = " + name + "(" + hex(start) + ", " + hex(end) + ")";
            }
            default -> {
                long start = s.gpa() >>> 12;
                long end = (s.gpa() + Math.min(s.size(), WALK)) >>> 12;
                int which = more.nextInt(pml ? 3 : 2);
                p.append("path ").append(name).append("(start, end) {\n");
                if (which == 1) {
                    p.append("  let flush = __kvm_tdp_mmu_age_gfn_range(start, end, false)\n"); // the lockless walk (gfns)
                } else {
                    p.append("  lock read\n  let flush = ")
                            .append(which == 0 ? "wrprot_gfn_range(start, end)" : "clear_dirty_gfn_range(start, end)")
                            .append('\n');
                    if (counter != null && more.nextBoolean()) {
                        p.append("  if flush {\n    ").append(counter).append(" = ").append(counter).append(" + 1\n  }\n");
                    }
                    p.append("  unlock\n");
                }
                if (more.nextInt(4) > 0) p.append("  if flush {\n    flush_remote_tlbs()\n  }\n");
                p.append("}\n");
                call = name + "(" + hex(start) + ", " + hex(end) + ")";
            }
        }
        paths.add(p.toString());
        return call;
    }

    // ---- gen2: kvm_zap_gfn_range and root references ----------------------------------------

    /**
     * A scenario of the gen2 stream: a kernel thread with a kvm_zap_gfn_range call or a root-reference
     * walk, a thread that races it (a vCPU's fault in the range, the MMU notifier, the memslot's
     * deletion, or for a root walk kvm_mmu_zap_all_fast, which invalidates the roots and puts their
     * references), and a vCPU more where it fits the budget. Returns the number of vCPU threads.
     */
    private int focused(List<String> vcpuThreads, List<String> kernelThreads) {
        boolean roots = tdp() && !before612() && gen2.nextBoolean();
        focusedRoots = roots;
        weight = 0;
        accessed = new ArrayList<>();
        accesses.add(accessed);
        String first;
        if (roots) {
            first = switch (gen2.nextInt(3)) {
                case 0 -> rootWalkLeftEarly();
                case 1 -> rootWalkWithItsOwnReference();
                default -> zapInvalidatedRootsCopy();
            };
        } else {
            first = zapGfnRange();
        }
        kernelThreads.add("  thread t0 {\n" + first + "  }\n");
        weights.add(weight);

        weight = 0;
        accessed = new ArrayList<>();
        accesses.add(accessed);
        List<Slot> small = slots.stream().filter(s -> s.backing() != G1).toList();
        int k = gen2.nextInt(4);
        int vcpuThreadCount = 0;
        int racer = -1;
        if (k == 0) {
            racer = gen2.nextInt(vcpus);
            vcpuThreads.add(focusedAccess(racer));
            vcpuThreadCount++;
        } else if (k == 1 && roots) {
            weight += KERNEL_PATH;
            kernelThreads.add("  thread host {\n    kvm_mmu_zap_all_fast\n  }\n");
        } else if (k == 2 && !small.isEmpty()) {
            weight += KERNEL_PATH;
            slotZap = true;
            kernelThreads.add("  thread host {\n    memslot_delete " + small.get(gen2.nextInt(small.size())).id() + "\n  }\n");
        } else {
            weight += KERNEL_PATH;
            String range = notifierRange();
            kernelThreads.add("  thread host {\n    mmu_notifier_invalidate " + range
                    + (gen2.nextBoolean() ? "; host_free " + range : "") + "\n  }\n");
        }
        weights.add(weight);

        if (gen2.nextBoolean()) {
            int v = gen2.nextInt(vcpus);
            if (v != racer) {
                weight = 0;
                accessed = new ArrayList<>();
                accesses.add(accessed);
                String t = focusedAccess(v);
                weights.add(weight);
                if (cost() > BUDGET) {
                    accesses.remove(accesses.size() - 1);
                    weights.remove(weights.size() - 1);
                } else {
                    vcpuThreads.add(t);
                    vcpuThreadCount++;
                }
            }
        }
        return vcpuThreadCount;
    }

    /**
     * A gen2 scenario's own expectations, on what its shape decides: for a root walk, no root freed
     * under a user or a reference left (the generic ones do not name freed_root_in_use); for a zap,
     * a raced-on page of the range present at some point or absent at the end.
     */
    private String focusedExpectations() {
        StringBuilder e = new StringBuilder();
        if (focusedRoots) {
            if (gen2.nextInt(3) > 0) e.append("  expect never freed_root_in_use\n");
            if (gen2.nextBoolean()) e.append("  expect never page_table_leak\n");
            return e.toString();
        }
        List<Long> in = addresses.stream().filter(a -> a >= zapped[0] && a < zapped[1]).toList();
        long a = in.isEmpty() ? addresses.get(gen2.nextInt(addresses.size())) : in.get(gen2.nextInt(in.size()));
        e.append(gen2.nextBoolean() ? "  expect reachable spte(" + hex(a) + ").present\n"
                : "  expect final !spte(" + hex(a) + ").present\n");
        if (gen2.nextBoolean()) e.append("  expect always !tlb(0, " + hex(a) + ") || spte(" + hex(a) + ").present\n");
        return e.toString();
    }

    /** A vCPU thread's access, in the zapped range where a raced-on address lies in it. */
    private String focusedAccess(int v) {
        List<Long> in = zapped == null ? List.of()
                : addresses.stream().filter(a -> a >= zapped[0] && a < zapped[1]).toList();
        long a = !in.isEmpty() && gen2.nextInt(4) > 0 ? in.get(gen2.nextInt(in.size()))
                : addresses.get(gen2.nextInt(addresses.size()));
        accessed.add(new long[] {a});
        return "  thread vcpu " + v + " {\n    " + access(gen2, a) + " " + hex(a) + "\n  }\n";
    }

    /** The notifier's range: the zapped range's part in a memslot if it has one, else extraRange()'s forms from gen2. */
    private String notifierRange() {
        if (zapped != null) {
            for (Slot in : slots) {
                if (in.gpa() < zapped[1] && zapped[0] < in.gpa() + in.size()) {
                    long start = Math.max(zapped[0], in.gpa());
                    long end = Math.min(Math.min(zapped[1], in.gpa() + in.size()), start + M2);
                    return hex(start) + " .. " + hex(end);
                }
            }
        }
        Slot s = slots.get(gen2.nextInt(slots.size()));
        if (gen2.nextBoolean()) return hex(s.gpa()) + " .. " + hex(s.gpa() + Math.min(s.size(), M2));
        long a = addresses.get(gen2.nextInt(addresses.size())) & ~(K4 - 1);
        return hex(a) + " .. " + hex(a + K4);
    }

    /**
     * An item of the gen2 stream for a kernel thread: a call of the prelude's kvm_zap_gfn_range
     * (half of them), else, on a TDP machine of 6.12 or later, a root-reference walk.
     */
    private String gen2Item() {
        if (!tdp() || before612() || gen2.nextBoolean()) return zapGfnRange();
        return switch (gen2.nextInt(zapRootsCopy ? 2 : 3)) {
            case 0 -> rootWalkLeftEarly();
            case 1 -> rootWalkWithItsOwnReference();
            default -> zapInvalidatedRootsCopy();
        };
    }

    /**
     * kvm_zap_gfn_range(gfn_start, gfn_end) (the APICv inhibit's, a non-coherent DMA device's): a
     * range inside a memslot (a raced-on page, or the slot's first 2M at most), across two slots
     * (or the end of the last one into no slot), or outside every slot (above them, or in a gap).
     */
    private String zapGfnRange() {
        weight += KERNEL_PATH;
        List<Slot> sorted = new ArrayList<>(slots);
        sorted.sort((a, b) -> Long.compare(a.gpa(), b.gpa()));
        long start;
        long end;
        int k = gen2.nextInt(6);
        if (k < 2) {
            long a = addresses.get(gen2.nextInt(addresses.size())) & ~(K4 - 1);
            start = a;
            end = a + (k == 0 ? K4 : 4 * K4);
            end = Math.min(end, slotOf(a).gpa() + slotOf(a).size());
        } else if (k == 2) {
            Slot s = sorted.get(gen2.nextInt(sorted.size()));
            start = s.gpa();
            end = s.gpa() + Math.min(s.size(), M2);
        } else if (k == 3) {
            // across: the last pages of one slot and the first of the next, or past the last slot's end
            int i = gen2.nextInt(sorted.size());
            Slot s = sorted.get(i);
            start = s.gpa() + s.size() - 2 * K4;
            end = i + 1 < sorted.size() ? sorted.get(i + 1).gpa() + 2 * K4 : s.gpa() + s.size() + 2 * K4;
        } else if (k == 4) {
            start = freeGpa;
            end = freeGpa + (gen2.nextBoolean() ? K4 : M2);
        } else {
            // a gap between two slots if there is one, else just past the last slot
            long gapStart = -1;
            for (int i = 0; i + 1 < sorted.size(); i++) {
                long e = sorted.get(i).gpa() + sorted.get(i).size();
                if (e < sorted.get(i + 1).gpa()) gapStart = e;
            }
            Slot last = sorted.get(sorted.size() - 1);
            start = gapStart >= 0 ? gapStart : last.gpa() + last.size();
            end = start + 2 * K4;
        }
        zapped = new long[] {start, end};
        return "    kvm_zap_gfn_range(" + hex(start >>> 12) + ", " + hex(end >>> 12) + ")\n";
    }

    /** A gfn range of a slot for a walk: the slot's first WALK, or a raced-on page's. */
    private String walkRange() {
        long start;
        long end;
        if (gen2.nextBoolean()) {
            Slot s = slots.get(gen2.nextInt(slots.size()));
            start = s.gpa();
            end = s.gpa() + Math.min(s.size(), WALK);
        } else {
            long a = addresses.get(gen2.nextInt(addresses.size())) & ~(K4 - 1);
            start = a;
            end = a + K4;
        }
        return hex(start >>> 12) + ", " + hex(end >>> 12);
    }

    /**
     * A yield-safe root loop (for_each_tdp_mmu_root_yield_safe: a reference on each root) left
     * early, as the kernel's callers do: a return from inside the walk or a break out of the loop,
     * each after the put of the root the loop holds; a sixth of them forget that put (a reference
     * never put: page_table_leak).
     */
    private String rootWalkLeftEarly() {
        String name = "p" + pathCount++;
        weight += KERNEL_PATH;
        String mode = gen2.nextBoolean() ? "read" : "write";
        String loop = gen2.nextBoolean() ? "tdp_mmu_roots_yield_safe" : "valid_tdp_mmu_roots_yield_safe";
        boolean put = gen2.nextInt(6) > 0;
        boolean yield = gen2.nextBoolean();
        String found = "iter.present && iter.leaf" + (gen2.nextInt(3) == 0 ? " && iter.level > 1" : "");
        StringBuilder p = new StringBuilder();
        String call;
        if (gen2.nextBoolean()) {
            p.append("path ").append(name).append("(start, end) -> bool {\n  lock ").append(mode).append('\n');
            p.append("  for root in ").append(loop).append(" {\n    for iter in tdp_pte(root, start .. end) {\n");
            p.append("      if ").append(found).append(" {\n");
            if (put) p.append("        kvm_tdp_mmu_put_root(root)\n");
            p.append("        unlock\n        return true\n      }\n    }\n");
            if (yield) p.append("    if need_resched {\n      yield\n    }\n");
            p.append("  }\n  unlock\n  return false\n}\n");
            call = "let found" + pathCount + " = " + name + "(" + walkRange() + ")";
        } else {
            p.append("path ").append(name).append("(start, end) {\n  lock ").append(mode).append("\n  let found = false\n");
            p.append("  for root in ").append(loop).append(" {\n    for iter in tdp_pte(root, start .. end) {\n");
            p.append("      if ").append(found).append(" {\n        found = true\n        break\n      }\n    }\n");
            p.append("    if found {\n");
            if (put) p.append("      kvm_tdp_mmu_put_root(root)\n");
            p.append("      break\n    }\n");
            if (yield) p.append("    if need_resched {\n      yield\n    }\n");
            p.append("  }\n  unlock\n}\n");
            call = name + "(" + walkRange() + ")";
        }
        paths.add(p.toString());
        return "    " + call + "\n";
    }

    /**
     * A root loop whose body takes a reference of its own (kvm_tdp_mmu_get_root, refcount_inc_not_zero)
     * around a walk that may yield, and puts it: under a yield-safe loop, or a plain one under the
     * write lock (no reference of the loop's, so no yield there).
     */
    private String rootWalkWithItsOwnReference() {
        String name = "p" + pathCount++;
        weight += KERNEL_PATH;
        boolean safe = gen2.nextBoolean();
        boolean put = gen2.nextInt(6) > 0;
        StringBuilder p = new StringBuilder("path ").append(name).append("(start, end) {\n  lock ")
                .append(safe && gen2.nextBoolean() ? "read" : "write").append('\n');
        p.append("  for root in ").append(safe ? "tdp_mmu_roots_yield_safe" : gen2.nextBoolean() ? "tdp_mmu_roots" : "valid_tdp_mmu_roots")
                .append(" {\n    if kvm_tdp_mmu_get_root(root) {\n      for iter in tdp_pte(root, start .. end) {\n");
        p.append(safe ? "        tdp_mmu_iter_cond_resched(false)\n" : "        if iter.present && iter.leaf {\n          break\n        }\n");
        p.append("      }\n");
        if (put) p.append("      kvm_tdp_mmu_put_root(root)\n");
        p.append("    }\n  }\n  unlock\n}\n");
        paths.add(p.toString());
        return "    " + name + "(" + walkRange() + ")\n";
    }

    /**
     * A copy of kvm_tdp_mmu_zap_invalidated_roots (the fast zap's back half) as a patch would
     * write it: the put after the zap (the kernel's), before it (the loop's reference keeps the
     * root), or dropped (the TDP MMU's reference never put), sometimes with a yield; and a thread
     * that runs the fast zap, which calls it.
     */
    private String zapInvalidatedRootsCopy() {
        zapRootsCopy = true;
        weight += KERNEL_PATH;
        int order = gen2.nextInt(5);
        StringBuilder p = new StringBuilder("path kvm_tdp_mmu_zap_invalidated_roots() {\n  lock read\n");
        p.append("  for root in invalidated_roots {\n");
        if (order == 1) p.append("    kvm_tdp_mmu_put_root(root)\n");
        p.append("    tdp_mmu_zap_root(root)\n");
        if (order >= 2) p.append("    kvm_tdp_mmu_put_root(root)\n");
        if (gen2.nextBoolean()) p.append("    if need_resched {\n      yield\n    }\n");
        p.append("  }\n  unlock\n}\n");
        paths.add(p.toString());
        return "    kvm_mmu_zap_all_fast\n";
    }

    // ---- gen3: the root census -------------------------------------------------------------------

    private String visits;                                   // the census walk's count of the roots it visited
    private String zapDone;                                  // set by the zap copy at its end, under the read lock
    private String seen;                                     // the walk's copy of zapDone (+1), after its loop

    /**
     * A gen3 scenario (TDP, 6.12 and later): the setup faults a page in on a vCPU and leaves SMM
     * mode changed on every vCPU (kvm_smm_changed: each puts its reference), so the root's one reference is the
     * TDP MMU's; a thread runs kvm_mmu_zap_all_fast, whose back half (a copy of
     * kvm_tdp_mmu_zap_invalidated_roots that sets a global at its end) puts the last reference; a
     * thread walks every root under the read lock (for_each_tdp_mmu_root_yield_safe: the iterator
     * skips a root whose count went to zero), counting the roots it visited, and then copies the
     * zap's global. The walk that missed the root while the zap was still inside its read-locked
     * section (visits 0, the global unset) is reachable only where the iterator's get runs after the
     * last put between two holders of the read lock: a footprint of a put, or of the iterator,
     * that claims the two commute loses it (docs/testing.md, "third round"). Returns 0 (no vCPU thread).
     */
    private int census(List<String> kernelThreads) {
        census = true;
        visits = "g" + globals.size();
        globals.add("global " + visits + " = 0\n");
        zapDone = "g" + globals.size();
        globals.add("global " + zapDone + " = 0\n");
        seen = "g" + globals.size();
        globals.add("global " + seen + " = 0\n");
        // the zap copy: put after the zap (the kernel's) or before it (the iterator's reference keeps the root)
        boolean putFirst = gen3.nextInt(3) == 0;
        StringBuilder z = new StringBuilder("path kvm_tdp_mmu_zap_invalidated_roots() {\n  lock read\n");
        z.append("  for root in invalidated_roots {\n");
        if (putFirst) z.append("    kvm_tdp_mmu_put_root(root)\n");
        z.append("    tdp_mmu_zap_root(root)\n");
        if (!putFirst) z.append("    kvm_tdp_mmu_put_root(root)\n");
        z.append("  }\n  ").append(zapDone).append(" = 1\n  unlock\n}\n");
        paths.add(z.toString());
        zapRootsCopy = true;
        // the walk: a bump per root, or a bump inside its own get and put; sometimes a yield per root
        String name = "p" + pathCount++;
        StringBuilder w = new StringBuilder("path ").append(name).append("() {\n  lock read\n");
        w.append("  for root in tdp_mmu_roots_yield_safe {\n");
        String bump = visits + " = " + visits + " + 1";
        if (gen3.nextInt(3) == 0) {
            w.append("    if kvm_tdp_mmu_get_root(root) {\n      ").append(bump)
                    .append("\n      kvm_tdp_mmu_put_root(root)\n    }\n");
        } else {
            w.append("    ").append(bump).append('\n');
        }
        if (gen3.nextInt(3) == 0) w.append("    if need_resched {\n      yield\n    }\n");
        w.append("  }\n  ").append(seen).append(" = ").append(zapDone).append(" + 1\n  unlock\n}\n");
        paths.add(w.toString());
        String walker = "  thread t0 {\n    " + name + "()\n  }\n";
        String zapper = "  thread host {\n    kvm_mmu_zap_all_fast\n  }\n";
        // the walk first in three of four: the search tries the first thread's step first, and a
        // lie on the pair loses the other order, the one only that race reaches (docs/testing.md)
        if (gen3.nextInt(4) > 0) {
            kernelThreads.add(walker);
            kernelThreads.add(zapper);
        } else {
            kernelThreads.add(zapper);
            kernelThreads.add(walker);
        }
        for (int i = 0; i < 2; i++) {
            accesses.add(new ArrayList<>());
            weights.add(KERNEL_PATH);
        }
        return 0;
    }

    /** The census's setup: a vCPU's root with a page in it, then kvm_smm_changed on every vCPU, which puts their references. */
    private String censusSetup() {
        long a = addresses.get(gen3.nextInt(addresses.size()));
        int v = gen3.nextInt(vcpus);
        StringBuilder s = new StringBuilder("  setup {\n    vcpu ").append(v).append(' ').append(access(gen3, a))
                .append(' ').append(hex(a)).append('\n');
        // every vCPU holds a reference to the root of its role; each drops it entering SMM
        for (int i = 0; i < vcpus; i++) s.append("    kvm_smm_changed ").append(i).append(" true\n");
        return s.append("  }\n").toString();
    }

    /**
     * The census's expectations: the walk that missed the dying root while the zap was inside (the
     * race of the iterator's get with the last put), the one that visited it and saw the zap's end,
     * and at most one root visited. No `never`: an op that writes what an expectation reads is
     * visible and never reduced, and every put and root iterator may record a violation.
     */
    private String censusExpectations() {
        StringBuilder e = new StringBuilder();
        e.append("  expect reachable ").append(visits).append(" == 0 && ").append(seen).append(" == 1\n");
        if (gen3.nextBoolean()) e.append("  expect reachable ").append(visits).append(" == 1 && ").append(seen).append(" == 2\n");
        if (gen3.nextInt(3) == 0) e.append("  expect final ").append(visits).append(" <= 1\n");
        return e.toString();
    }

    // ---- the shared counter ----------------------------------------------------------------------

    /**
     * A thread's body with, sometimes, an item on the shared counter before or after its own: a
     * load then a store (a lost update), the store alone in an atomic block after the load (the
     * block must be a step of its own: docs/testing.md, "An atomic block merged by its opening
     * note"), the whole increment atomic, a try_cmpxchg retry loop, a user path with a goto back or
     * forward, or a choose between two of them; a kernel thread's atomic block may also flush, or
     * take mmu_lock (and wait inside the block while another thread holds it).
     */
    private String withCounter(Random s, String body, boolean kernel) {
        return withCounter(s, body, kernel, more);
    }

    private String withCounter(Random s, String body, boolean kernel, Random extra) {
        if (counter == null) return body;
        if (extra.nextInt(4) == 0) {
            String item = kernel ? lockedBump(extra) : counterReader(extra);
            return extra.nextBoolean() ? item + body : body + item;
        }
        if (s.nextInt(4) == 0) return body;
        String item = counterItem(s, kernel, "x");
        bumps++;
        return s.nextBoolean() ? item + body : body + item;
    }

    /** A user path that bumps the counter inside mmu_lock's region (read: two holders may lose an update). */
    private String lockedBump(Random extra) {
        String name = "p" + pathCount++;
        String g = counter;
        String mode = extra.nextBoolean() ? "read" : "write";
        StringBuilder p = new StringBuilder("path ").append(name).append("() {\n  lock ").append(mode).append('\n');
        p.append("  let x = ").append(g).append('\n');
        if (extra.nextBoolean()) p.append("  flush_remote_tlbs()\n");
        p.append("  ").append(g).append(" = x + 1\n  unlock\n}\n");
        paths.add(p.toString());
        bumps++;
        weight += 3 * LIGHT;
        return "    " + name + "()\n";
    }

    /** A vCPU that reads the counter: an access chosen by it, or a load before an access and a check after. */
    private String counterReader(Random extra) {
        String g = counter;
        long a = addresses.get(extra.nextInt(addresses.size()));
        String gpa = hex(a);
        accessed.add(new long[] {a});
        weight += 2 * LIGHT;
        if (extra.nextBoolean()) {
            String w = slotOf(a).readonly() ? "read" : "write";
            return "    if " + g + " >= " + (1 + extra.nextInt(2)) + " {\n      " + w + " " + gpa + "\n    } else {\n      read "
                    + gpa + "\n    }\n";
        }
        return "    let y = " + g + "\n    " + pickFrom(extra, "read", "exec") + " " + gpa + "\n    assert y <= " + g
                + " || !spte(" + gpa + ").present\n";
    }

    private String counterItem(Random s, boolean kernel, String x) {
        String g = counter;
        int k = s.nextInt(kernel ? 11 : 6);
        String flush = kernel && s.nextBoolean() ? "; kvm_flush_remote_tlbs" : "";
        weight += k == 2 ? 2 * LIGHT : 3 * LIGHT;
        return switch (k) {
            case 0 -> "    let " + x + " = " + g + "\n    " + g + " = " + x + " + 1\n";
            case 1, 5 -> "    let " + x + " = " + g + "\n    atomic { " + g + " = " + x + " + 1" + flush + " }\n";
            case 2 -> "    atomic { let " + x + " = " + g + "; " + g + " = " + x + " + 1" + flush + " }\n";
            case 3 -> "    let " + x + " = " + g + "\n    while !try_cmpxchg(" + g + ", " + x + ", " + x + " + 1) {\n    }\n";
            case 4 -> "    choose { let " + x + " = " + g + "; " + g + " = " + x + " + 1 } or { atomic { " + g + " = "
                    + g + " + 1 } }\n";
            // mmu_lock inside the block: it waits there while a fault or a path holds the lock
            case 9 -> "    atomic { lock write; let " + x + " = " + g + "; " + g + " = " + x + " + 1" + flush + "; unlock }\n";
            case 10 -> "    let " + x + " = " + g + "\n    atomic { lock " + (s.nextBoolean() ? "read" : "write") + "; "
                    + g + " = " + x + " + 1; unlock" + flush + " }\n";
            default -> "    " + counterPath(s) + "\n";
        };
    }

    /** A user path on the shared counter: a goto back (the kernel's retry) or forward (its out label). */
    private String counterPath(Random s) {
        String name = "p" + pathCount++;
        String g = counter;
        StringBuilder p = new StringBuilder("path ").append(name).append("() {\n  let old = ").append(g).append('\n');
        if (s.nextBoolean()) {
            p.append("  retry:\n  if !try_cmpxchg(").append(g).append(", old, old + 1) {\n    goto retry\n  }\n");
        } else {
            p.append("  if old > ").append(1 + s.nextInt(2)).append(" {\n    goto out\n  }\n");
            p.append(s.nextBoolean() ? "  atomic {\n    " + g + " = old + 1\n  }\n" : "  " + g + " = old + 1\n");
            p.append("  out:\n");
        }
        paths.add(p.append("}\n").toString());
        return name + "()";
    }

    /** Expectations that read the counter, so that a lost or an invented interleaving shows in a verdict. */
    private String counterExpectations() {
        if (counter == null || bumps == 0) return "";
        StringBuilder e = new StringBuilder();
        String g = counter;
        int n = bumps + (globals.contains("global " + g + " = 1\n") ? 1 : 0);
        if (shared.nextInt(4) > 0) e.append("  expect final ").append(g).append(" == ").append(n).append('\n');
        if (shared.nextBoolean()) e.append("  expect reachable ").append(g).append(" == ").append(n - 1).append('\n');
        if (shared.nextInt(4) == 0) e.append("  expect always ").append(g).append(" <= ").append(n).append('\n');
        return e.toString();
    }

    // ---- explore and expectations --------------------------------------------------------------

    private String explore(int vcpuThreads) {
        List<String> settings = new ArrayList<>();
        if (vcpuThreads >= 2 && r.nextInt(4) > 0) settings.add("symmetry vcpus");
        int k = r.nextInt(10);
        if (k == 0) settings.add("preemptions <= " + (1 + r.nextInt(3)));
        else if (k == 1) settings.add("strategy bfs");
        if (settings.isEmpty()) return "";
        return "  explore { " + String.join("; ", settings) + " }\n";
    }

    private String expectations() {
        StringBuilder e = new StringBuilder();
        int n = 1 + r.nextInt(5);
        for (int i = 0; i < n; i++) {
            int k = r.nextInt(20);
            if (k < 7) {
                e.append("  expect never ").append(pickFrom(r, INVARIANTS.toArray(String[]::new))).append('\n');
            } else if (k < 9) {
                e.append("  expect violation ").append(pickFrom(r, INVARIANTS.toArray(String[]::new))).append('\n');
                if (r.nextBoolean()) {
                    e.append("  expect fails ").append(pick("always ", "final ", "reachable ")).append(condition(2))
                            .append('\n');
                }
            } else if (k < 12) {
                e.append("  expect always ").append(condition(2)).append('\n');
            } else if (k < 15) {
                e.append("  expect final ").append(condition(2)).append('\n');
            } else if (k < 17) {
                e.append("  expect reachable ").append(condition(2)).append('\n');
            } else if (k < 18) {
                e.append("  expect terminates\n");
            } else {
                e.append("  expect max ").append(pick("commit_batch", "lock_hold_work")).append(" <= ")
                        .append(r.nextInt(6)).append('\n');
            }
        }
        return e.toString();
    }

    /** A boolean expression over the model state, nested up to {@code depth}. */
    private String condition(int depth) {
        int k = r.nextInt(depth > 0 ? 14 : 10);
        String gpa = hex(address());
        return switch (k) {
            case 0 -> "spte(" + gpa + ").present";
            case 1 -> "spte(" + gpa + ").writable";
            case 2 -> "spte(" + gpa + ").level == " + (1 + r.nextInt(3));
            case 3 -> "tlb(" + r.nextInt(vcpus) + ", " + gpa + ")";
            case 4 -> "host(" + gpa + ").freed";
            case 5 -> "stat." + pickFrom(r, STATS.toArray(String[]::new)) + pick(" <= ", " == ", " > ") + r.nextInt(3);
            case 6 -> "lpage_disallowed.len == stat.nx_lpage_splits";
            case 7 -> "invalid_list.len == 0";
            case 8 -> pick("vm.nx_huge_pages", "vcpus == " + vcpus, "spte(" + gpa + ").exec");
            case 9 -> "!spte(" + gpa + ").present";
            case 10 -> "!(" + condition(depth - 1) + ")";
            case 11 -> "(" + condition(depth - 1) + ") && (" + condition(depth - 1) + ")";
            default -> condition(depth - 1) + " || " + condition(depth - 1);
        };
    }

    // ---- helpers -------------------------------------------------------------------------------

    /**
     * A guest access to gpa, never a write to a readonly slot: the model re-faults it forever
     * (the kernel emulates it), which only blows up the state space (and hangs a setup).
     */
    private String access(Random random, long gpa) {
        String a = pickFrom(random, "read", "read", "write", "exec");
        return a.equals("write") && slotOf(gpa).readonly() ? "read" : a;
    }

    /**
     * A slot for a slot-wide path (dirty logging, split, collapse, delete, move); never a 1G one,
     * which those split down to 4K: 262,144 SPTEs make each step slow. Null if there is none.
     */
    private Slot slotWideTarget() {
        List<Slot> small = slots.stream().filter(s -> s.backing() != G1).toList();
        return small.isEmpty() ? null : small.get(r.nextInt(small.size()));
    }

    private Slot slot() {
        return slots.get(r.nextInt(slots.size()));
    }

    private Slot slotOf(long gpa) {
        return slots.stream().filter(s -> gpa >= s.gpa() && gpa < s.gpa() + s.size()).findFirst().orElseThrow();
    }

    private long address() {
        return addresses.get(r.nextInt(addresses.size()));
    }

    private static String threadName(int i) {
        return List.of("t0", "host", "admin", "worker").get(i % 4);
    }

    @SafeVarargs
    private <T> T pick(T... choices) {
        return choices[r.nextInt(choices.length)];
    }

    @SafeVarargs
    private static <T> T pickFrom(Random random, T... choices) {
        return choices[random.nextInt(choices.length)];
    }

    private static long align(long v, long a) {
        return (v + a - 1) / a * a;
    }

    private static String indent(String text) {
        return text.lines().map(l -> "  " + l + "\n").reduce("", String::concat);
    }

    private static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }

    private static String size(long v) {
        if (v % G1 == 0) return v / G1 + "G";
        if (v % M2 == 0 || v % 0x100000 == 0) return v / 0x100000 + "M";
        return v / 0x400 + "K";
    }
}
