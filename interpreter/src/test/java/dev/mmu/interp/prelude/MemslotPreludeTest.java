package dev.mmu.interp.prelude;

import static org.assertj.core.api.Assertions.assertThat;
import static dev.mmu.interp.prelude.PreludeStepper.finish;
import static dev.mmu.interp.prelude.PreludeStepper.step;
import static dev.mmu.interp.prelude.PreludeStepper.until;

import dev.mmu.interp.run.Loaded;
import dev.mmu.interp.run.ScenarioLoader;
import dev.mmu.runtime.explore.Transition;
import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.Invariants;
import dev.mmu.runtime.paths.Memslots;
import dev.mmu.runtime.paths.MmuSystem;
import dev.mmu.runtime.paths.Op;
import dev.mmu.runtime.paths.Queries;
import dev.mmu.runtime.paths.SlotOps;
import dev.mmu.runtime.paths.Tlbs;
import dev.mmu.runtime.paths.Walk;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The prelude's memslot delete and move (kernel/kvm_main.mmu: kvm_set_memslot's
 * kvm_invalidate_memslot, kvm_delete_memslot, kvm_move_memslot; kernel/mmu.mmu:
 * kvm_mmu_zap_memslot, or __kvm_mmu_zap_all_fast with KVM_X86_QUIRK_SLOT_ZAP_ALL), v6.12, stepped one
 * atomic step at a time or explored whole.
 */
class MemslotPreludeTest {
    private static MmuSystem system(String text) {
        Loaded loaded = ScenarioLoader.load("memslot.mmu", text);
        assertThat(loaded.diagnostics()).isEmpty();
        return new MmuSystem(loaded.scenarios().get(0).program().readByAnyExpectation()); // op by op
    }

    /**
     * Two slots of 2M backed by 2M pages at gpa 0 and 4M; `threads` after a setup that writes 0x1000.
     * KVM_X86_QUIRK_SLOT_ZAP_ALL off: a delete or move zaps the slot alone (kvm_mmu_zap_memslot).
     */
    private static MmuSystem twoSlots(String threads) {
        return twoSlots("quirk slot_zap_all off", threads);
    }

    private static MmuSystem twoSlots(String vm, String threads) {
        return system("""
                scenario "s" {
                  vm {
                    nx_huge_pages off
                    %s
                  }
                  memslot 0 { gpa 0x0 size 4M backing 2M }
                  memslot 1 { gpa 0x400000 size 4M backing 2M }
                  vcpus 2
                  setup { vcpu 0 write 0x1000 }
                  %s
                }
                """.formatted(vm, threads));
    }

    private static Op next(MmuSystem m, VmState s, int t) {
        return m.program().threads().get(t).ops()[s.threads[t].pc];
    }

    private static Walk leaf(VmState s, long gfn) {
        return Walk.of(s, gfn);
    }

    /** The invariants some reachable state breaks; a stuck unfinished state is a deadlock. */
    private static Set<Invariant> broken(MmuSystem m) {
        Set<Invariant> found = EnumSet.noneOf(Invariant.class);
        Set<VmState> seen = new HashSet<>(List.of(m.initial()));
        ArrayDeque<VmState> todo = new ArrayDeque<>(seen);
        List<Transition<VmState>> out = new ArrayList<>();
        while (!todo.isEmpty()) {
            VmState s = todo.poll();
            for (Invariant inv : Invariant.values()) if (Invariants.violated(inv, s)) found.add(inv);
            out.clear();
            m.successors(s, out);
            if (out.isEmpty() && !m.finished(s)) found.add(Invariant.deadlock);
            for (var t : out) if (seen.add(t.target())) todo.add(t.target());
        }
        return found;
    }

    @Test
    void memslotDeleteZapsTheSlotBeforeRemovingIt() {
        MmuSystem m = twoSlots("thread t { vcpu 0 write 0x401000; memslot_delete 1; vcpu 0 read 0x401000 }");
        VmState s = until(m, m.initial(), 0, x -> leaf(x, 0x401).presentLeaf());
        s = until(m, s, 0, x -> (x.slotInvalid & 2) != 0);
        s = until(m, s, 0, x -> x.mmuWriter == 0);
        s = until(m, s, 0, x -> !leaf(x, 0x401).presentLeaf());
        assertThat(leaf(s, 1).presentLeaf()).as("slot 0 stays mapped").isTrue();
        s = until(m, s, 0, x -> x.mmuWriter == -1);
        assertThat(Tlbs.lookup(s, 0, 0x401)).isNull();
        s = until(m, s, 0, x -> x.slotDeleted != 0);
        assertThat(SlotOps.dangling(s)).isNull();
        s = finish(m, s, 0);
        assertThat(leaf(s, 0x401).presentLeaf()).as("no slot: the read is emulated MMIO").isFalse();
        assertThat(s.violations).isZero();
    }

    @Test
    void memslotMoveZapsTheOldRangeAndKeepsTheHostPages() {
        MmuSystem m = system("""
                scenario "s" {
                  vm {
                    nx_huge_pages off
                    quirk slot_zap_all off
                  }
                  memslot 0 { gpa 0x0 size 2M }
                  memslot 1 { gpa 0x200000 size 2M backing 2M }
                  vcpus 2
                  setup { vcpu 0 write 0x1000 }
                  thread t {
                    vcpu 0 write 0x201000
                    memslot_move 1 0x600000
                    let moved = 0x601000  # a variable: the checker knows only the configured gpas
                    vcpu 0 read moved
                    memslot_move 1 0x0  # overlaps memslot 0: -EEXIST
                  }
                }
                """);
        VmState s = until(m, m.initial(), 0, x -> leaf(x, 0x201).presentLeaf());
        long pfn = leaf(s, 0x201).pfnOf(0x201);
        s = until(m, s, 0, x -> (x.slotInvalid & 2) != 0);
        s = until(m, s, 0, x -> x.slotBase[1] == 0x600);
        assertThat(leaf(s, 0x201).presentLeaf()).isFalse();
        assertThat(Tlbs.lookup(s, 0, 0x201)).isNull();
        assertThat(Memslots.of(s, 0x201)).isEqualTo(-1);
        assertThat(Memslots.of(s, 0x601)).isEqualTo(1);
        s = until(m, s, 0, x -> leaf(x, 0x601).presentLeaf());
        assertThat(leaf(s, 0x601).pfnOf(0x601)).as("same hva, same host page").isEqualTo(pfn);
        s = finish(m, s, 0);
        assertThat(s.slotBase[1]).as("-EEXIST: the second move changes nothing").isEqualTo(0x600);
        assertThat(s.violations).isZero();
        assertThat(Invariants.violated(Invariant.dangling_memslot, s)).isFalse();
    }

    @Test
    void memslotSwapsWaitForAnInvalidationBetweenStartAndEnd() {
        MmuSystem m = twoSlots("thread t { memslot_move 1 0x800000 }\n"
                + "  thread host { mmu_notifier_invalidate 0x400000 .. 0x800000 }");
        VmState s = until(m, m.initial(), 1, x -> x.mmuInvalidateInProgress == 1 && x.mmuWriter == -1);
        assertThat(s.mnActiveInvalidateCount).isEqualTo(1);
        s = until(m, s, 0, x -> next(m, x, 0) instanceof SlotOps.InvalidateSlot);
        assertThat(next(m, s, 0).choices(s, 0)).as("kvm_swap_active_memslots waits for the count").isZero();
        s = until(m, s, 1, x -> x.mnActiveInvalidateCount == 0);
        assertThat(next(m, s, 0).choices(s, 0)).as("_end dropped the count").isOne();
        s = finish(m, s, 1);
        s = finish(m, s, 0);
        assertThat(s.slotBase[1]).isEqualTo(0x800);
        assertThat(s.violations).isZero();
    }

    /** mmu both: kvm_unmap_gfn_range() zaps the L2 guest's leaves of the slot too (the rmaps). */
    @Test
    void memslotDeleteZapsTheNestedGuestsLeaves() {
        MmuSystem m = system("""
                scenario "s" {
                  vm {
                    mmu both
                    nx_huge_pages off
                    eager_page_split off
                    quirk slot_zap_all off
                  }
                  memslot 0 { gpa 0x0 size 2M }
                  memslot 1 { gpa 0x200000 size 2M }
                  vcpus 1
                  setup {
                    vcpu 0 nested read 0x1000
                    vcpu 0 nested read 0x201000
                  }
                  thread ioctl { memslot_delete 1 }
                }
                """);
        VmState s = m.initial();
        assertThat(Walk.of(s, 0x201, true).presentLeaf()).isTrue();
        assertThat(Tlbs.lookup(s, 0, 0x201, true)).isNotNull();
        s = finish(m, s, 0);
        assertThat(Walk.of(s, 0x201, true).presentLeaf()).as("kvm_zap_rmap").isFalse();
        assertThat(Tlbs.lookup(s, 0, 0x201, true)).as("the zap's flush").isNull();
        assertThat(Walk.of(s, 0x1, true).presentLeaf()).as("memslot 0 stays").isTrue();
        assertThat(Invariant.dangling_memslot.violatedIn(s)).isFalse();
        assertThat(s.violations).isZero();
    }

    /** Slot 0 (4K pages) at gpa 0 and slot 1 (4K pages, logging) at gpa 2M. */
    private static final String LOGGING_SLOTS = """
              vm { nx_huge_pages off }
              memslot 0 { gpa 0x0 size 2M }
              memslot 1 { gpa 0x200000 size 2M flags dirty_log }
              vcpus 1
            """;

    @Test
    void aMovedSlotKeepsItsHostPages() {
        MmuSystem m = system("scenario \"s\" {\n" + LOGGING_SLOTS
                + "  setup { vcpu 0 read 0x201000 }\n"
                + "  thread t { memslot_move 1 0x400000; let moved = 0x401000; vcpu 0 read moved }\n}\n");
        VmState s = finish(m, m.initial(), 0);
        assertThat(Memslots.hvaGfn(s, 1024 + 1)).isEqualTo(512 + 1);
        assertThat(Memslots.hvaGfn(s, 1)).isEqualTo(1);
        assertThat(Queries.spte(s, 0x401000, "pfn")).as("the same host page, now at gpa 4M").isEqualTo(0x1000);
        assertThat(Memslots.gfnRangesOfHva(s, 512, 1024)).as("slot 1's hva, at its new gfns").containsExactly(1024, 1536);
        assertThat(Memslots.gfnRangesOfHva(s, 500, 520)).containsExactly(500, 512, 1024, 1032);
        assertThat(Memslots.gfnRangesOfHva(s, 512, 512)).isEmpty();
    }

    @Test
    void aDeletedSlotsHvaMapsNoGfns() {
        MmuSystem m = system("scenario \"s\" {\n" + LOGGING_SLOTS + "  thread t { memslot_delete 0 }\n}\n");
        VmState s = finish(m, m.initial(), 0);
        assertThat(Memslots.gfnRangesOfHva(s, 0, 1024)).containsExactly(512, 1024);
    }

    @Test
    void deletingTheSecondSlotLeavesTheFirstLogging() {
        MmuSystem m = system("""
                scenario "s" {
                  vm { nx_huge_pages off }
                  memslot 0 { gpa 0x0 size 2M flags dirty_log }
                  memslot 1 { gpa 0x200000 size 2M }
                  vcpus 1
                  setup { dirty_log_enable 1 }
                  thread t { memslot_delete 1 }
                }
                """);
        VmState s = finish(m, m.initial(), 0);
        assertThat(Memslots.logging(s, 1)).isFalse();
        assertThat(Memslots.logging(s, 0)).isTrue();
        assertThat(Memslots.of(s, 515)).as("no slot at gpa 2M").isNegative();
    }

    /** memslot_delete of slot 1 racing a set_spte outside srcu (buggy) or a vCPU fault (kernel). */
    @Test
    void anSpteInstalledOutsideSrcuOutlivesTheMemslotDelete() {
        String scenario = """
                scenario "s" {
                  vm {
                    nx_huge_pages off
                    quirk slot_zap_all off
                  }
                  memslot 0 { gpa 0x0 size 2M }
                  memslot 1 { gpa 0x200000 size 2M }
                  vcpus 1
                  setup { vcpu 0 read 0x201000 }
                  thread admin { memslot_delete 1 }
                  %s
                }
                """;
        assertThat(broken(system(scenario.formatted(
                "thread prefault { lock write; set_spte(0x202, 1, true, false, false); unlock }"))))
                .contains(Invariant.dangling_memslot);
        assertThat(broken(system(scenario.formatted("thread vcpu 0 { read 0x202000 }"))))
                .doesNotContain(Invariant.dangling_memslot);
    }

    /** slots_lock taken inside mmu_lock (ABBA against memslot_delete) or in the documented order. */
    @Test
    void takingSlotsLockInsideMmuLockDeadlocksAgainstAMemslotDelete() {
        String scenario = """
                scenario "s" {
                  vm { nx_huge_pages off }
                  memslot 0 { gpa 0x0 size 2M }
                  memslot 1 { gpa 0x200000 size 2M }
                  vcpus 1
                  thread admin { memslot_delete 1 }
                  thread t { lock write %s; lock write %s; unlock %s; unlock %s }
                }
                """;
        assertThat(broken(system(scenario.formatted("mmu_lock", "slots_lock", "slots_lock", "mmu_lock"))))
                .contains(Invariant.deadlock, Invariant.lockdep);
        assertThat(broken(system(scenario.formatted("slots_lock", "mmu_lock", "mmu_lock", "slots_lock")))).isEmpty();
    }

    /**
     * KVM_X86_QUIRK_SLOT_ZAP_ALL picks kvm_arch_flush_shadow_memslot()'s zap: on (KVM's default, and
     * the only way before v6.12) the fast zap takes every root and both slots' leaves, and the vCPUs
     * must reload; off, only the slot's leaves go and the root stays valid.
     */
    @Test
    void theSlotZapAllQuirkPicksTheFastZapOrTheSlotsLeaves() {
        String delete = "thread t { vcpu 0 write 0x401000; memslot_delete 1 }";
        for (String vm : List.of("", "quirk slot_zap_all on", "kernel 5.10", "kernel 5.12")) {
            MmuSystem m = twoSlots(vm, delete);
            VmState s = until(m, m.initial(), 0, x -> leaf(x, 0x401).presentLeaf());
            int root = s.root;
            int references = s.sp(root).rootCount;
            s = finish(m, s, 0);
            assertThat(s.root).as(vm + ": no valid root until a vCPU loads one").isEqualTo(-1);
            assertThat(s.root(0, false)).as(vm + ": vCPU 0 keeps the old root until its next entry").isEqualTo(root);
            assertThat(s.sp(root).rootCount).as(vm + ": the TDP MMU's reference went with the zap").isEqualTo(references - 1);
            assertThat(s.freeObsoleteRootsRequests).as(vm + ": KVM_REQ_MMU_FREE_OBSOLETE_ROOTS").isNotZero();
            assertThat(Walk.of(s, 0, 0x1, false).presentLeaf()).as(vm + ": slot 0's leaf went with the root").isFalse();
            assertThat(s.violations).isZero();
        }
        MmuSystem off = twoSlots("quirk slot_zap_all off", delete);
        VmState s = until(off, off.initial(), 0, x -> leaf(x, 0x401).presentLeaf());
        int root = s.root;
        s = finish(off, s, 0);
        assertThat(s.root).as("the root stays valid").isEqualTo(root);
        assertThat(s.freeObsoleteRootsRequests).isZero();
        assertThat(leaf(s, 1).presentLeaf()).as("slot 0 stays mapped").isTrue();
        assertThat(leaf(s, 0x401).presentLeaf()).isFalse();
        assertThat(s.violations).isZero();
    }
}
