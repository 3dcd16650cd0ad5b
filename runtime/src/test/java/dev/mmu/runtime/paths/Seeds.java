package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.LockId;
import dev.mmu.runtime.model.Memslot;
import dev.mmu.runtime.model.Mmu;
import dev.mmu.runtime.model.Stat;
import dev.mmu.runtime.model.VmConfig;
import dev.mmu.runtime.paths.Lock.Mode;
import dev.mmu.runtime.paths.MmuOps.Access;
import dev.mmu.runtime.paths.Program.ThreadProgram;
import java.util.List;

/** The seed scenario built directly on the runtime, without .mmu text. */
final class Seeds {
    static final VmConfig VM = new VmConfig(Mmu.TDP, true, 1, false, 4,
            List.of(new Memslot(0, 0, 1024, 2, false, false)), 2);

    static Program seed(boolean fixed) {
        PathBuilder setup = new PathBuilder();
        FaultPaths.guestAccess(setup, VM, 0, Access.EXEC, Expr.constant(0x1000));
        FaultPaths.guestAccess(setup, VM, 1, Access.READ, Expr.constant(0x1000));
        PathBuilder recovery = new PathBuilder();
        if (fixed) KernelFixtures.recoverNxLpages(recovery, VM);
        else preFixRecovery(recovery);
        PathBuilder host = new PathBuilder();
        KernelFixtures.mmuNotifierInvalidate(host, Expr.constant(0), Expr.constant(0x200000));
        HostPaths.hostFree(host, Expr.constant(0), Expr.constant(0x200000));
        PathBuilder vcpu = new PathBuilder();
        FaultPaths.guestAccess(vcpu, VM, 1, Access.READ, Expr.constant(0x1000));
        return new Program(VM, ThreadProgram.of("setup", -1, setup), List.of(
                ThreadProgram.of("recovery", -1, recovery),
                ThreadProgram.of("host", -1, host),
                ThreadProgram.of("vcpu 1", 1, vcpu)), false);
    }

    /** kvm_recover_nx_lpages() of v5.10/5.11: the TDP zap's returned flush is dropped. */
    static void preFixRecovery(PathBuilder b) {
        int toZap = b.local("to_zap");
        int sp = b.local("sp");
        int flush = b.local("flush");
        b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
        b.emit(new Ops.Assign(toZap, Expr.of(Footprint.reads(Resource.STATS), (s, t) -> s.stat(Stat.nx_lpage_splits)), "to_zap"));
        int loop = b.here();
        int exit1 = b.placeholder();
        int exit2 = b.placeholder();
        b.emit(new Nx.FirstEntry(sp, "sp = first"));
        b.emit(new Ops.Assign(flush, Expr.constant(0), "flush = false"));
        KernelPaths.zapGfnRange(b, Expr.of(Footprint.reads(Resource.SPTE), (s, t) -> s.sp((int) s.threads[t].locals[sp]).gfn),
                Expr.of(Footprint.reads(Resource.SPTE), (s, t) -> s.sp((int) s.threads[t].locals[sp]).gfn + 512), flush, true);
        int resched = b.placeholder();
        b.emit(new Ops.Call(Primitives.get("commit_zap"), new Expr[0], -1));
        KernelFixtures.condReschedRwlockWrite(b);
        int next = b.here();
        b.emit(new Ops.Assign(toZap, Expr.of(Footprint.LOCAL, (s, t) -> s.threads[t].locals[toZap] - 1), "--to_zap"));
        b.emit(new Ops.Jump(loop));
        int end = b.here();
        b.emit(new Ops.Call(Primitives.get("commit_zap"), new Expr[0], -1));
        b.emit(new Ops.Release(LockId.mmu_lock));
        b.patch(exit1, new Ops.JumpUnless(Expr.local(toZap), end, "to_zap"));
        b.patch(exit2, new Ops.JumpUnless(Queries.NX_LENGTH, end, "!list_empty"));
        b.patch(resched, new Ops.NeedResched(next));
    }

    private Seeds() {}
}
