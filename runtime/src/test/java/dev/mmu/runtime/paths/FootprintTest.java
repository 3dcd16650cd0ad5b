package dev.mmu.runtime.paths;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mmu.runtime.model.LockId;
import dev.mmu.runtime.model.Mmu;
import dev.mmu.runtime.model.Stat;
import dev.mmu.runtime.model.VmConfig;
import dev.mmu.runtime.paths.Program.ThreadProgram;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Footprints (what an op reads, writes and which vCPUs it names) and the program facts built on them. */
class FootprintTest {
    @Test
    void aUnionKeepsEverySidesReadsWritesAndVcpus() {
        Footprint a = Footprint.reads(Resource.SPTE).naming(1);
        Footprint b = Footprint.updates(Resource.TLB).naming(3);
        Footprint u = a.union(b);
        assertThat(Resource.in(u.reads())).containsExactlyInAnyOrder(Resource.SPTE, Resource.TLB);
        assertThat(Resource.in(u.writes())).containsExactly(Resource.TLB);
        assertThat(u.vcpus()).isEqualTo(0b1010);
        assertThat(Resource.in(0)).isEmpty();
    }

    @Test
    void whereItsThreadHoldsOffGracePeriodsAFootprintKeepsWhatItTouchesItselfAndCallRcusQueue() {
        Footprint f = Footprint.updates(Resource.STATS).andUpdatesTlb(1).andUpdatesRoots(2).union(Rcu.GRACE_PERIOD);
        assertThat(f.heldOff()).isEqualTo(Footprint.updates(Resource.STATS, Resource.RCU_PENDING).andUpdatesTlb(1)
                .andUpdatesRoots(2));
        assertThat(Rcu.GRACE_PERIOD.union(Footprint.reads(Resource.SPTE)).heldOff())
                .as("a read of its own stays, whichever side of the union").isEqualTo(Footprint.reads(Resource.SPTE)
                        .andUpdates(Resource.RCU_PENDING));
        assertThat(f.writes() & Resource.SPTE.bit()).as("where no thread holds them off it frees tables").isNotZero();
        assertThat(Footprint.reads(Resource.SPTE).heldOff()).isEqualTo(Footprint.reads(Resource.SPTE));
        assertThatThrownBy(() -> new Footprint(0, 0, 0, Resource.SPTE.bit(), 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Footprint(0, 0, 0, 0, Resource.SPTE.bit())).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aThreadsOpLeavesOutTheEndOfAGracePeriodOnlyWhereItHoldsThemOffAndDoesNotChangeThat() {
        Footprint callRcu = Footprint.updates(Resource.STATS).union(Rcu.GRACE_PERIOD).ofThread(1);
        Footprint unlock = Ops.release(LockId.mmu_lock).ofThread(1);
        dev.mmu.runtime.model.VmState s = RcuNxTest.state();
        assertThat(Rcu.inPlace(s, 1, callRcu)).as("nothing held off: it may end one").isEqualTo(callRcu);
        s.mmuReaders = 2;
        assertThat(Rcu.inPlace(s, 1, callRcu)).as("under read_lock").isEqualTo(callRcu.heldOff());
        Footprint callRcu0 = Footprint.updates(Resource.STATS).union(Rcu.GRACE_PERIOD).ofThread(0);
        assertThat(Rcu.inPlace(s, 0, callRcu0)).as("thread 0 holds nothing: another's hold is not its own").isEqualTo(callRcu0);
        assertThat(Rcu.inPlace(s, 1, unlock)).as("the unlock may let it end").isEqualTo(unlock);
    }

    @Test
    void aVcpuNumberOutsideTheBitSetNamesAnyVcpu() {
        assertThat(Footprint.LOCAL.naming(0).vcpus()).isEqualTo(1);
        assertThat(Footprint.LOCAL.naming(63).vcpus()).isEqualTo(1L << 63);
        assertThat(Footprint.LOCAL.naming(64).vcpus()).isEqualTo(-1L);
        assertThat(Footprint.LOCAL.naming(-1).vcpus()).isEqualTo(-1L);
    }

    @Test
    void aFootprintReadsAsItsResources() {
        assertThat(Footprint.reads(Resource.SPTE).andWrites(Resource.TLB)).hasToString("reads [SPTE] writes [TLB]");
        assertThat(Footprint.LOCAL.naming(2).naming(0)).hasToString("reads [] writes [] names vCPUs 101");
        assertThat(Footprint.LOCAL.naming(70)).hasToString("reads [] writes [] names vCPUs any");
    }

    @Test
    void oneVcpusTlbMeetsEveryTlbButNotAnotherVcpus() {
        long v0 = Footprint.LOCAL.andUpdatesTlb(0).writes();
        long v1 = Footprint.LOCAL.andReadsTlb(1).reads();
        assertThat(v0 & v1).as("vCPU 0's TLB and vCPU 1's").isZero();
        assertThat(v0 & Footprint.reads(Resource.TLB).reads()).as("a remote flush or tlb() reads every TLB").isEqualTo(v0);
        assertThat(Resource.tlbOf(-1)).as("a vCPU known only at run time").isEqualTo(Resource.TLB.bit());
        assertThat(Resource.tlbOf(64 - Resource.TLB_SHIFT)).isEqualTo(Resource.TLB.bit());
        assertThat(Resource.in(v1)).containsExactly(Resource.TLB);
        assertThat(v0 & ~Resource.TLB.bit()).as("no other resource").isZero();
    }

    @Test
    void rcuIsOneReadSidePerThreadAndAGracePeriodReadsThemAll() {
        long t0 = new Ops.Acquire(LockId.rcu, Lock.Mode.READ).footprint().ofThread(0).writes();
        long t1 = new Ops.Acquire(LockId.rcu, Lock.Mode.READ).footprint().ofThread(1).writes();
        assertThat(t0).isEqualTo(Resource.rcuOf(0));
        assertThat(t0 & t1).as("two threads' rcu_read_lock()").isZero();
        assertThat(t0 & Resource.srcuOf(0)).as("rcu is not srcu").isZero();
        assertThat(new Ops.Release(LockId.rcu).footprint().ofThread(1).reads() & t0)
                .as("rcu_read_unlock() may end a grace period: it reads every read side").isEqualTo(t0);
        assertThat(new Ops.Acquire(LockId.mmu_lock, Lock.Mode.READ).footprint().ofThread(1).writes() & t1)
                .as("read_lock() disables preemption: a read side").isEqualTo(t1);
        assertThat(new Ops.Acquire(LockId.slots_lock, Lock.Mode.WRITE).footprint().ofThread(1).writes() & Resource.RCU.bit())
                .as("a sleeping mutex").isZero();
        assertThat(Resource.in(t1)).containsExactly(Resource.RCU);
        assertThat(Resource.in(Resource.RCU_SELF.bit())).containsExactly(Resource.RCU_SELF);
        assertThat(Resource.rcuOf(64 - Resource.RCU_SHIFT)).as("past the bits: every thread's").isEqualTo(Resource.RCU.bit());
        assertThat(Resource.srcuOf(Resource.RCU_SHIFT - Resource.SRCU_SHIFT)).as("past the srcu bits").isEqualTo(Resource.SRCU.bit());
        assertThat(Resource.srcuOf(3) & ~Resource.SRCU.bit()).as("thread 3's srcu bit is an srcu bit").isZero();
        assertThat(Resource.srcuOf(3) & (Resource.TLB.bit() | Resource.RCU.bit())).isZero();
        assertThat(Resource.tlbOf(Resource.SRCU_SHIFT - Resource.TLB_SHIFT)).as("past the TLB bits").isEqualTo(Resource.TLB.bit());
        assertThat(new Ops.Release(LockId.srcu).footprint().ofThread(1).writes() & Resource.SRCU.bit())
                .as("srcu_read_unlock() writes its own read side").isEqualTo(Resource.srcuOf(1));
        assertThat(new Ops.Release(LockId.rcu).footprint().ofThread(1).writes() & Resource.RCU.bit())
                .as("rcu_read_unlock() writes its own read side").isEqualTo(t1);
        assertThat(Resource.in(Resource.RCU.bit() | Resource.RCU_SELF.bit())).contains(Resource.RCU, Resource.RCU_SELF);
        Footprint both = Footprint.updates(Resource.SRCU_SELF, Resource.RCU_SELF).ofThread(2);
        assertThat(both.writes()).isEqualTo(Resource.srcuOf(2) | Resource.rcuOf(2));
        assertThat(Footprint.updates(Resource.RCU, Resource.RCU_SELF).ofThread(2).writes()).as("every thread's names them all")
                .isEqualTo(Resource.RCU.bit());
    }

    @Test
    void hostIsItsPfnsItsAllocatorAndItsFreedPfns() {
        long host = Resource.HOST.bit();
        assertThat(host & Resource.HOST_PFNS.bit()).isNotZero();
        assertThat(host & Resource.HOST_ALLOC.bit()).isNotZero();
        assertThat(host & Resource.FREED_PFNS.bit()).isNotZero();
        assertThat(Resource.HOST_PFNS.bit() & Resource.FREED_PFNS.bit()).isZero();
        assertThat(Resource.HOST_PFNS.bit() & Resource.HOST_ALLOC.bit()).isZero();
        assertThat(Resource.in(host)).containsExactly(Resource.HOST);
        assertThat(Resource.in(Resource.FREED_PFNS.bit())).containsExactly(Resource.FREED_PFNS);
    }

    @Test
    void statsIsOnePartPerCounterGroup() {
        long stats = Resource.STATS.bit();
        long seen = 0;
        for (Stat st : Stat.values()) {
            long part = Resource.of(st).bit();
            assertThat(Long.bitCount(part)).as("%s", st).isOne();
            assertThat(stats & part).as("%s", st).isEqualTo(part);
            seen |= part;
        }
        assertThat(seen).as("STATS is its parts").isEqualTo(stats);
        assertThat(Resource.of(Stat.pages_2m)).isEqualTo(Resource.of(Stat.pages_4k)).isEqualTo(Resource.of(Stat.pages_1g));
        assertThat(Resource.of(Stat.nx_lpage_splits).bit() & Resource.of(Stat.remote_tlb_flush).bit()).isZero();
        assertThat(Resource.in(stats)).containsExactly(Resource.STATS);
        assertThat(Resource.in(Resource.STAT_PAGES.bit() | Resource.STAT_NX_LPAGE_SPLITS.bit()))
                .containsExactlyInAnyOrder(Resource.STAT_PAGES, Resource.STAT_NX_LPAGE_SPLITS);
        assertThat(Footprint.reads(Resource.STATS).union(Footprint.updates(Resource.STAT_MMU_SHADOW_ZAPPED)).reads())
                .isEqualTo(stats);
    }

    @Test
    void kernelHelpersDeclareWhatTheyTouch() {
        assertThat(Resource.in(Primitives.get("set_spte").footprint().writes())).as("tdp_mmu_set_spte")
                .contains(Resource.SPTE, Resource.STAT_PAGES, Resource.STAT_NX_LPAGE_SPLITS, Resource.HOST_ALLOC)
                .doesNotContain(Resource.STAT_REMOTE_TLB_FLUSH);
        assertThat(Resource.in(Primitives.get("flush_remote_tlbs").footprint().writes())).as("kvm_flush_remote_tlbs")
                .containsExactlyInAnyOrder(Resource.TLB, Resource.STAT_REMOTE_TLB_FLUSH);
        assertThat(Resource.in(new Ops.Release(LockId.mmu_lock).footprint().reads())).as("the unlock's stale-TLB check")
                .contains(Resource.TLB, Resource.SPTE);
        assertThat(Resource.in(Queries.NX_LENGTH.footprint().reads())).containsExactly(Resource.NX_LIST);
    }

    @Test
    void aProgramHasAtMost63Threads() {
        VmConfig c = InvariantsTest.vm(Mmu.TDP, false, 1, InvariantsTest.SMALL);
        List<ThreadProgram> threads = new ArrayList<>();
        for (int i = 0; i < 63; i++) threads.add(ThreadProgram.of("t" + i, -1, new PathBuilder()));
        ThreadProgram setup = ThreadProgram.of("setup", -1, new PathBuilder());
        assertThat(new Program(c, setup, threads, false).threads()).hasSize(63);
        threads.add(ThreadProgram.of("t63", -1, new PathBuilder()));
        assertThatThrownBy(() -> new Program(c, setup, threads, false)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void onlyCountersNothingReadsLeaveTheKey() {
        VmConfig c = InvariantsTest.vm(Mmu.TDP, false, 1, InvariantsTest.SMALL);
        ThreadProgram setup = ThreadProgram.of("setup", -1, new PathBuilder());
        long flush = 1L << Stat.remote_tlb_flush.ordinal();
        long zapped = 1L << Stat.mmu_shadow_zapped.ordinal();
        Program none = new Program(c, setup, List.of(), false, EnumSet.noneOf(Stat.class), 0);
        assertThat(none.unreadStatsMask()).isEqualTo(flush | zapped);
        assertThat(new Program(c, setup, List.of(), false, EnumSet.of(Stat.remote_tlb_flush), 0).unreadStatsMask()).isEqualTo(zapped);
        assertThat(none.withAllStatsRead().unreadStatsMask()).isZero();
        assertThat(none.withAllStatsRead().statsRead()).isEqualTo(EnumSet.allOf(Stat.class));
        assertThat(new Program(c, setup, List.of(), false).unreadStatsMask()).isZero();
    }

    @Test
    void aFootprintThatNarrowsOnlyItsWritesHeldOffStillEndsAGracePeriod() {
        long r = Resource.SPTE.bit(), w = Resource.RCU_PENDING.bit() | Resource.SPTE_ACCESS.bit();
        Footprint f = new Footprint(r, w, 0, r, Resource.RCU_PENDING.bit());
        assertThat(f.endsGracePeriod()).isTrue();
        assertThat(f.heldOff()).isEqualTo(new Footprint(r, Resource.RCU_PENDING.bit(), 0));
        assertThat(f.toString()).endsWith("(holding off grace periods: " + f.heldOff() + ")");
        assertThat(f.heldOff().endsGracePeriod()).isFalse();
        assertThat(f.heldOff().toString()).doesNotContain("holding off");
    }
}
