package dev.mmu.runtime.paths;

import static dev.mmu.runtime.paths.InvariantsTest.call;
import static dev.mmu.runtime.paths.Stepper.HPAGE_GPA;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.LockId;
import dev.mmu.runtime.model.Mmu;
import dev.mmu.runtime.model.ShadowPage;
import dev.mmu.runtime.model.VmConfig;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.Lock.Mode;
import dev.mmu.runtime.paths.MmuOps.Access;
import dev.mmu.runtime.paths.Program.ThreadProgram;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * vcpu_enter_guest()'s root handling (the prelude's x86.mmu as FaultPaths compiles it, over the
 * VcpuRoots primitives, v6.12): KVM_REQ_MMU_FREE_OBSOLETE_ROOTS served at each vCPU's own next
 * entry, kvm_mmu_reload(), kvm_tdp_mmu_alloc_root(), SMM roots, one step at a time.
 */
class VcpuRootsTest {
    static final VmConfig VM = Stepper.vm(Mmu.TDP, 2);

    static Stepper twoVcpus(PathBuilder setup) {
        return new Stepper(Stepper.program(VM, setup, InvariantsTest.vcpu(VM, 0, Access.READ, HPAGE_GPA),
                InvariantsTest.vcpu(VM, 1, Access.READ, HPAGE_GPA)));
    }

    /** kvm_mmu_zap_all_fast()'s invalidation under the write lock, then the request to every vCPU. */
    static PathBuilder fastZap() {
        PathBuilder b = new PathBuilder();
        b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
        b.emit(call("kvm_tdp_mmu_invalidate_roots"));
        b.emit(new Ops.Release(LockId.mmu_lock));
        b.emit(call("kvm_make_all_cpus_request_free_obsolete_roots"));
        return b;
    }

    /**
     * Steps vCPU `v` through vcpu_enter_guest()'s root handling up to its guest access: with a
     * request, its lockless is_obsolete_root() is a step of its own (the other vCPU may put a root).
     */
    static void enterGuest(Stepper st, int v, boolean frees) {
        st.step(v, "vcpu " + v + " read");
        boolean requested = (st.s.freeObsoleteRootsRequests & (1L << v)) != 0;
        st.step(v, "kvm_check_request_free_obsolete_roots()");
        // its own step, unless step merging joined it to the check: no other thread can invalidate the root between
        if (requested && st.next(v).equals("is_obsolete_root()")) st.step(v, "is_obsolete_root()");
        if (frees) {
            st.step(v, "read_lock(mmu_lock)");
            st.step(v, "mmu_free_root_page()");
            st.step(v, "release mmu_lock");
        }
        st.step(v, "read_lock(mmu_lock)");
        st.step(v, "tdp_mmu_get_or_alloc_root()");
        st.step(v, "release mmu_lock");
        // kvm_mmu_load()'s flush of the new root: its own step where another thread may flush TLBs
        if (st.next(v).equals("flush_tlb_current()")) st.step(v, "flush_tlb_current()");
        assertThat(st.next(v)).as("then the guest access").isEqualTo("vcpu " + v + " read");
    }

    /**
     * KVM_REQ_MMU_FREE_OBSOLETE_ROOTS kicks each vCPU off its obsolete roots: their entries, L1's
     * and the L2 guest's, are parked under the roots' pages (the zap of an invalidated root does not
     * flush them); a vCPU without entries has nothing parked.
     */
    @Test
    void theRequestParksTheEntriesOfEachObsoleteRoot() {
        VmConfig both = Stepper.vm(Mmu.BOTH, 2);
        PathBuilder setup = new PathBuilder();
        FaultPaths.guestAccess(setup, both, 0, Access.READ, Expr.constant(HPAGE_GPA), true);
        FaultPaths.guestAccess(setup, both, 0, Access.READ, Expr.constant(HPAGE_GPA));
        setup.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
        setup.emit(call("kvm_tdp_mmu_invalidate_roots"));
        setup.emit(call("kvm_mmu_toggle_valid_gen"));
        setup.emit(new Ops.Release(LockId.mmu_lock));
        setup.emit(call("kvm_make_all_cpus_request_free_obsolete_roots"));
        Stepper st = new Stepper(Stepper.program(both, setup, InvariantsTest.vcpu(both, 1, Access.READ, HPAGE_GPA)));
        VmState s = st.s;
        assertThat(s.freeObsoleteRootsRequests).isEqualTo(0b11);
        assertThat(Tlbs.parked(s, 0, false)).isEqualTo(s.vcpuRoots[0]).isNotEqualTo(-1);
        assertThat(Tlbs.parked(s, 0, true)).isEqualTo(s.vcpuNestedRoots[0]).isNotEqualTo(-1);
        assertThat(s.tlb[0]).as("kept, not flushed").hasSize(2);
        assertThat(Tlbs.parked(s, 1, false)).as("no entries: nothing parked").isEqualTo(-1);
    }

    @Test
    void eachVcpuFreesItsObsoleteRootAtItsOwnEntryWhileTheOtherStillHoldsIt() {
        Stepper st = twoVcpus(fastZap());
        int old = st.s.root(0, false);
        assertThat(st.s.vcpuRoots).containsExactly(old, old);
        assertThat(st.s.sp(old).invalid).isTrue();
        assertThat(st.s.sp(old).rootCount).as("two vCPUs and the scheduled zap").isEqualTo(3);
        assertThat(st.s.freeObsoleteRootsRequests).isEqualTo(0b11);

        st.step(0, "vcpu 0 read");
        st.step(0, "kvm_check_request_free_obsolete_roots()");
        assertThat(st.s.freeObsoleteRootsRequests).as("kvm_check_request clears vCPU 0's request only").isEqualTo(0b10);
        st.step(0, "is_obsolete_root()");
        st.step(0, "read_lock(mmu_lock)");
        st.step(0, "mmu_free_root_page()");
        assertThat(st.s.vcpuRoots[0]).as("root.hpa = INVALID_PAGE").isEqualTo(-1);
        assertThat(st.s.sp(old).rootCount).as("vCPU 0's reference put").isEqualTo(2);
        assertThat(st.s.sp(old).status).isEqualTo(ShadowPage.LIVE);
        st.step(0, "release mmu_lock");
        st.step(0, "read_lock(mmu_lock)");
        st.step(0, "tdp_mmu_get_or_alloc_root()");
        int fresh = st.s.vcpuRoots[0];
        assertThat(fresh).as("a new root, not the invalid one").isNotEqualTo(old).isEqualTo(st.s.root);
        assertThat(st.s.sp(fresh).invalid).isFalse();
        assertThat(st.s.sp(fresh).rootCount).as("vCPU 0's and the TDP MMU's").isEqualTo(2);
        st.step(0, "release mmu_lock");
        st.step(0, "flush_tlb_current()"); // its own step: vCPU 1 may flush TLBs (kvm_mmu_load)
        assertThat(st.next(0)).isEqualTo("vcpu 0 read");

        // The window: vCPU 1 has not entered the guest since the request and still runs on the old root.
        assertThat(st.s.vcpuRoots[1]).isEqualTo(old);
        assertThat(st.s.sp(old).rootCount).isEqualTo(2);
        assertThat(st.s.freeObsoleteRootsRequests).isEqualTo(0b10);

        enterGuest(st, 1, true);
        assertThat(st.s.vcpuRoots[1]).as("vCPU 1 takes a reference to the valid root vCPU 0 made").isEqualTo(fresh);
        assertThat(st.s.sp(fresh).rootCount).isEqualTo(3);
        assertThat(st.s.sp(old).rootCount).as("only the scheduled zap's reference is left").isEqualTo(1);
        assertThat(st.s.freeObsoleteRootsRequests).isZero();
        assertThat(st.s.violations).isZero();
    }

    @Test
    void requestWithoutObsoleteRootGoesStraightToTheAccessWithoutTheLock() {
        Stepper st = twoVcpus(InvariantsTest.path(b -> b.emit(call("kvm_make_all_cpus_request_free_obsolete_roots"))));
        int root = st.s.root;
        assertThat(st.s.freeObsoleteRootsRequests).isEqualTo(0b11);
        st.step(0, "vcpu 0 read");
        assertThat(st.next(0)).isEqualTo("kvm_check_request_free_obsolete_roots()");
        st.step(0, "kvm_check_request_free_obsolete_roots()");
        st.step(0, "is_obsolete_root()");
        // kvm_mmu_free_obsolete_roots() finds nothing obsolete, kvm_mmu_reload() finds the root: enter.
        assertThat(st.next(0)).isEqualTo("vcpu 0 read");
        assertThat(st.s.mmuReaders).isZero();
        assertThat(st.s.freeObsoleteRootsRequests).isEqualTo(0b10);
        assertThat(st.s.vcpuRoots[0]).isEqualTo(root);
        assertThat(st.s.sp(root).rootCount).as("no reference put or taken").isEqualTo(3);
        st.step(0, "vcpu 0 read");
        assertThat(st.trace.get(st.trace.size() - 1)).contains("EPT violation");
    }

    @Test
    void withoutRequestOrWithARootTheAccessDoesNotReload() {
        Stepper st = twoVcpus(new PathBuilder());
        st.step(0, "vcpu 0 read");
        assertThat(st.next(0)).as("no request, a root: the EPT violation's fault path").isEqualTo("kvm_faultin_pfn");
    }

    @Test
    void vcpuWithoutRootReloadsEvenWithoutRequest() {
        Stepper st = twoVcpus(InvariantsTest.path(b -> {
            b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.READ));
            b.emit(call("mmu_free_root_page", 0));
            b.emit(call("mmu_free_root_page", 0)); // no root: nothing to put
            b.emit(new Ops.Release(LockId.mmu_lock));
        }));
        int root = st.s.root;
        assertThat(st.s.vcpuRoots).containsExactly(-1, root);
        assertThat(st.s.sp(root).rootCount).isEqualTo(2);
        enterGuest(st, 0, false);
        assertThat(st.s.vcpuRoots[0]).as("kvm_tdp_mmu_alloc_root takes a reference to the valid root").isEqualTo(root);
        assertThat(st.s.sp(root).rootCount).isEqualTo(3);
    }

    @Test
    void freeRootEmptiesTheVcpusTlb() {
        VmConfig one = Stepper.vm(Mmu.TDP, 1);
        Stepper st = new Stepper(Stepper.program(one, new PathBuilder(), InvariantsTest.vcpu(one, 0, Access.READ, HPAGE_GPA),
                InvariantsTest.thread("free", b -> {
                    b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.READ));
                    b.emit(call("mmu_free_root_page", 0));
                    b.emit(new Ops.Release(LockId.mmu_lock));
                })));
        while (!st.done(0)) st.step(0, st.next(0));
        assertThat(Tlbs.lookup(st.s, 0, Stepper.HPAGE_GFN)).as("the access filled the TLB").isNotNull();
        while (!st.done(1)) st.step(1, st.next(1));
        assertThat(st.s.vcpuRoots[0]).isEqualTo(-1);
        assertThat(Tlbs.lookup(st.s, 0, Stepper.HPAGE_GFN)).as("tagged with the root it no longer has").isNull();
    }

    @Test
    void freeRootAndAllocRootWithoutMmuLockForReadAreLockdepViolations() {
        VmConfig one = Stepper.vm(Mmu.TDP, 1);
        assertThat(Run.of(one, b -> b.emit(FaultPaths.vcpuCall("mmu_free_root_page", 0, -1))).violated(Invariant.lockdep)).isTrue();
        assertThat(Run.of(one, b -> b.emit(FaultPaths.vcpuCall("tdp_mmu_get_or_alloc_root", 0, -1))).violated(Invariant.lockdep)).isTrue();
        assertThat(Run.of(one, b -> {
            b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.READ));
            b.emit(FaultPaths.vcpuCall("mmu_free_root_page", 0, -1));
            b.emit(FaultPaths.vcpuCall("tdp_mmu_get_or_alloc_root", 0, -1));
            b.emit(new Ops.Release(LockId.mmu_lock));
        }).violated(Invariant.lockdep)).as("under read_lock(mmu_lock)").isFalse();
    }

    @Test
    void vcpuInSmmLoadsTheSmmRoot() {
        Stepper st = twoVcpus(InvariantsTest.path(b -> {
            b.emit(call("kvm_vcpu_set_smm", 0, 1));
            b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.READ));
            b.emit(call("mmu_free_root_page", 0));
            b.emit(new Ops.Release(LockId.mmu_lock));
        }));
        int root = st.s.root;
        assertThat(st.s.inSmm(0)).isTrue();
        assertThat(st.s.inSmm(1)).isFalse();
        assertThat(st.s.smmRoot).as("no SMM root before a vCPU in SMM loads one").isEqualTo(-1);
        enterGuest(st, 0, false);
        int smm = st.s.vcpuRoots[0];
        assertThat(smm).as("address space 1: a root of its own").isNotEqualTo(root).isEqualTo(st.s.smmRoot);
        assertThat(st.s.sp(smm).rootCount).isEqualTo(2);
        assertThat(st.s.sp(smm).smm).as("role.smm").isTrue();
        assertThat(st.s.sp(root).smm).isFalse();
        assertThat(VcpuRoots.wrongAddressSpace(st.s, 0, 0x1)).as("no SMRAM: the spaces agree").isNull();
        st.s.smramStart = 0x1;
        st.s.smramEnd = 0x2;
        assertThat(VcpuRoots.wrongAddressSpace(st.s, 0, 0x1)).as("in SMM on the SMM root").isNull();
        assertThat(VcpuRoots.wrongAddressSpace(st.s, 1, 0x1)).as("outside SMM on address space 0's").isNull();
        st.s.vcpuRoots[1] = smm;
        assertThat(VcpuRoots.wrongAddressSpace(st.s, 1, 0x1)).isEqualTo("vCPU 1 left SMM but runs on " + st.s.sp(smm)
                + " of address space 1 (role.smm 1): gfn 0x1 reaches SMRAM outside SMM");
        assertThat(VcpuRoots.wrongAddressSpace(st.s, 1, 0x2)).as("past SMRAM").isNull();
        assertThat(VcpuRoots.wrongAddressSpace(st.s, 1, 0x0)).as("before SMRAM").isNull();
        st.s.vcpuRoots[0] = root;
        assertThat(VcpuRoots.wrongAddressSpace(st.s, 0, 0x1)).isEqualTo("vCPU 0 is in SMM but runs on " + st.s.sp(root)
                + " of address space 0 (role.smm 0): gfn 0x1 reaches guest RAM where address space 1 maps SMRAM");
        st.s.vcpuRoots[0] = smm;
        assertThat(st.s.root).as("address space 0's root is kept").isEqualTo(root);
        assertThat(st.s.sp(root).rootCount).isEqualTo(2);
    }

    @Test
    void leavingSmmLoadsTheAddressSpace0Root() {
        Stepper st = twoVcpus(InvariantsTest.path(b -> {
            b.emit(call("kvm_vcpu_set_smm", 1, 1));
            b.emit(call("kvm_vcpu_set_smm", 1, 0));
            b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.READ));
            b.emit(call("mmu_free_root_page", 1));
            b.emit(new Ops.Release(LockId.mmu_lock));
        }));
        assertThat(st.s.smmVcpus).isZero();
        enterGuest(st, 1, false);
        assertThat(st.s.vcpuRoots[1]).isEqualTo(st.s.root);
        assertThat(st.s.smmRoot).isEqualTo(-1);
    }

    @Test
    void smramIsAlignedInTdpAndNotUnderAVcpuInSmm() {
        VmState s = Run.of(VM, b -> b.emit(call("kvm_set_smram_region", 0x10000, 0x20000))).s;
        assertThat(new long[] {s.smramStart, s.smramEnd}).containsExactly(0x10, 0x30);
        assertThatThrownBy(() -> Run.of(Stepper.vm(Mmu.SHADOW, 2), b -> b.emit(call("kvm_set_smram_region", 0, 0x1000))))
                .isInstanceOf(ScenarioError.class).hasMessageContaining("mmu tdp only");
        for (long[] bad : new long[][] {{0x800, 0x1000}, {0, 0x800}, {0, 0}, {0, -0x1000}}) {
            assertThatThrownBy(() -> Run.of(VM, b -> b.emit(call("kvm_set_smram_region", bad[0], bad[1]))))
                    .isInstanceOf(ScenarioError.class).hasMessageContaining("4K-aligned");
        }
        assertThatThrownBy(() -> Run.of(VM, b -> {
            b.emit(call("kvm_vcpu_set_smm", 1, 1));
            b.emit(call("kvm_set_smram_region", 0, 0x1000));
        })).isInstanceOf(ScenarioError.class).hasMessageContaining("no vCPU is in SMM");
    }

    @Test
    void setSmmNeedsTdpAndAVcpu() {
        VmConfig shadow = Stepper.vm(Mmu.SHADOW, 2);
        assertThatThrownBy(() -> Run.of(shadow, b -> b.emit(call("kvm_vcpu_set_smm", 0, 1))))
                .isInstanceOf(ScenarioError.class).hasMessageContaining("mmu tdp only");
        assertThatThrownBy(() -> Run.of(VM, b -> b.emit(call("kvm_vcpu_set_smm", 2, 1))))
                .isInstanceOf(ScenarioError.class).hasMessageContaining("no vCPU 2");
        assertThatThrownBy(() -> Run.of(VM, b -> b.emit(call("kvm_vcpu_set_smm", -1, 1))))
                .isInstanceOf(ScenarioError.class).hasMessageContaining("no vCPU -1");
        assertThat(Run.of(VM, b -> b.emit(call("kvm_vcpu_set_smm", 1, 1))).s.smmVcpus).isEqualTo(0b10);
    }

    @Test
    void theLastPutFreesTheInvalidatedRootThroughRcu() {
        VmConfig one = Stepper.vm(Mmu.TDP, 1);
        PathBuilder setup = fastZap();
        // kvm_tdp_mmu_zap_invalidated_roots() puts the scheduled zap's reference first: the vCPU's is the last.
        // Its loop (for_each_tdp_mmu_root_yield_safe(), tdp_mmu_scheduled_root_to_zap) takes the
        // reference from the zap before the body puts it: a put without it would be one too many.
        int root = setup.local("root");
        setup.emit(new Ops.Acquire(LockId.mmu_lock, Mode.READ));
        setup.emit(new Ops.Assign(root, Expr.constant(-1), "root = NULL"));
        int next = setup.placeholder();
        setup.emit(new Ops.Call(Primitives.get("kvm_tdp_mmu_put_root"), new Expr[] {Expr.local(root)}, -1));
        setup.emit(new Ops.Jump(next));
        setup.patch(next, new FastZap.NextInvalidRoot(root, setup.here()));
        setup.emit(new Ops.Release(LockId.mmu_lock));
        PathBuilder reader = new PathBuilder();
        reader.emit(new Ops.Acquire(LockId.rcu, Mode.READ));
        reader.emit(new Ops.Release(LockId.rcu));
        Stepper st = new Stepper(Stepper.program(one, setup, InvariantsTest.vcpu(one, 0, Access.READ, HPAGE_GPA),
                ThreadProgram.of("reader", -1, reader)));
        int old = st.s.vcpuRoots[0];
        assertThat(st.s.sp(old).rootCount).as("only vCPU 0's reference").isEqualTo(1);
        st.step(1, "rcu_read_lock()");
        st.step(0, "vcpu 0 read");
        st.step(0, "kvm_check_request_free_obsolete_roots()"); // and is_obsolete_root(): the reader touches no root
        st.step(0, "read_lock(mmu_lock)");
        st.step(0, "mmu_free_root_page()");
        assertThat(st.s.sp(old).rootCount).isZero();
        assertThat(st.s.sp(old).status).as("unlinked, freed by call_rcu").isEqualTo(ShadowPage.UNLINKED);
        assertThat(st.s.rcuPending).containsExactly(old);
        assertThat(st.s.violations).as("no vCPU runs on it: it was the vCPU's own last reference").isZero();
        st.step(0, "release mmu_lock");
        assertThat(st.s.rcuPending).as("the reader's rcu_read_lock() holds the grace period").containsExactly(old);
        st.step(1, "release rcu");
        assertThat(st.s.sp(old)).as("the grace period has elapsed").isNull();
        assertThat(st.s.rcuPending).isEmpty();
    }
    /** The legacy root's steps under write_lock(mmu_lock), one op after the other (KernelFixtures-style user path). */
    /** Under the slots_lock the fast zap's toggle asserts, taken before the test's steps begin. */
    static Stepper legacy(VmConfig c, Consumer<PathBuilder> body) {
        Stepper st = new Stepper(Stepper.program(c, new PathBuilder(), InvariantsTest.thread("t", b -> {
            b.emit(new Ops.Acquire(LockId.slots_lock, Mode.WRITE));
            b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
            body.accept(b);
            b.emit(new Ops.Release(LockId.mmu_lock));
            b.emit(new Ops.Release(LockId.slots_lock));
        })));
        st.step(0, st.next(0));
        return st;
    }

    /** __kvm_mmu_prepare_zap_page() of the shadow MMU's root (s.root), as kvm_zap_obsolete_pages() reaches it. */
    static Ops.Call prepareZapRoot() {
        return new Ops.Call(Primitives.get("__kvm_mmu_prepare_zap_page"),
                new Expr[] {Expr.of(Footprint.reads(Resource.SPTE), (s, t) -> s.root)}, -1);
    }

    /**
     * mmu_free_root_page() of a legacy root (mmu.c, v6.12): `if (!--sp->root_count && sp->role.invalid)
     * kvm_mmu_prepare_zap_page(kvm, sp, invalid_list)`. kvm_zap_obsolete_pages() made the root invalid
     * but, referenced by both vCPUs, kept it off the list; the first vCPU's put only drops its
     * reference, the last one's queues the root, and kvm_mmu_commit_zap_page() frees it.
     */
    @Test
    void aZappedLegacyRootGoesOnInvalidListAtItsLastPut() {
        Stepper st = legacy(Stepper.vm(Mmu.SHADOW, 2), b -> {
            b.emit(call("kvm_mmu_toggle_valid_gen"));
            b.emit(prepareZapRoot());
            b.emit(call("mmu_free_root_page", 0));
            b.emit(call("mmu_free_root_page", 1));
            b.emit(call("commit_zap"));
        });
        int root = st.s.root;
        assertThat(st.s.vcpuRoots).containsExactly(root, root);
        assertThat(st.s.sp(root).rootCount).isEqualTo(2);
        for (int i = 0; i < 3; i++) st.step(0, st.next(0)); // write_lock, the toggle, the prepare
        assertThat(st.s.sp(root).invalid).as("role.invalid").isTrue();
        assertThat(st.s.threads[0].invalidList).as("referenced: kept off invalid_list").isEmpty();
        st.step(0, st.next(0));
        assertThat(st.s.vcpuRoots).as("root.hpa = INVALID_PAGE").containsExactly(-1, root);
        assertThat(st.s.sp(root).rootCount).isEqualTo(1);
        assertThat(st.s.threads[0].invalidList).as("vCPU 1 still holds it").isEmpty();
        st.step(0, st.next(0));
        assertThat(st.s.vcpuRoots).containsExactly(-1, -1);
        assertThat(st.s.sp(root).rootCount).isZero();
        assertThat(st.s.threads[0].invalidList).as("the last put: kvm_mmu_prepare_zap_page").containsExactly(root);
        assertThat(st.s.sp(root)).as("not freed before the commit").isNotNull();
        st.step(0, st.next(0));
        assertThat(st.s.sp(root)).as("kvm_mmu_commit_zap_page frees it").isNull();
        assertThat(st.s.violations).isZero();
    }

    /** The same puts of a valid legacy root (role.invalid clear): at root_count 0 it stays, off invalid_list. */
    @Test
    void theLastPutOfAValidLegacyRootKeepsIt() {
        Stepper st = legacy(Stepper.vm(Mmu.SHADOW, 2), b -> {
            b.emit(call("mmu_free_root_page", 0));
            b.emit(call("mmu_free_root_page", 1));
        });
        int root = st.s.root;
        while (!st.done(0)) st.step(0, st.next(0));
        assertThat(st.s.vcpuRoots).containsExactly(-1, -1);
        assertThat(st.s.sp(root).rootCount).isZero();
        assertThat(st.s.sp(root).status).isEqualTo(ShadowPage.LIVE);
        assertThat(st.s.threads[0].invalidList).isEmpty();
    }

    /**
     * mmu_free_root_page() of a TDP MMU root asserts mmu_lock held for read (v7.2 mmu.c:3862,
     * lockdep_assert_held_read, which the write lock fails too): trial14's kvm_mmu_free_roots()
     * under write_lock() passed.
     */
    @Test
    void freeingATdpRootUnderTheWriteLockIsALockdepViolation() {
        freeingTheRootIsALockdepViolationUnder(Mmu.TDP, Mode.WRITE);
    }

    /** mmu_free_root_page() of a legacy root asserts mmu_lock held for write (lockdep_assert_held_write, v6.12). */
    @Test
    void freeingALegacyRootUnderTheReadLockIsALockdepViolation() {
        freeingTheRootIsALockdepViolationUnder(Mmu.SHADOW, Mode.READ);
    }

    /** mmu_free_root_page() under mmu_lock in each mode: lockdep in the wrong one, the root freed in both. */
    private static void freeingTheRootIsALockdepViolationUnder(Mmu mmu, Mode wrong) {
        VmConfig vm = Stepper.vm(mmu, 1);
        for (Mode mode : Mode.values()) {
            Run r = Run.of(vm, b -> {
                b.emit(new Ops.Acquire(LockId.mmu_lock, mode));
                b.emit(call("mmu_free_root_page", 0));
                b.emit(new Ops.Release(LockId.mmu_lock));
            });
            assertThat(r.violated(Invariant.lockdep)).as(mode.toString()).isEqualTo(mode == wrong);
            assertThat(r.s.vcpuRoots[0]).isEqualTo(-1);
        }
    }

    /**
     * mmu_alloc_shadow_roots() of guest_mmu (mmu both, v6.12): mmu_alloc_root() ->
     * kvm_mmu_get_shadow_page() finds the L2 guest's root of the current generation and
     * ++sp->root_count; once kvm_mmu_zap_all_fast() made it obsolete (mmu_valid_gen toggled), a new
     * root. The vCPU's L1 (TDP) root is another MMU's: untouched throughout.
     */
    @Test
    void theL2GuestsRootIsSharedUntilObsoleteThenANewOne() {
        Stepper st = legacy(Stepper.vm(Mmu.BOTH, 2), b -> {
            b.emit(call("mmu_free_root_page", 0, 1));
            b.emit(call("mmu_alloc_root", 0, 1));
            b.emit(call("kvm_mmu_toggle_valid_gen"));
            b.emit(call("mmu_free_root_page", 0, 1));
            b.emit(call("mmu_alloc_root", 0, 1));
        });
        int l1 = st.s.root;
        int l2 = st.s.nestedRoot;
        assertThat(st.s.vcpuNestedRoots).containsExactly(l2, l2);
        assertThat(st.s.sp(l2).rootCount).isEqualTo(2);
        st.step(0, st.next(0));
        st.step(0, st.next(0));
        assertThat(st.s.vcpuNestedRoots).as("guest_mmu's root.hpa = INVALID_PAGE").containsExactly(-1, l2);
        assertThat(st.s.vcpuRoots).as("root_mmu's root is not guest_mmu's").containsExactly(l1, l1);
        assertThat(st.s.sp(l2).rootCount).isEqualTo(1);
        st.step(0, st.next(0));
        assertThat(st.s.vcpuNestedRoots).as("the root of the current generation, found").containsExactly(l2, l2);
        assertThat(st.s.sp(l2).rootCount).isEqualTo(2);
        st.step(0, st.next(0));
        st.step(0, st.next(0));
        st.step(0, st.next(0));
        int fresh = st.s.vcpuNestedRoots[0];
        assertThat(fresh).as("an obsolete root is not found: a new one").isNotEqualTo(l2).isEqualTo(st.s.nestedRoot);
        assertThat(st.s.sp(fresh).tdp).isFalse();
        assertThat(st.s.sp(fresh).rootCount).isEqualTo(1);
        assertThat(st.s.sp(l2).rootCount).as("vCPU 1 still holds the old one").isEqualTo(1);
        assertThat(st.s.vcpuRoots).containsExactly(l1, l1);
        assertThat(st.s.violations).isZero();
    }

    /**
     * A vCPU holds a reference on its root (mmu_alloc_root's ++sp->root_count), so a path that drops
     * it and zaps the root (v5.10's kvm_mmu_put_root, then the zap) frees the root under the vCPU:
     * the put is one too many (root_count 0 below vCPU 0's), and mmu_free_root_page() then finds
     * the root gone (root_to_sp() of freed memory), freed_root_in_use both.
     */
    @Test
    void freeingARootFreedUnderTheVcpuIsFreedRootInUse() {
        Stepper st = legacy(Stepper.vm(Mmu.SHADOW, 1), b -> {
            b.emit(new Ops.Call(Primitives.get("kvm_mmu_put_root"), new Expr[] {Expr.of(Footprint.reads(Resource.SPTE), (s, t) -> s.root)}, -1));
            b.emit(prepareZapRoot());
            b.emit(call("commit_zap"));
            b.emit(call("mmu_free_root_page", 0));
        });
        int root = st.s.root;
        st.step(0, st.next(0));
        st.step(0, st.next(0));
        assertThat(st.s.violations).as("the put too many").isEqualTo(1 << Invariant.freed_root_in_use.ordinal());
        st.s.violations = 0;
        st.step(0, st.next(0));
        st.step(0, st.next(0));
        assertThat(st.s.sp(root)).isNull();
        assertThat(st.s.violations).isZero();
        st.step(0, st.next(0));
        assertThat(Invariants.violated(Invariant.freed_root_in_use, st.s)).isTrue();
        assertThat(st.s.vcpuRoots[0]).isEqualTo(-1);
    }

    /**
     * mmu_free_root_page() of a legacy root whose root_count is already below its vCPUs (an
     * earlier put too many): the vCPU's own put leaves it below the other vCPU's, whose put frees
     * the zapped root under it. No path of the model gets there first (every put is checked), so
     * the state is made by hand.
     */
    @Test
    void aLegacyRootsPutBelowItsOtherVcpuIsAPutTooMany() {
        VmConfig two = Stepper.vm(Mmu.SHADOW, 2);
        MmuSystem m = new MmuSystem(Stepper.program(two, new PathBuilder(), InvariantsTest.thread("t", b -> b.emit(new Ops.Note("idle")))));
        StringBuilder trace = new StringBuilder();
        Exec e = new Exec(m.program(), m.initial().copy(), 0, trace);
        int root = e.s.root;
        e.s.mmuWriter = 0; // write_lock(&kvm->mmu_lock)
        VcpuRoots.freeRoot(e, 0, false);
        assertThat(e.s.violations).as("root_count 2, vCPU 0's put leaves vCPU 1's").isZero();
        e.s.vcpuRoots[0] = root; // vCPU 0 again, with no reference of its own
        VcpuRoots.freeRoot(e, 0, false);
        assertThat(Invariant.freed_root_in_use.violatedIn(e.s)).isTrue();
        assertThat(trace.toString()).contains("!! freed_root_in_use: mmu_free_root_page(): a put too many: " + e.s.sp(root)
                + " has root_count 0, held by vCPU 1: the zapped root is freed at root_count 0 (kvm_mmu_prepare_zap_page()"
                + " queues it on invalid_list) while they still hold it");
    }
}
