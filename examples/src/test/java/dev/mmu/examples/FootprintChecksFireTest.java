package dev.mmu.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mmu.examples.FootprintsTest.Check;
import dev.mmu.interp.run.ScenarioLoader;
import dev.mmu.runtime.model.VmConfig;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.Exec;
import dev.mmu.runtime.paths.Footprint;
import dev.mmu.runtime.paths.Op;
import dev.mmu.runtime.paths.Program;
import dev.mmu.runtime.paths.Program.ThreadProgram;
import dev.mmu.runtime.paths.Resource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * {@link FootprintsTest}'s checks fire: each runs on a small scenario in which one op (the first
 * whose description starts with a given text) is wrapped to declare a footprint that lies by one
 * resource, and must fail naming the op and the resource; with the honest op (the same wrapper,
 * telling the truth) every check passes. The runtime's footprints are not touched.
 */
class FootprintChecksFireTest {
    /** A vCPU's TLB holds gpa 0x1000 (the setup's access); a thread flushes every TLB. */
    private static final String FLUSH = """
            scenario "a flush" {
              memslot 0 { gpa 0x0 size 2M backing 4K }
              vcpus 1
              setup { vcpu 0 read 0x1000 }
              thread t { lock write; flush_remote_tlbs(); unlock }
            }
            """;

    /** A vCPU's fault maps gpa 0x1000: the TDP MMU's walk, link and leaf. */
    private static final String FAULT = """
            scenario "a fault" {
              memslot 0 { gpa 0x0 size 2M backing 4K }
              vcpus 1
              thread vcpu 0 { read 0x1000 }
            }
            """;

    /** The rmap walk of kvm_zap_gfn_range() over an L2 leaf (examples/hyperv/rmap-walk-range-flush.mmu). */
    private static final String RMAP_WALK = """
            scenario "an rmap walk" {
              vm {
                mmu both
                kernel 7.2
              }
              memslot 0 { gpa 0x0 size 4M backing 4K }
              vcpus 1
              setup { vcpu 0 nested read 0x201000 }
              thread zap { kvm_zap_gfn_range(0x0, 0x400) }
            }
            """;

    /** One thread stores a global, another loads it, in either order. */
    private static final String GLOBALS = """
            global g = 0
            scenario "a global" {
              memslot 0 { gpa 0x0 size 2M backing 4K }
              vcpus 1
              thread a { g = 1 }
              thread b { let x = g }
            }
            """;

    /** A thread reads one stat counter. */
    private static final String STAT = """
            scenario "a stat" {
              memslot 0 { gpa 0x0 size 2M backing 4K }
              vcpus 1
              thread t { let s = stat.remote_tlb_flush; assert s == 0 }
            }
            """;

    /** One thread inside kvm->srcu, another waiting for it (its choices: 0 while a reader is in). */
    private static final String SRCU = """
            scenario "an srcu wait" {
              memslot 0 { gpa 0x0 size 2M backing 4K }
              vcpus 1
              thread r { lock read srcu; unlock srcu }
              thread w { synchronize_srcu() }
            }
            """;

    /** PML's clear_dirty_gfn_range() over a dirty leaf (footprints/acting.mmu): the examples reach it only where no D bit is set. */
    private static final String CLEAR_DIRTY = """
            scenario "a D bit cleared" {
              vm {
                mmu tdp
                pml on
              }
              memslot 0 { gpa 0x0 size 2M backing 4K flags dirty_log }
              vcpus 1
              setup { vcpu 0 write 0x1000 }
              thread t { lock read; rcu_read_lock(); let c = clear_dirty_gfn_range(0x0, 0x200); rcu_read_unlock(); unlock }
            }
            """;

    /** A dirty slot deleted (its bitmap goes), after a move that overlaps it (and so does nothing). */
    private static final String DELETE = """
            scenario "a dirty slot deleted" {
              memslot 0 { gpa 0x0 size 2M backing 4K flags dirty_log }
              memslot 1 { gpa 0x200000 size 2M backing 4K }
              vcpus 1
              setup { vcpu 0 write 0x1000 }
              thread t { memslot_move(1, 0x0); memslot_delete 0 }
            }
            """;

    /** A vCPU flushes its own TLB, which holds gpa 0x1000. */
    private static final String FLUSH_CURRENT = """
            scenario "a flush of the current TLB" {
              memslot 0 { gpa 0x0 size 2M backing 4K }
              vcpus 1
              setup { vcpu 0 read 0x1000 }
              thread vcpu 0 { flush_tlb_current(0) }
            }
            """;

    /** 6.12's kvm_test_age_gfn (kvm_tdp_mmu_test_age_gfn) answer decides where the thread goes; the vCPU's read set the A bit. */
    private static final String TEST_AGE = """
            global g = 0
            scenario "a test of the A bit (a gpa range)" {
              vm { kernel 6.12 }
              memslot 0 { gpa 0x0 size 2M backing 4K }
              vcpus 1
              setup { vcpu 0 read 0x1000 }
              thread mm { lock write; if kvm_tdp_mmu_test_age_gfn(0x0, 0x200000) { g = 1 }; unlock }
            }
            """;

    /** vCPU 1 is in SMM, on its own root; vCPU 0's fault walks its root to a new leaf. */
    private static final String TWO_ROOTS = """
            scenario "a fault with another vCPU on another root" {
              memslot 0 { gpa 0x0 size 2M backing 4K }
              vcpus 2
              setup {
                kvm_smm_changed(1, true)
                vcpu 0 read 0x1000
                vcpu 1 read 0x2000
              }
              thread vcpu 0 { read 0x3000 }
            }
            """;

    /** A walk of the root reads each leaf's SPTE into a local and stores it (footprints/iterators.mmu). */
    private static final String READ_SPTE = """
            global g = 0
            scenario "a leaf read" {
              memslot 0 { gpa 0x0 size 2M backing 4K }
              vcpus 1
              setup { vcpu 0 read 0x1000 }
              thread t {
                lock read
                rcu_read_lock()
                for iter in tdp_pte(root, 0x0 .. 0x200) {
                  if iter.present && iter.leaf {
                    let old = kvm_tdp_mmu_read_spte(iter.gfn, iter.level)
                    g = old
                  }
                }
                rcu_read_unlock()
                unlock
              }
            }
            """;

    /** vCPU 0's exec fault split gpa 0x0's 2M page (NX); a walk zaps the table (footprints/zaps.mmu). */
    private static final String ZAP_NX_SPLIT = """
            scenario "an NX-split table zapped" {
              vm {
                nx_huge_pages on
                kernel 6.12
              }
              memslot 0 { gpa 0x0 size 4M backing 2M }
              vcpus 1
              setup { vcpu 0 exec 0x1000 }
              thread t {
                lock write
                rcu_read_lock()
                for iter in tdp_pte(root, 0x0 .. 0x200) {
                  if iter.present && !iter.leaf && iter.level == 2 {
                    let old = kvm_tdp_mmu_read_spte(iter.gfn, iter.level)
                    tdp_mmu_set_spte(iter.gfn, iter.level, old, 0)
                  }
                }
                rcu_read_unlock()
                unlock
              }
            }
            """;

    /** The examples zap only tables that were not NX-split: the untracking shows only here. */
    @Test
    void theWriteCheckCatchesAZapUntrackingNoNxPage() {
        assertCaught(ZAP_NX_SPLIT, "tdp_mmu_set_spte", drop(0, Resource.NX_LIST.bit()), Check.WRITES,
                "writes NX_LIST, its footprint says");
    }

    /** Which root a vCPU is on changes only by its own entry: only two vCPUs' roots swapped show a fault's read of them. */
    @Test
    void theUnreadCheckCatchesAFaultReadingNoVcpuRoot() {
        assertCaught(TWO_ROOTS, "kvm_mmu_hugepage_adjust, tdp_iter_start", drop(Resource.VCPU_ROOTS.bit(), 0), Check.UNREAD,
                "reads roots of vCPUs 0 and 1 swapped, its footprint says");
    }

    /** The tables' structure changes with TLBs, rmaps and stats: only a leaf's own bits (exec, MMU-writable) changed show it. */
    @Test
    void theUnreadCheckCatchesALeafReadReadingNoTables() {
        assertCaught(READ_SPTE, "kvm_tdp_mmu_read_spte", drop(Resource.SPTE.bit(), 0), Check.UNREAD,
                "reads leaves' ");
    }

    @Test
    void theUnreadCheckCatchesATestOfTheABitReadingNoABits() {
        assertCaught(TEST_AGE, "kvm_tdp_mmu_test_age_gfn", drop(Resource.SPTE_ACCESS.bit(), 0), Check.UNREAD,
                "reads SPTE_ACCESS, its footprint says");
    }

    @Test
    void theWriteCheckCatchesClearDirtyGfnRangeWritingNoDBits() {
        assertCaught(CLEAR_DIRTY, "clear_dirty_gfn_range", drop(0, Resource.SPTE_ACCESS.bit()), Check.WRITES,
                "writes SPTE_ACCESS, its footprint says");
    }

    @Test
    void theWriteCheckCatchesADeletedSlotsBitmapLeftOut() {
        assertCaught(DELETE, "kvm_delete_memslot", drop(0, Resource.DIRTY_BITMAP.bit()), Check.WRITES,
                "writes DIRTY_BITMAP, its footprint says");
    }

    @Test
    void theWriteCheckCatchesFlushTlbCurrentsTlbLeftOut() {
        assertCaught(FLUSH_CURRENT, "flush_tlb_current", drop(0, Resource.TLB.bit()), Check.WRITES,
                "writes TLB of vCPU 0, its footprint says");
    }

    /** The move's check of overlap is the only reader of the memslots that decides where the path goes. */
    @Test
    void theUnreadCheckCatchesAnOverlapCheckReadingNoMemslots() {
        assertCaught(DELETE, "kvm_check_memslot_overlap", drop(Resource.MEMSLOTS.bit(), 0), Check.UNREAD,
                "reads MEMSLOTS, its footprint says");
    }

    @Test
    void theWriteCheckCatchesATlbWriteLeftOut() {
        assertCaught(FLUSH, "flush_remote_tlbs()", drop(0, Resource.TLB.bit()), Check.WRITES,
                "writes TLB of vCPU 0, its footprint says");
    }

    @Test
    void theWriteCheckCatchesAnSpteWriteLeftOut() {
        assertCaught(FAULT, "tdp_mmu_set_spte_atomic", drop(0, Resource.SPTE.bit()), Check.WRITES,
                "writes SPTE, its footprint says");
    }

    @Test
    void theWriteCheckCatchesAStatCounterInTheWrongPart() {
        UnaryOperator<Footprint> lie = f -> drop(0, Resource.STAT_REMOTE_TLB_FLUSH.bit()).apply(f)
                .andWrites(Resource.STAT_PAGES);
        assertCaught(FLUSH, "flush_remote_tlbs()", lie, Check.WRITES, "writes STAT_REMOTE_TLB_FLUSH, its footprint says");
    }

    @Test
    void theUnreadCheckCatchesAStatCounterReadInTheWrongPart() {
        UnaryOperator<Footprint> lie = f -> drop(Resource.STAT_REMOTE_TLB_FLUSH.bit(), 0).apply(f)
                .andReads(Resource.STAT_PAGES);
        assertCaught(STAT, "s = stat.", lie, Check.UNREAD, "reads stat remote_tlb_flush, its footprint says");
    }

    /** Its only thread walks the rmaps alone: no reachable state differs in the memslots where it runs. */
    @Test
    void onlyTheUnreadCheckCatchesAMemslotsReadLeftOut() {
        UnaryOperator<Footprint> lie = drop(Resource.MEMSLOTS.bit(), 0);
        assertPasses(RMAP_WALK, "slot_rmap_walk_", lie, EnumSet.complementOf(EnumSet.of(Check.UNREAD)));
        assertCaught(RMAP_WALK, "slot_rmap_walk_", lie, Check.UNREAD, "reads MEMSLOTS, its footprint says");
    }

    /**
     * synchronize_srcu runs only where no other thread is inside kvm->srcu, so no two reachable
     * states where it runs differ there: only the other thread's srcu perturbed (and the step's
     * enabledness compared) shows what it waits for.
     */
    @Test
    void onlyTheUnreadCheckCatchesAnSrcuWaitLeftOut() {
        UnaryOperator<Footprint> lie = drop(Resource.SRCU.bit(), 0);
        assertPasses(SRCU, "synchronize_srcu", lie, EnumSet.complementOf(EnumSet.of(Check.UNREAD)));
        assertCaught(SRCU, "synchronize_srcu", lie, Check.UNREAD, "reads srcu of thread 0, its footprint says");
    }

    @Test
    void theReadCheckCatchesAGlobalReadLeftOut() {
        assertCaught(GLOBALS, "load g", drop(Resource.GLOBALS.bit(), 0), Check.READS,
                "depends on more than it reads, on one of [GLOBALS]");
    }

    @Test
    void theLocalsCheckCatchesALocalReadLeftOut() {
        Program honest = program(FAULT);
        Op real = find(honest, "tdp_mmu_set_spte_atomic").get(0);
        int[] read = real.localsRead();
        assertThat(read).as("the op declares the locals it reads").isNotEmpty();
        int[] lie = Arrays.copyOfRange(read, 1, read.length);
        Program lying = replace(honest, real, new Lying(real, UnaryOperator.identity(), lie));
        assertThatThrownBy(() -> FootprintsTest.check(lying, EnumSet.of(Check.LOCALS)))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("`" + real.describe() + "`")
                .hasMessageContaining("reads locals beyond " + Arrays.toString(lie));
    }

    @Test
    void everyCheckPassesTheHonestOps() {
        for (String[] c : List.of(new String[] {FLUSH, "flush_remote_tlbs()"}, new String[] {FAULT, "tdp_mmu_set_spte_atomic"},
                new String[] {RMAP_WALK, "slot_rmap_walk_"}, new String[] {GLOBALS, "load g"}, new String[] {STAT, "s = stat."},
                new String[] {SRCU, "synchronize_srcu"}, new String[] {CLEAR_DIRTY, "clear_dirty_gfn_range"},
                new String[] {DELETE, "kvm_delete_memslot"}, new String[] {DELETE, "kvm_check_memslot_overlap"},
                new String[] {FLUSH_CURRENT, "flush_tlb_current"},
                new String[] {TWO_ROOTS, "kvm_mmu_hugepage_adjust, tdp_iter_start"},
                new String[] {READ_SPTE, "kvm_tdp_mmu_read_spte"}, new String[] {ZAP_NX_SPLIT, "tdp_mmu_set_spte"})) {
            assertPasses(c[0], c[1], UnaryOperator.identity(), EnumSet.allOf(Check.class));
        }
    }

    /**
     * The lie in scenario text (told by every op whose description starts with op) fails check,
     * naming the op and the resource; the same check passes the honest ops.
     */
    private static void assertCaught(String text, String op, UnaryOperator<Footprint> lie, Check check, String message) {
        assertPasses(text, op, UnaryOperator.identity(), EnumSet.of(check));
        assertThatThrownBy(() -> assertPasses(text, op, lie, EnumSet.of(check)))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("`" + op)
                .hasMessageContaining(message);
    }

    private static void assertPasses(String text, String op, UnaryOperator<Footprint> lie, EnumSet<Check> checks) {
        Program p = program(text);
        for (Op real : find(p, op)) p = replace(p, real, new Lying(real, lie, real.localsRead()));
        FootprintsTest.check(p, checks);
    }

    /** A footprint without these reads and writes. */
    private static UnaryOperator<Footprint> drop(long reads, long writes) {
        return f -> new Footprint(f.reads() & ~reads, f.writes() & ~writes, f.vcpus(), f.heldReads() & ~reads,
                f.heldWrites() & ~writes);
    }

    private static Program program(String text) {
        return ScenarioLoader.load("lie.mmu", text).scenarios().get(0).program();
    }

    /** The ops whose description starts with describe. */
    private static List<Op> find(Program p, String describe) {
        List<Op> found = new ArrayList<>();
        List<String> all = new ArrayList<>();
        for (ThreadProgram t : p.threads()) {
            for (Op op : t.ops()) {
                all.add(op.describe());
                if (op.describe().startsWith(describe)) found.add(op);
            }
        }
        assertThat(found).as("ops `" + describe + "` among " + all).isNotEmpty();
        return found;
    }

    /** p with every occurrence of op (in any thread) replaced by by. */
    private static Program replace(Program p, Op op, Op by) {
        List<ThreadProgram> threads = new ArrayList<>();
        for (ThreadProgram t : p.threads()) {
            Op[] ops = t.ops().clone();
            for (int i = 0; i < ops.length; i++) if (ops[i] == op) ops[i] = by;
            threads.add(new ThreadProgram(t.name(), t.vcpu(), ops, t.localNames()));
        }
        return new Program(p.config(), p.setup(), threads, p.trackMetrics(), p.statsRead(), p.expectationVcpus(),
                p.expectationReads());
    }

    /** The real op, forwarding everything but its footprints (lie applied) and the locals it declares it reads. */
    private record Lying(Op real, UnaryOperator<Footprint> lie, int[] localsRead) implements Op {
        @Override
        public int choices(VmState s, int thread) {
            return real.choices(s, thread);
        }

        @Override
        public void exec(Exec e, int choice) {
            real.exec(e, choice);
        }

        @Override
        public Footprint footprint() {
            return lie.apply(real.footprint());
        }

        @Override
        public Footprint footprint(VmConfig config) {
            return lie.apply(real.footprint(config));
        }

        @Override
        public Footprint footprint(VmState s, int thread) {
            return lie.apply(real.footprint(s, thread));
        }

        @Override
        public Footprint invisibleFootprint() {
            return real.invisibleFootprint();
        }

        @Override
        public Footprint invisibleFootprint(VmConfig config) {
            return real.invisibleFootprint(config);
        }

        @Override
        public int[] targets(int pc) {
            return real.targets(pc);
        }

        @Override
        public int[] localsWritten(int pc, int target) {
            return real.localsWritten(pc, target);
        }

        @Override
        public String describe() {
            return real.describe();
        }
    }
}
