package dev.mmu.interp.ast;

import java.util.Optional;

/** Statements of setup blocks, threads and paths. */
public sealed interface Stmt {

    Pos pos();

    /**
     * A guest access {@code read|write|exec GPA}: TLB, then hardware walk, then the EPT-violation
     * fault path. {@code vcpu} is empty inside {@code thread vcpu N} (the thread's vCPU).
     */
    record Access(Pos pos, Optional<Expr> vcpu, boolean nested, AccessKind kind, Expr gpa) implements Stmt {
    }

    /** {@code lock read|write [LOCK]}: default {@code mmu_lock}; {@code modePos} is the word read or write. */
    record Lock(Pos pos, LockMode mode, Pos modePos, LockName lock) implements Stmt {
    }

    /** {@code unlock [LOCK]}: releases whichever mode this thread holds. */
    record Unlock(Pos pos, LockName lock) implements Stmt {
    }

    /** {@code yield}: cond_resched_rwlock_*(), may drop and retake mmu_lock. */
    record Yield(Pos pos) implements Stmt {
    }

    /** {@code if need_resched { } else { }}: the explorer branches on both. */
    record IfNeedResched(Pos pos, Block then, Optional<Block> orElse) implements Stmt {
    }

    /** {@code if e { } else { }}; an {@code else if} is an else block holding one If. */
    record If(Pos pos, Expr cond, Block then, Optional<Block> orElse) implements Stmt {
    }

    record Let(Pos pos, Ident name, Expr value) implements Stmt {
    }

    /** {@code x = e} or {@code x |= e} (accumulating a pending flush, as the kernel does). */
    record Assign(Pos pos, Ident name, boolean orAssign, Expr value) implements Stmt {
    }

    record While(Pos pos, Expr cond, Block body) implements Stmt {
    }

    /**
     * {@code for sp in lpage_disallowed take N { }}: the head of the NX recovery list; with {@code
     * list}, {@code for sp in possible_nx_huge_pages(t) take N { }}, the head of one MMU's list
     * (v6.18). {@code list} is null for lpage_disallowed.
     */
    record ForLpageDisallowed(Pos pos, Ident var, Expr.Call list, Expr take, Block body) implements Stmt {
        public ForLpageDisallowed(Pos pos, Ident var, Expr take, Block body) {
            this(pos, var, null, take, body);
        }
    }

    /**
     * {@code for sp in obsolete_pages { }}, {@code for sp in invalid_list { }} (each entry once, the
     * next read before the body), {@code for root in invalidated_roots { }}: a kernel list
     * walk that starts again from the list's head each time; {@code for root in tdp_mmu_roots { }} and
     * its valid / yield-safe forms go on after the previous root ({@link #LISTS}).
     */
    record ForList(Pos pos, Ident var, Ident list, Block body) implements Stmt {
        /** The lists, each with the kernel walk it is. */
        public static final java.util.Map<String, String> LISTS = java.util.Map.of(
                "obsolete_pages", "kvm_zap_obsolete_pages()'s walk of active_mmu_pages",
                "invalid_list", "list_for_each_entry_safe() over this thread's invalid_list (kvm_mmu_commit_zap_page())",
                "invalidated_roots", "for_each_tdp_mmu_root_yield_safe() with tdp_mmu_scheduled_root_to_zap",
                "tdp_mmu_roots", "for_each_tdp_mmu_root(): every TDP root, under mmu_lock held for write, no reference",
                "valid_tdp_mmu_roots", "for_each_valid_tdp_mmu_root(): the valid TDP roots, as tdp_mmu_roots",
                "tdp_mmu_roots_yield_safe", "for_each_tdp_mmu_root_yield_safe(): every TDP root, each with a reference",
                "valid_tdp_mmu_roots_yield_safe",
                "for_each_valid_tdp_mmu_root_yield_safe(): the valid TDP roots, each with a reference",
                "valid_tdp_mmu_roots_rcu",
                "for_each_tdp_mmu_root_rcu(kvm, root, as_id, KVM_VALID_ROOTS): the valid TDP roots under rcu_read_lock(), no"
                        + " mmu_lock, no reference",
                "tdp_mmu_roots_rcu",
                "for_each_tdp_mmu_root_rcu(kvm, root, as_id, KVM_ALL_ROOTS): every TDP root under rcu_read_lock(), no mmu_lock");

        /** Whether the loop's variable is a shadow page (not a root). */
        public static boolean ofPages(String list) {
            return list.equals("obsolete_pages") || list.equals("invalid_list");
        }

        /** Whether a list is kvm->arch.tdp_mmu_roots walked from root to root (not a take-the-head list). */
        public static boolean isRootWalk(String list) {
            return list.contains("tdp_mmu_roots");
        }

        /** Whether a root walk is for_each_tdp_mmu_root_rcu(): RCU keeps it, and its roots' tdp_pte walks, without mmu_lock. */
        public static boolean isRcuRootWalk(String list) {
            return list.endsWith("tdp_mmu_roots_rcu");
        }
    }

    /**
     * {@code for iter in tdp_pte(root, start .. end) { }}: the kernel's for_each_tdp_pte, in the valid
     * root of address space 0 (the builtin {@code root}) or in a root a root loop gave.
     */
    record ForTdpPte(Pos pos, Ident var, Expr root, Expr.Range range, Block body, boolean leafOnly) implements Stmt {
        public ForTdpPte(Pos pos, Ident var, Expr root, Expr.Range range, Block body) {
            this(pos, var, root, range, body, false);
        }

        /** {@code for iter in tdp_root_for_each_leaf_pte(root, start, end) { }}: the present leaves only. */
        public static final String LEAF_WALK = "tdp_root_for_each_leaf_pte";
    }

    /**
     * {@code for iter in tdp_mmu_for_each_pte(fault) { }} and {@code for it in
     * for_each_shadow_entry(fault) { }}: kvm_tdp_mmu_map()'s and direct_map()'s walk from the vCPU's
     * root to the fault's gfn, stepping down through present tables (TdpMap.Walk, DirectMap.Walk).
     * {@code walk} is the iterator's name.
     */
    record ForFaultWalk(Pos pos, Ident var, Ident walk, Expr fault, Block body) implements Stmt {
        public static final java.util.Set<String> WALKS = java.util.Set.of("tdp_mmu_for_each_pte", "for_each_shadow_entry");
    }

    record Repeat(Pos pos, Expr count, Block body) implements Stmt {
    }

    /** {@code atomic { }}: one step, nothing interleaves inside. */
    record Atomic(Pos pos, Block body) implements Stmt {
    }

    /** {@code choose { } or { }}: the scenario's own free choice; the explorer tries every branch. */
    record Choose(Pos pos, java.util.List<Block> branches) implements Stmt {
    }

    record Assert(Pos pos, Expr cond) implements Stmt {
    }

    /** break (out of the innermost loop), or continue (isContinue: on to its next pass). */
    record Break(Pos pos, boolean isContinue) implements Stmt {
        public String word() {
            return isContinue ? "continue" : "break";
        }
    }

    /** {@code return [e]}: anywhere in a path, which ends there; its value is the call's (a path declared {@code -> TYPE}). */
    record Return(Pos pos, Optional<Expr> value) implements Stmt {
    }

    /**
     * {@code goto NAME}: a jump to {@code NAME:} of the same path, in the same block or one enclosing
     * it, forward or back (docs/kernel-model.md, "Goto"); like a return, no step of its own.
     */
    record Goto(Pos pos, Ident label) implements Stmt {
    }

    /** {@code NAME:}: the target of the path's gotos; it runs nothing. */
    record Label(Pos pos, Ident name) implements Stmt {
    }

    /**
     * A call as a statement. {@code command} is true for the command form
     * ({@code mmu_notifier_invalidate 0x0 .. 0x200000}), false for {@code name(args)}.
     */
    record CallStmt(Pos pos, Expr.Call call, boolean command) implements Stmt {
    }

    enum AccessKind { READ, WRITE, EXEC }

    enum LockMode { READ, WRITE }

    /**
     * The MMU's locks by their kernel names, and the one mode each has unless it is mmu_lock, the
     * only rwlock: a mutex or spinlock is taken for write only, kvm->srcu has a read side only.
     */
    enum LockName {
        MMU_LOCK("mmu_lock", null), SLOTS_LOCK("slots_lock", LockMode.WRITE), SRCU("srcu", LockMode.READ),
        TDP_MMU_PAGES_LOCK("tdp_mmu_pages_lock", LockMode.WRITE),
        MMU_UNSYNC_PAGES_LOCK("mmu_unsync_pages_lock", LockMode.WRITE);

        public final String kernelName;
        /** The only mode the lock has, or null for both (mmu_lock). */
        public final LockMode onlyMode;

        LockName(String kernelName, LockMode onlyMode) {
            this.kernelName = kernelName;
            this.onlyMode = onlyMode;
        }
    }

    /** The blocks a statement holds directly: its branches, its loop body. */
    static java.util.List<Block> blocks(Stmt s) {
        java.util.List<Block> blocks = new java.util.ArrayList<>();
        if (s instanceof Stmt.IfNeedResched n) {
            blocks.add(n.then());
            n.orElse().ifPresent(blocks::add);
        } else if (s instanceof Stmt.If i) {
            blocks.add(i.then());
            i.orElse().ifPresent(blocks::add);
        } else if (s instanceof Stmt.While w) {
            blocks.add(w.body());
        } else if (s instanceof Stmt.ForLpageDisallowed f) {
            blocks.add(f.body());
        } else if (s instanceof Stmt.ForTdpPte f) {
            blocks.add(f.body());
        } else if (s instanceof Stmt.ForFaultWalk f) {
            blocks.add(f.body());
        } else if (s instanceof Stmt.ForList f) {
            blocks.add(f.body());
        } else if (s instanceof Stmt.Repeat r) {
            blocks.add(r.body());
        } else if (s instanceof Stmt.Atomic a) {
            blocks.add(a.body());
        } else if (s instanceof Stmt.Choose c) {
            blocks.addAll(c.branches());
        }
        return blocks;
    }
}
