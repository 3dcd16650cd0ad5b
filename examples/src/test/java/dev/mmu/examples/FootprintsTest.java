package dev.mmu.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.interp.compile.CompiledScenario;
import dev.mmu.interp.run.ScenarioLoader;
import dev.mmu.runtime.model.Stat;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.FastZap;
import dev.mmu.runtime.paths.Footprint;
import dev.mmu.runtime.paths.MmuOps;
import dev.mmu.runtime.paths.MmuSystem;
import dev.mmu.runtime.paths.Op;
import dev.mmu.runtime.paths.Ops;
import dev.mmu.runtime.paths.Primitive;
import dev.mmu.runtime.paths.Primitives;
import dev.mmu.runtime.paths.Program;
import dev.mmu.runtime.paths.Rcu;
import dev.mmu.runtime.paths.Resource;
import dev.mmu.runtime.paths.SlotOps;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Deque;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The footprints every op declares, checked against what the ops do, on the reachable states of
 * every scenario explored op by op: a step changes only the resources its op says it writes (and
 * its own thread's pc and locals), and two states that agree on what the op says it reads (and
 * on the thread's locals) give the same effect. A footprint that under-states would make step
 * merging, symmetry and partial-order reduction unsound; this catches it for every op a scenario
 * reaches, including ops added later. The same for the locals an op says it reads (Op#localsRead),
 * which dead-locals elimination relies on: its other locals cannot change what the step does.
 * And the same for the resources it leaves out, each changed by hand ({@link Perturbation}): the
 * reachable states alone seldom differ in one of them where the op runs.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FootprintsTest {
    /** Per scenario: enough for every reachable op of the examples but a few deep in the larger ones. */
    private static final int STATES = 3000;

    /** Every primitive and kind of expression, racing vCPUs: what the examples may not reach. */
    private static final Path COVERAGE = Path.of("../interpreter/src/test/resources/footprints/coverage.mmu");

    /** Every op of the TDP iterator, each way it can go, in two roots. */
    private static final Path ITERATORS = Path.of("../interpreter/src/test/resources/footprints/iterators.mmu");

    /** Ops and primitives where they act: what the examples and the two above reach only where they do nothing. */
    private static final Path ACTING = Path.of("../interpreter/src/test/resources/footprints/acting.mmu");

    /** Zaps that drop an NX-split table: the NX side of a zap, which the others reach only where nothing was split. */
    private static final Path ZAPS = Path.of("../interpreter/src/test/resources/footprints/zaps.mmu");

    /** The ops that keep a struct tdp_iter in locals: each declares the fields it reads. */
    private static final Set<Class<?>> ITERATOR_OPS = Set.of(MmuOps.IterStart.class, MmuOps.IterStartIn.class,
            MmuOps.IterNext.class, MmuOps.IterCondResched.class, MmuOps.IterRestart.class, MmuOps.IterNextRoot.class,
            MmuOps.IterPutRoot.class, MmuOps.ZapStep.class, SlotOps.WrprotStep.class, SlotOps.SplitStep.class,
            SlotOps.CollapsibleStep.class, SlotOps.ZapAtomicFinish.class, FastZap.RootIterStart.class,
            FastZap.ZapRootStep.class);

    /** What the checks of every step reach, filled file by file as {@link #everyStepStaysInsideItsFootprint} checks them. */
    private static final FootprintCoverage COVERED = new FootprintCoverage();
    private static final Set<Path> COVERED_FILES = new HashSet<>();

    @TestFactory
    @Order(1)
    Stream<DynamicTest> everyStepStaysInsideItsFootprint() throws Exception {
        return files().stream().map(f -> DynamicTest.dynamicTest(f.toString(), () -> checkCovering(f)));
    }

    private static List<Path> files() throws Exception {
        return Stream.concat(Scenarios.all().stream(), Stream.of(COVERAGE, ITERATORS, ACTING, ZAPS)).toList();
    }

    private static void checkCovering(Path f) {
        synchronized (COVERED) {
            for (CompiledScenario sc : ScenarioLoader.load(f).scenarios()) check(sc.program(), EnumSet.allOf(Check.class), COVERED);
            COVERED_FILES.add(f);
        }
    }

    /**
     * Every op class of the runtime and every primitive that runs as one step is stepped by the
     * checks above, and stepped where a lie by one resource in its footprint would fail them: where
     * it changes each resource it says it writes, and where changing each it says it reads (and does
     * not write) changes what it does ({@link FootprintCoverage}). An op reached only where it does
     * nothing would pass with any footprint. What no scenario here shows is in {@link #NOT_SHOWN}, each
     * with its reason. Runs after the checks, on what they saw (alone: it runs them).
     */
    @Test
    @Order(2)
    void everyOpAndPrimitiveIsCheckedWhereItActs() throws Exception {
        for (Path f : files()) {
            if (!COVERED_FILES.contains(f)) checkCovering(f);
        }
        List<String> missing = new ArrayList<>();
        for (String c : opClasses()) if (!COVERED.classes.contains(c)) missing.add(c + " is never stepped");
        for (Primitive pr : Primitives.all().values()) {
            if (pr.isStep() && !COVERED.stepped.contains("primitive " + pr.name())) missing.add("primitive " + pr.name() + " is never stepped");
        }
        List<String> uncaught = COVERED.uncaught();
        missing.addAll(uncaught);
        int lies = COVERED.declaredLies();
        System.out.printf("footprint coverage: %d kinds stepped, %d op classes; %d lies by one resource declared, %d caught%n",
                COVERED.stepped.size(), COVERED.classes.size(), lies, lies - uncaught.size());
        List<String> stale = NOT_SHOWN.keySet().stream().filter(k -> !missing.contains(k)).sorted().toList();
        missing.removeAll(NOT_SHOWN.keySet());
        assertThat(missing).as("ops and lies the footprint checks do not reach where they show").isEmpty();
        assertThat(stale).as("listed as not shown, but shown now: take them off NOT_SHOWN").isEmpty();
    }

    /** Why a spinlock read at a grace period's end is not shown. */
    private static final String GRACE_PERIOD_LOCK =
            "a grace period's end reads a lock only as whether its holder holds one off (its RCU unit): no change of one alone";

    /** The ops whose step may end a grace period and so reads MMU_UNSYNC_PAGES_LOCK and TDP_MMU_PAGES_LOCK. */
    private static final String[] ENDS_A_GRACE_PERIOD = {
            "DirectMap.Link", "DirectMap.SetSpte", "FastZap.NextInvalidRoot", "FastZap.NextRoot",
            "FastZap.ZapRootStep", "FaultOps.FaultUnlock", "HugePageRecovery.RecoverStep",
            "MmuOps.IterCondResched", "MmuOps.IterNextRoot", "MmuOps.IterPutRoot", "MmuOps.ZapStep",
            "Ops.Release", "SlotOps.CollapsibleStep", "SlotOps.SplitStep", "TdpMap.Link", "TdpMap.SetSpteAtomic",
            "primitive __kvm_mmu_prepare_zap_page", "primitive __tdp_mmu_set_spte",
            "primitive kvm_mmu_zap_collapsible_spte",
            "primitive kvm_tdp_mmu_put_root", "primitive kvm_zap_rmap", "primitive mmu_free_root_page",
            "primitive prepare_zap", "primitive set_spte", "primitive shadow_mmu_try_split_huge_pages",
            "primitive slot_rmap_write_protect", "primitive split_huge", "primitive tdp_mmu_iter_set_spte",
            "primitive tdp_mmu_set_spte", "primitive tdp_mmu_zap_possible_nx_huge_page", "primitive tdp_zap_sp"};

    /** The removals that wait for tdp_mmu_pages_lock (PagesLockWait): they read it not only as a grace period's end does. */
    private static final List<String> WAITS = List.of("FastZap.ZapRootStep", "SlotOps.CollapsibleStep",
            "primitive tdp_mmu_zap_possible_nx_huge_page", "HugePageRecovery.RecoverStep", "TdpMap.SetSpteAtomic");

    private static String[] endsAGracePeriodBut(List<String> but) {
        return Arrays.stream(ENDS_A_GRACE_PERIOD).filter(k -> !but.contains(k)).toArray(String[]::new);
    }

    /** What no scenario shows, and why: a lie here passes {@link #everyStepStaysInsideItsFootprint} (docs/testing.md). */
    private static final Map<String, String> NOT_SHOWN = notShown(
            group("is never stepped",
                    "the one-step notifier unmap, kept for pastes of older copies: the prelude's kvm_handle_hva_range runs its"
                            + " loop on every MMU since the shadowrmap branch, and no example calls it",
                    "primitive kvm_handle_hva_range_unmap"),
            group("writes VIOLATIONS",
                    "records a violation only where there is a bug (lockdep, an invariant it checks): acting.mmu calls a few unlocked, not these;"
                            + " an expanded walk's Ops.LockdepAssert reports its lock before its steps do (RecoverStep's, ZapStep's)",

                    "DirectMap.Link", "FastZap.ZapRootStep", "FaultOps.FastPageFaultReturn",
                    "FaultOps.VmEntry", "HugePageRecovery.RecoverStep",
                    "MmuOps.IterNext", "MmuOps.IterNextRoot", "MmuOps.IterPutRoot", "MmuOps.IterRestart",
                    "MmuOps.IterStartIn", "MmuOps.ZapStep", "Nx.FirstEntry", "SlotOps.CollapsibleStep",
                    "SlotOps.SynchronizeSrcu",
                    "TdpMap.Walk", "primitive __kvm_mmu_prepare_zap_page",
                    "primitive account_nx_huge_page",
                    "primitive kvm_mmu_invalidate_begin", "primitive kvm_mmu_invalidate_end",
                    "primitive kvm_flush_remote_tlbs_memslot", "primitive kvm_mmu_invalidate_start",
                    "primitive kvm_tdp_mmu_invalidate_all_roots",
                    "primitive tdp_mmu_free_unused_sp",
                    "primitive tdp_mmu_zap_possible_nx_huge_page", "primitive tdp_zap_sp",
                    "primitive untrack_possible_nx_huge_page"),
            group("reads MMU_UNSYNC_PAGES_LOCK", GRACE_PERIOD_LOCK, ENDS_A_GRACE_PERIOD),
            group("reads TDP_MMU_PAGES_LOCK", GRACE_PERIOD_LOCK, endsAGracePeriodBut(WAITS)),
            group("reads TDP_MMU_PAGES_LOCK",
                    "waits for it only where it removes an NX-disallowed table while a thread holds it, which no scenario"
                            + " here reaches for this op (PagesLockWait; the read-lock zaps show it)",
                    "TdpMap.SetSpteAtomic"),
            group("reads MMU_LOCK",
                    "a grace period's end reads a lock only as whether its holder holds one off (its RCU unit): no change of one alone",
                    "DirectMap.Link", "DirectMap.SetSpte", "FastZap.NextInvalidRoot", "FastZap.NextRoot",
                    "FastZap.ZapRootStep", "HugePageRecovery.RecoverStep", "MmuOps.IterNextRoot", "MmuOps.IterPutRoot",
                    "MmuOps.ZapStep", "Ops.Release", "SlotOps.CollapsibleStep", "TdpMap.Link", "TdpMap.SetSpteAtomic",
                    "primitive __kvm_mmu_prepare_zap_page", "primitive __tdp_mmu_set_spte",
                    "primitive kvm_mmu_zap_collapsible_spte",
                    "primitive kvm_tdp_mmu_put_root", "primitive kvm_zap_rmap", "primitive mmu_free_root_page",
                    "primitive prepare_zap", "primitive set_spte", "primitive shadow_mmu_try_split_huge_pages",
                    "primitive slot_rmap_write_protect", "primitive split_huge", "primitive tdp_mmu_iter_set_spte",
                    "primitive tdp_mmu_set_spte", "primitive tdp_mmu_zap_possible_nx_huge_page", "primitive tdp_zap_sp"),
            group("reads RCU",
                    "a grace period's end reads it only where tables are pending and no thread holds one off: not reached at this op",
                    "DirectMap.Link", "DirectMap.SetSpte", "FastZap.NextInvalidRoot", "FastZap.NextRoot",
                    "FastZap.ZapRootStep", "HugePageRecovery.RecoverStep", "MmuOps.IterNextRoot", "MmuOps.IterPutRoot",
                    "MmuOps.ZapStep", "SlotOps.CollapsibleStep", "SlotOps.SplitStep", "TdpMap.Link",
                    "TdpMap.SetSpteAtomic", "primitive __kvm_mmu_prepare_zap_page", "primitive __tdp_mmu_set_spte",
                    "primitive kvm_mmu_zap_collapsible_spte",
                    "primitive kvm_tdp_mmu_put_root", "primitive kvm_zap_rmap", "primitive mmu_free_root_page",
                    "primitive prepare_zap", "primitive set_spte", "primitive shadow_mmu_try_split_huge_pages",
                    "primitive slot_rmap_write_protect", "primitive split_huge", "primitive tdp_mmu_iter_set_spte",
                    "primitive tdp_mmu_set_spte", "primitive tdp_mmu_zap_possible_nx_huge_page", "primitive tdp_zap_sp"),
            group("reads SPTE",
                    "reads the tables' structure (which tables and leaves exist, roots, roles), which no perturbation changes"
                            + " (a consistent change needs TLBs, rmaps, stats, counts: only leaves' exec and MMU-writable bits flip)"
                            + " and no two reached states differ in alone",
                    "DirectMap.Start", "FastZap.NextObsolete", "Ops.SetGlobal",
                    "TdpMap.Start", "primitive account_nx_huge_page",
                    "primitive is_tdp_mmu_page", "primitive kvm_mmu_sp_dirty_logging_enabled",
                    "primitive kvm_rmap_age_gfn_range", "primitive kvm_tdp_mmu_age_gfn_range",
                    "primitive kvm_tdp_mmu_test_age_gfn", "primitive nx_huge_page_disallowed",
                    "primitive slot_rmap_walk_next", "primitive track_possible_nx_huge_page",
                    "primitive unaccount_nx_huge_page", "primitive untrack_possible_nx_huge_page"),
            group("writes METRICS",
                    "counts commit_batch/lock_hold_work only in a scenario that expects one, where it zaps or holds mmu_lock: not reached",
                    "DirectMap.Link", "FastZap.ZapRootStep", "FaultOps.FastPfFixDirectSpte",
                    "HugePageRecovery.RecoverStep", "MmuOps.ZapStep", "SlotOps.CollapsibleStep", "SlotOps.SplitStep",
                    "SlotOps.WrprotStep", "SlotOps.ZapAtomicFinish", "TdpMap.Link", "TdpMap.SetSpteAtomic",
                    "primitive __kvm_mmu_prepare_zap_page", "primitive __tdp_mmu_set_spte", "primitive cmpxchg_spte",
                    "primitive commit_zap", "primitive remote_flush_or_zap",
                    "primitive kvm_mmu_zap_collapsible_spte", "primitive kvm_zap_rmap", "primitive set_spte",
                    "primitive shadow_mmu_try_split_huge_pages", "primitive slot_rmap_write_protect",
                    "primitive split_huge", "primitive tdp_mmu_iter_set_spte", "primitive tdp_mmu_set_spte",
                    "primitive tdp_mmu_zap_possible_nx_huge_page", "primitive tdp_zap_sp"),
            group("writes INVALID_LIST",
                    "queues a shadow page only where it meets one (a shadow or nested MMU's zap): not reached",
                    "DirectMap.Link", "DirectMap.SetSpte", "FastZap.ZapRootStep", "HugePageRecovery.RecoverStep",
                    "SlotOps.CollapsibleStep", "SlotOps.ZapAtomicFinish",
                    "SlotOps.SplitStep", "TdpMap.Link", "TdpMap.SetSpteAtomic", "primitive __tdp_mmu_set_spte",
                    "primitive kvm_mmu_zap_collapsible_spte",
                    "primitive kvm_zap_rmap", "primitive set_spte", "primitive shadow_mmu_try_split_huge_pages",
                    "primitive slot_rmap_write_protect", "primitive split_huge", "primitive tdp_mmu_iter_set_spte",
                    "primitive tdp_mmu_set_spte", "primitive tdp_mmu_zap_possible_nx_huge_page", "primitive tdp_zap_sp"),
            group("writes RCU_PENDING",
                    "queues a table (call_rcu) or frees the queue only zapping a table or where tables are pending: not reached",
                    "DirectMap.Link", "DirectMap.SetSpte", "FastZap.NextRoot", "MmuOps.IterNextRoot",
                    "MmuOps.IterPutRoot", "SlotOps.SplitStep", "TdpMap.Link", "primitive __kvm_mmu_prepare_zap_page",
                    "primitive kvm_mmu_zap_collapsible_spte", "primitive kvm_zap_rmap", "primitive prepare_zap",
                    "primitive shadow_mmu_try_split_huge_pages", "primitive slot_rmap_write_protect",
                    "primitive split_huge"),
            group("writes STAT_NX_LPAGE_SPLITS",
                    "the NX accounting of a page it drops: reached only where the page was not NX-split",
                    "DirectMap.Link", "DirectMap.SetSpte", "SlotOps.SplitStep",
                    "TdpMap.Link", "TdpMap.SetSpteAtomic",
                    "primitive kvm_mmu_zap_collapsible_spte",
                    "primitive kvm_zap_rmap", "primitive shadow_mmu_try_split_huge_pages",
                    "primitive slot_rmap_write_protect", "primitive split_huge"),
            group("writes NX_LIST",
                    "the NX accounting of a page it drops: reached only where the page was not NX-split",
                    "DirectMap.Link", "DirectMap.SetSpte", "SlotOps.SplitStep",
                    "TdpMap.SetSpteAtomic",
                    "primitive kvm_mmu_zap_collapsible_spte", "primitive kvm_zap_rmap",
                    "primitive shadow_mmu_try_split_huge_pages", "primitive slot_rmap_write_protect",
                    "primitive split_huge"),
            group("reads INVALID_ROOTS",
                    "reads a TDP root's role.invalid, in SPTE too (its every writer writes SPTE): no state differs there alone;"
                            + " or mmu_valid_gen (perturbed) for a new table (TdpMmu.LINK_CHILD) these do not link where reached",
                    "DirectMap.SetSpte", "FastZap.NextRoot", "Ops.JumpUnless", "TdpMap.SetSpteAtomic",
                    "primitive kvm_mmu_zap_collapsible_spte", "primitive kvm_tdp_mmu_age_gfn_range",
                    "primitive kvm_tdp_mmu_test_age_gfn", "primitive kvm_zap_rmap", "primitive slot_rmap_write_protect"),
            group("reads VCPU_ROOTS",
                    "kvm_tdp_mmu_put_root() and v5.10's kvm_mmu_put_root() read the vCPUs' roots only to count a root's holders"
                            + " (a put too many, a bug): two vCPUs' roots swapped keep every root's holders",
                    "FastZap.NextInvalidRoot", "FastZap.NextRoot", "MmuOps.IterNextRoot", "MmuOps.IterPutRoot",
                    "primitive kvm_mmu_put_root", "primitive kvm_tdp_mmu_put_root"),
            group("writes SPTE_ACCESS",
                    "a grace period's end frees tables (their A/D bits go) only where tables are pending: not reached at this op",
                    "FastZap.NextInvalidRoot", "FastZap.NextRoot", "MmuOps.IterCondResched", "MmuOps.IterNextRoot",
                    "MmuOps.IterPutRoot", "primitive kvm_tdp_mmu_put_root",
                    "primitive mmu_free_root_page"),
            group("is never stepped",
                    "built only by the runtime's own tests (KernelFixtures): scenarios reach the MMU notifier through its primitives",
                    "NotifierOps.HostUnmap", "NotifierOps.InvalidateRangeEnd", "NotifierOps.InvalidateRangeStart"),
            group("reads MEMSLOTS",
                    "not reached where it changes it (or where its change changes the op): left, docs/testing.md",
                    "primitive kvm_memslot_hva_iter_start"),
            group("reads MEMSLOTS",
                    "the slot's gfns bound the flush only with flush_remote_tlbs_range (Hyper-V), and the dirty-log"
                            + " ioctls that flush it hold slots_lock, so no memslot update moves it meanwhile (trial9: the"
                            + " flush no longer ends the dirty-log window, which was the MEMSLOTS it wrote)",
                    "primitive kvm_flush_remote_tlbs_memslot"),
            group("reads MEMSLOTS",
                    "the map's start reads fault->slot from the fault's snapshot (trial10), the memslots only for a fault"
                            + " that found no slot, which never maps: kept, a wider footprint is safe",
                    "DirectMap.Start", "TdpMap.Start"),
            group("reads SPTE_ACCESS",
                    "not reached where it changes it (or where its change changes the op): left, docs/testing.md",
                    "Ops.SetGlobal"),
            group("writes INVALID_ROOTS",
                    "not reached where it changes it (or where its change changes the op): left, docs/testing.md",
                    "FastZap.NextRoot", "MmuOps.IterNextRoot", "MmuOps.IterPutRoot"),
            group("reads HOST_PFNS",
                    "not reached where it changes it (or where its change changes the op): left, docs/testing.md",
                    "Ops.Assign", "primitive set_spte"),
            group("reads NX_LIST",
                    "not reached where it changes it (or where its change changes the op): left, docs/testing.md",
                    "Ops.JumpUnless"),
            group("reads TLB",
                    "not reached where it changes it (or where its change changes the op): left, docs/testing.md",
                    "SlotOps.MoveSlot", "SlotOps.SplitStep"),
            group("writes HOST_ALLOC",
                    "declared as all of HOST (updates(HOST)): the host's unmap and free neither allocate nor fill a page",
                    "primitive host_free_pages", "primitive host_unmap"),
            group("writes SRCU_SELF",
                    "not reached where it changes it (or where its change changes the op): left, docs/testing.md",
                    "FaultOps.FastPfFixDirectSpte", "FaultOps.FastPfGetLastSptep"),
            group("writes STAT_PAGES",
                    "not reached where it changes it (or where its change changes the op): left, docs/testing.md",
                    "primitive slot_rmap_write_protect"),
            group("reads DIRTY_BITMAP",
                    "not reached where it changes it (or where its change changes the op): left, docs/testing.md",
                    "FaultOps.GuestAccess"),
            group("reads FREED_PFNS",
                    "not reached where it changes it (or where its change changes the op): left, docs/testing.md",
                    "Ops.Assign"),
            group("reads HOST_ALLOC",
                    "not reached where it changes it (or where its change changes the op): left, docs/testing.md",
                    "Ops.Assign"),
            group("writes FREED_PFNS",
                    "declared as all of HOST (updates(HOST)): the host's unmap frees nothing (host_free_pages does)",
                    "primitive host_unmap"),
            group("writes RCU_SELF",
                    "not reached where it changes it (or where its change changes the op): left, docs/testing.md",
                    "MmuOps.IterRestart"),
            group("writes SPTE",
                    "not reached where it changes it (or where its change changes the op): left, docs/testing.md",
                    "primitive slot_rmap_write_protect"),
            group("writes STAT_REMOTE_TLB_FLUSH",
                    "not reached where it changes it (or where its change changes the op): left, docs/testing.md",
                    "primitive kvm_mmu_zap_collapsible_spte"));

    /** Each "kind what" of these kinds, with the reason. */
    private static Map.Entry<List<String>, String> group(String what, String reason, String... kinds) {
        return Map.entry(Arrays.stream(kinds).map(k -> k + " " + what).toList(), reason);
    }

    @SafeVarargs
    private static Map<String, String> notShown(Map.Entry<List<String>, String>... groups) {
        Map<String, String> m = new java.util.LinkedHashMap<>();
        for (Map.Entry<List<String>, String> g : groups) for (String k : g.getKey()) m.put(k, g.getValue());
        return m;
    }

    /** The concrete classes of the runtime that implement {@link Op}, as Outer.Inner. */
    private static List<String> opClasses() throws Exception {
        Path root = Path.of(Op.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<String> names = new ArrayList<>();
        if (java.nio.file.Files.isDirectory(root)) {
            try (Stream<Path> walk = java.nio.file.Files.walk(root)) {
                walk.map(x -> root.relativize(x).toString()).filter(x -> x.endsWith(".class")).forEach(names::add);
            }
        } else {
            try (java.util.jar.JarFile jar = new java.util.jar.JarFile(root.toFile())) {
                jar.stream().map(java.util.jar.JarEntry::getName).filter(x -> x.endsWith(".class")).forEach(names::add);
            }
        }
        List<String> ops = new ArrayList<>();
        for (String n : names) {
            Class<?> c = Class.forName(n.substring(0, n.length() - ".class".length()).replace('/', '.').replace('\\', '.'),
                    false, Op.class.getClassLoader());
            int m = c.getModifiers();
            if (Op.class.isAssignableFrom(c) && !c.isInterface() && !java.lang.reflect.Modifier.isAbstract(m)
                    && !c.isAnonymousClass() && !c.isSynthetic()) {
                ops.add(FootprintCoverage.className(c));
            }
        }
        assertThat(ops).as("op classes found in " + root).contains("Ops.Call", "Ops.Acquire");
        return ops.stream().sorted().toList();
    }

    /**
     * Each counter is in the resource {@link Resource#of(Stat)} names for it (what `stat.NAME` and
     * the invariants declare): changing it changes that unit of the state and no other.
     */
    @Test
    void eachCounterIsInTheResourceOfItsStat() throws Exception {
        VmState s = new MmuSystem(ScenarioLoader.load(COVERAGE).scenarios().get(0).program(), false).initial();
        for (Stat st : Stat.values()) {
            VmState n = s.copy();
            n.addStat(st, 1);
            for (ResourceView.Unit r : ResourceView.units(s)) {
                boolean changed = !r.view().apply(s).equals(r.view().apply(n));
                assertThat(changed).as("%s changes %s", st, r.name()).isEqualTo(r.bits() == Resource.of(st).bit());
            }
        }
    }

    /**
     * The iterators' scenarios step every iterator op to each of its targets, so that the check of
     * their declared locals above sees an iterator field each one reads change what it does.
     */
    @Test
    void theIteratorScenariosTakeEveryIteratorOpEveryWay() throws Exception {
        Map<Class<?>, BitSet> taken = new HashMap<>();
        for (CompiledScenario sc : ScenarioLoader.load(ITERATORS).scenarios()) {
            check(sc.program()).forEach((op, targets) -> taken.computeIfAbsent(op, k -> new BitSet()).or(targets));
        }
        for (Class<?> op : ITERATOR_OPS) {
            BitSet targets = taken.getOrDefault(op, new BitSet());
            // bit 2i: target i of the op's targets(pc); bit 2i+1: taken
            for (int i = 0; targets.get(2 * i); i++) {
                assertThat(targets.get(2 * i + 1)).as(op.getSimpleName() + " goes to its target " + i).isTrue();
            }
            assertThat(targets.isEmpty()).as(op.getSimpleName() + " is stepped").isFalse();
        }
    }

    /** The checks of each step: what {@link FootprintChecksFireTest} runs one at a time on a lying op. */
    enum Check { WRITES, READS, UNREAD, LOCALS }

    /**
     * Checks every step of p's first states; per op class, its targets (bit 2i: it has a target i
     * in targets(pc), bit 2i+1: a step went there).
     */
    static Map<Class<?>, BitSet> check(Program p) {
        return check(p, EnumSet.allOf(Check.class));
    }

    /** As {@link #check(Program)}, with only these checks. */
    static Map<Class<?>, BitSet> check(Program p, Set<Check> checks) {
        return check(p, checks, null);
    }

    /** As {@link #check(Program, Set)}, telling coverage (if not null) what each step would catch of a lie. */
    static Map<Class<?>, BitSet> check(Program p, Set<Check> checks, FootprintCoverage coverage) {
        if (coverage != null) coverage.startProgram();
        ResourceView.faultSlots(p);
        Map<Class<?>, BitSet> taken = new HashMap<>();
        MmuSystem system = new MmuSystem(p, false);
        Map<String, Seen> effects = new HashMap<>();
        Set<VmState> seen = new HashSet<>();
        Deque<VmState> todo = new ArrayDeque<>();
        todo.add(system.initial());
        seen.add(system.initial());
        while (!todo.isEmpty() && seen.size() < STATES) {
            VmState s = todo.pollLast(); // depth-first: the cap still reaches the ends of the paths
            for (int t = 0; t < s.threads.length; t++) {
                Op[] ops = p.threads().get(t).ops();
                int pc = s.threads[t].pc;
                if (pc >= ops.length) continue;
                for (int c = 0; c < ops[pc].choices(s, t); c++) {
                    VmState n = system.step(s, t, c, null);
                    Footprint f = stepFootprint(system, ops, pc, s, n, t, narrowest(ops[pc], s, t));
                    String what = p.threads().get(t).name() + " pc " + pc + " `" + ops[pc].describe() + "` choice " + c;
                    if (checks.contains(Check.WRITES)) checkWrites(s, n, t, f, what);
                    if (checks.contains(Check.READS)) checkReads(s, n, t, f, what, effects);
                    if (checks.contains(Check.UNREAD)) checkUnread(system, ops[pc], s, n, t, c, f, what);
                    if (checks.contains(Check.LOCALS)) {
                        checkLocals(system, s, n, t, c, stepLocals(ops, pc), written(ops, pc, n.threads[t].pc), what);
                    }
                    int[] targets = Arrays.stream(ops[pc].targets(pc)).distinct().toArray();
                    BitSet mine = taken.computeIfAbsent(ops[pc].getClass(), k -> new BitSet());
                    for (int i = 0; i < targets.length; i++) {
                        mine.set(2 * i);
                        if (targets[i] == n.threads[t].pc) mine.set(2 * i + 1);
                    }
                    if (coverage != null) coverage.step(system, ops, pc, s, n, t, c, f, keyPrefix(s, t, what));
                    if (seen.add(n)) todo.add(n);
                }
            }
        }
        return taken;
    }

    /** The op's narrowest footprint in s, {@link Op#footprint(VmState, int)}, which must not exceed its static one. */
    private static Footprint narrowest(Op op, VmState s, int t) {
        Footprint f = op.footprint(s, t);
        Footprint whole = op.footprint(s.config).union(op.footprint());
        assertThat(f.reads() & ~whole.reads()).as(op.describe() + " reads beyond its footprint in " + s).isZero();
        assertThat(f.writes() & ~whole.writes()).as(op.describe() + " writes beyond its footprint in " + s).isZero();
        return f;
    }

    /**
     * The footprint of the step from s to n at pc, the op's being f: with the atomic-block ops that
     * run in its step even when nothing is merged (those its targets lead to through atomic ops, a
     * jump to one too, as to fast_page_fault's return) and the thread's end if it ends there, as
     * step merging and partial-order reduction take it: without the end of a grace period where the
     * thread holds them off and the op leaves that alone.
     */
    static Footprint stepFootprint(MmuSystem system, Op[] ops, int pc, VmState s, VmState n, int t, Footprint f) {
        return stepFootprint(system, ops, pc, s, n, t, f, (q, g) -> g);
    }

    /** As above, each atomic-block op q's footprint g taken as told(q, g). */
    static Footprint stepFootprint(MmuSystem system, Op[] ops, int pc, VmState s, VmState n, int t, Footprint f,
                                   java.util.function.BiFunction<Integer, Footprint, Footprint> told) {
        Deque<Integer> next = new ArrayDeque<>();
        Set<Integer> atomic = new HashSet<>();
        for (int q : ops[pc].targets(pc)) next.add(q);
        while (!next.isEmpty()) {
            int q = next.pop();
            if (q >= ops.length || !(ops[q] instanceof Ops.Atomic) || !atomic.add(q)) continue;
            f = f.union(told.apply(q, ops[q].footprint()));
            for (int r : ops[q].targets(q)) next.add(r);
        }
        if (n.threads[t].pc >= ops.length) f = f.union(system.finish(s, t));
        return Rcu.inPlace(s, t, f.ofThread(t));
    }

    /**
     * The locals the step at pc declares it reads: its op's and those of the atomic-block ops that run
     * in its step (as {@link #stepFootprint}); null if one declares none (every local counts as read).
     */
    /** The atomic-block ops whose footprints {@link #stepFootprint} takes in the step at pc. */
    static List<Integer> atomicFollowers(Op[] ops, int pc) {
        Deque<Integer> next = new ArrayDeque<>();
        Set<Integer> atomic = new java.util.LinkedHashSet<>();
        for (int q : ops[pc].targets(pc)) next.add(q);
        while (!next.isEmpty()) {
            int q = next.pop();
            if (q >= ops.length || !(ops[q] instanceof Ops.Atomic) || !atomic.add(q)) continue;
            for (int r : ops[q].targets(q)) next.add(r);
        }
        return new ArrayList<>(atomic);
    }

    private static int[] stepLocals(Op[] ops, int pc) {
        int[] r = ops[pc].localsRead();
        Deque<Integer> next = new ArrayDeque<>();
        Set<Integer> atomic = new HashSet<>();
        for (int q : ops[pc].targets(pc)) next.add(q);
        while (!next.isEmpty() && r != null) {
            int q = next.pop();
            if (q >= ops.length || !(ops[q] instanceof Ops.Atomic) || !atomic.add(q)) continue;
            int[] more = ops[q].localsRead();
            r = more == null ? null : java.util.stream.IntStream.concat(Arrays.stream(r), Arrays.stream(more)).toArray();
            for (int q2 : ops[q].targets(q)) next.add(q2);
        }
        return r;
    }

    /**
     * The locals the op at pc declares it has written on its way to next (Op#localsWritten), if
     * next is one of its targets (no atomic-block op ran after it in the step); else none.
     */
    private static Set<Integer> written(Op[] ops, int pc, int next) {
        Set<Integer> w = new HashSet<>();
        if (Arrays.stream(ops[pc].targets(pc)).anyMatch(q -> q == next)) {
            for (int j : ops[pc].localsWritten(pc, next)) w.add(j);
        }
        return w;
    }

    /**
     * The step again from s with every local the step does not declare it reads changed, once to
     * other values and once to 0 (a flag): it must go to the same pc and leave the same state, but
     * for those locals where neither run wrote them; a local it declares written must hold the same
     * value after both runs (it did write it).
     */
    private static void checkLocals(MmuSystem system, VmState s, VmState n, int t, int c, int[] read,
                                    Set<Integer> written, String what) {
        if (read == null) return;
        checkLocals(system, s, n, t, c, read, written, what, false);
        checkLocals(system, s, n, t, c, read, written, what, true);
    }

    private static void checkLocals(MmuSystem system, VmState s, VmState n, int t, int c, int[] read,
                                    Set<Integer> written, String what, boolean zero) {
        VmState other = s.copy();
        long[] l = other.threadForWrite(t).locals;
        Set<Integer> declared = new HashSet<>();
        for (int r : read) declared.add(r);
        for (int j = 0; j < l.length; j++) if (!declared.contains(j)) l[j] = zero ? 0 : l[j] * 31 + 0x5a5a + j;
        VmState m = system.step(other, t, c, null).copy();
        long[] ml = m.threadForWrite(t).locals;
        for (int j = 0; j < ml.length; j++) {
            boolean untouched = ml[j] == l[j] && n.threads[t].locals[j] == s.threads[t].locals[j];
            if (untouched && !written.contains(j)) ml[j] = n.threads[t].locals[j];
        }
        assertThat(m).as(what + " reads locals beyond " + Arrays.toString(read) + " or leaves one of " + written + " unwritten: "
                + Arrays.toString(s.threads[t].locals) + " -> " + Arrays.toString(n.threads[t].locals) + ", with "
                + Arrays.toString(l) + " -> " + Arrays.toString(ml)).isEqualTo(n);
    }

    /**
     * Only declared writes change, other threads' pcs and locals never do, and the resources with
     * the threads are the whole state.
     */
    private static void checkWrites(VmState s, VmState n, int t, Footprint f, String what) {
        boolean same = true;
        for (ResourceView.Unit r : ResourceView.units(s)) {
            boolean changed = !r.view().apply(s).equals(r.view().apply(n));
            same &= !changed;
            if ((f.writes() & r.bits()) == 0 && ResourceView.mayFill(r, f)) {
                assertThat(ResourceView.onlyFilled(s, n)).as(what + " changes a present " + r.name() + " entry, its footprint says " + f).isTrue();
            } else if ((f.writes() & r.bits()) == 0) {
                assertThat(changed).as(what + " writes " + r.name() + ", its footprint says " + f).isFalse();
            }
        }
        for (int u = 0; u < s.threads.length; u++) {
            // A thread's rcu_read_lock() nesting is its own, as its pc (the others see its rcu unit)
            long nesting = (s.rcuReaders ^ n.rcuReaders) >> u & 1;
            same &= s.threads[u].pc == n.threads[u].pc && Arrays.equals(s.threads[u].locals, n.threads[u].locals)
                    && nesting == 0;
            if (u == t) continue;
            assertThat(n.threads[u].pc).as(what + " moves thread " + u).isEqualTo(s.threads[u].pc);
            // Its fault->slot is in its srcu unit, checked above (a swap marks it, Memslots#OUTLIVE)
            assertThat(othersLocals(n, u)).as(what + " writes thread " + u + "'s locals").isEqualTo(othersLocals(s, u));
            assertThat(nesting).as(what + " changes thread " + u + "'s rcu_read_lock() nesting").isZero();
        }
        if (same) assertThat(n).as(what + ": a field outside every resource changed").isEqualTo(s);
    }

    /** Thread u's locals but its fault->slot, which is its srcu unit's ({@link ResourceView#units}). */
    private static long[] othersLocals(VmState s, int u) {
        long[] l = s.threads[u].locals.clone();
        int slot = ResourceView.faultSlot(u);
        if (slot >= 0) l[slot] = 0;
        return l;
    }

    /**
     * The step again from s with every unit it neither reads nor writes changed ({@link Perturbation}):
     * it must go to the same pc and do the same, which leaves those units changed. The reachable
     * states alone seldom differ in one such unit where the op runs ({@link #checkReads}). A unit
     * whose change changes the op's narrowest footprint is left alone: that footprint holds where
     * its condition does (slots_lock's release leaves the memslots alone where no dirty-log window
     * is open, and only the lock's holder opens one), which that check covers.
     */
    private static void checkUnread(MmuSystem system, Op op, VmState s, VmState n, int t, int c, Footprint f, String what) {
        List<Perturbation> ps = Perturbation.untouched(s, t, f.reads(), f.writes());
        Footprint narrow = op.footprint(s, t);
        if (!narrow.equals(op.footprint(s.config).union(op.footprint()))) {
            ps.removeIf(p -> {
                VmState x = s.copy();
                p.apply().accept(x);
                return !op.footprint(x, t).equals(narrow);
            });
        }
        if (ps.isEmpty() || agrees(system, op, s, n, t, c, ps)) return;
        // Name the units that change the step by themselves (or all of them, if only together)
        List<String> culprits = new ArrayList<>();
        for (Perturbation p : ps) if (!agrees(system, op, s, n, t, c, List.of(p))) culprits.add(p.name());
        if (culprits.isEmpty()) ps.forEach(p -> culprits.add(p.name()));
        assertThat(culprits).as(what + " reads " + String.join(", ", culprits) + ", its footprint says " + f).isEmpty();
    }

    /**
     * Whether the step from s with ps applied is enabled as from s (op's choices: synchronize_srcu
     * waits for the other threads' srcu readers) and does what it does from s, with ps applied after.
     */
    static boolean agrees(MmuSystem system, Op op, VmState s, VmState n, int t, int c, List<Perturbation> ps) {
        VmState changed = s.copy();
        VmState expected = n.copy();
        for (Perturbation p : ps) {
            p.apply().accept(changed);
            p.apply().accept(expected);
        }
        try {
            return op.choices(changed, t) == op.choices(s, t) && system.step(changed, t, c, null).equals(expected);
        } catch (RuntimeException | AssertionError e) {
            return false; // it read what was changed and failed on it
        }
    }

    /**
     * States that agree on the declared reads and the thread's locals (and whether it holds
     * mmu_lock or srcu) must see the same effect.
     * A write of part of a resource keeps the rest, so it counts as a read too (an update); the
     * effects differ only if they differ both in the new values and in what changed ({@link #written}).
     */
    private static void checkReads(VmState s, VmState n, int t, Footprint f, String what,
                                   Map<String, Seen> effects) {
        // A thread's own lock holdings and invalid_list are its own: no other thread changes them
        // (Primitive#footprint, MmuSystem.FINISH).
        StringBuilder key = new StringBuilder(keyPrefix(s, t, what));
        StringBuilder effect = new StringBuilder(effectPrefix(n, t));
        StringBuilder delta = new StringBuilder(effectPrefix(n, t));
        for (ResourceView.Unit r : ResourceView.units(s)) {
            if ((f.reads() & r.bits()) != 0) key.append('|').append(r.name()).append('=').append(r.view().apply(s));
            if ((f.writes() & r.bits()) != 0 || ResourceView.mayFill(r, f)) {
                effect.append('|').append(r.name()).append('=').append(r.view().apply(n));
                delta.append('|').append(r.name()).append('=').append(written(r, s, n));
            }
        }
        Seen before = effects.putIfAbsent(key.toString(), new Seen(s, effect.toString(), delta.toString()));
        if (before != null && !before.effect().equals(effect.toString()) && !before.delta().equals(delta.toString())) {
            // The units the two states differ in: the footprint leaves out one of them (or a lock or pc of another thread)
            List<String> differ = new ArrayList<>();
            for (ResourceView.Unit r : ResourceView.units(s)) {
                if (!r.view().apply(s).equals(r.view().apply(before.state()))) differ.add(r.name());
            }
            assertThat(effect.toString()).as(what + " depends on more than it reads, on one of " + differ
                    + ": its footprint says " + f).isEqualTo(before.effect());
        }
    }

    /**
     * What a step did to a unit it may write, as {@link #checkReads} compares it besides its new
     * value: its new value, or that it left it. A write it may skip (an atomic block's that waits
     * for a lock) leaves the old value, which is no effect of the step; a write of what was there
     * already (g = 7 where g is 7) leaves it too: the two steps differ only if both compare differ.
     */
    static Object written(ResourceView.Unit r, VmState s, VmState n) {
        Object after = r.view().apply(n);
        return after.equals(r.view().apply(s)) ? "unchanged" : after;
    }

    /** The key of {@link #checkReads} but for the resources: the step, the thread's locals and what it holds. */
    static String keyPrefix(VmState s, int t, String what) {
        return new StringBuilder(what).append(Arrays.toString(s.threads[t].locals))
                .append(s.mmuWriter == t).append(s.holdsMmuLock(t)).append(s.srcuReaders >> t & 1)
                .append(s.rcuReaders >> t & 1).append(Arrays.stream(s.mutexOwner).map(o -> o == t ? 1 : 0).boxed().toList())
                .append(Arrays.toString(s.threads[t].invalidList)).toString();
    }

    /** The effect of {@link #checkReads} but for the resources: where the thread goes, its locals. */
    static String effectPrefix(VmState n, int t) {
        return n.threads[t].pc + Arrays.toString(n.threads[t].locals);
    }

    /** The first state of a key of {@link #checkReads} and the effect of the step there. */
    private record Seen(VmState state, String effect, String delta) {}
}
