/*
 * The SPIN comparison scenario (bench/scenarios/seed-spin.mmu: the fixed seed with one vCPU read,
 * kernel 6.12, the OOM reaper's non-blocking invalidation) in Promela, for the SPIN peer comparison
 * (bench/spin/run.sh, docs/performance.md). With -DPREFIX the flush before the yield is dropped
 * (the seed bug, injected into the fixed path): a check that the assertions can fail; the mmu
 * pre-fix example is a different user path, so its counts are not comparable. -DWITHOUT_HOST,
 * -DWITHOUT_RECOVERY, -DWITHOUT_VCPU leave one thread out (run.sh's two-thread restrictions).
 *
 * Same machine state after setup, same threads, same atomic steps as the mmu model: each d_step
 * below is one explorer step (an op plus the ops merged after it), named by the mmu trace line it
 * corresponds to. Values are abstracted to what this scenario can reach:
 *   host page A = pfn 0x1000 (faulted in by the setup), B = pfn 0x1200 (a re-fault after unmap).
 * mmu_lock's FIFO wait queue (qrwlock) is modelled (q0..q2). The vCPUs' paging-structure caches
 * are not: here a cache entry exists exactly when a 4K TLB entry does (walks fill both, flushes
 * empty both, and only a TLB miss reads the cache), so they add no states (docs/performance.md).
 *
 * Step merging (runtime StepMerging): an op runs in the step of the op before it when it commutes
 * with everything the other threads can still do (their reach from their pc, stopping before an
 * acquire of a lock the running thread holds) and writes nothing an expectation reads. Here that
 * is a condition on the other threads' progress, kept in the globals rp, hp and vp (each thread's
 * phase, named by its mmu pc: a function of the Promela pc, so they add no states). The reaches
 * that matter: the vCPU can still write SPTEs, TLBs, stat.nx_lpage_splits (track_possible_nx_
 * huge_page) and mmu_lock until it finishes (vp == 42), except at its read_lock while another
 * thread holds mmu_lock for write (vp == 2); the host writes stat.nx_lpage_splits (the SPTE
 * writes of its zap may tear a table down) until its zap loop is behind it (hp >= 54; the stats
 * are one resource per counter group, so its flush, which adds to remote_tlb_flush, does not
 * count), mmu_lock until its last unlock (hp >= 64), the host page (which the
 * vCPU's kvm_faultin_pfn reads) until it is freed (hp == 65), and mmu_invalidate_seq/_in_progress
 * until invalidate_end; the recovery takes mmu_lock until it finishes (rp == 31). The invariant
 * stats_consistent reads pages_* and nx_lpage_splits, not remote_tlb_flush, so the host's flush
 * joins its put_root step while the vCPU cannot touch its TLB (VCPU_BLOCKED).
 * Dead locals are zeroed where the mmu model drops them (its keys leave dead locals out).
 */

/* L2[0] of the root: 0 none, 1 the NX-split table sp3, 2 2M leaf -> A, 3 2M leaf -> B */
byte l2 = 1;
/* L1[1] of sp3 (gfn 0x1): 0 none, 1 4K -> A+1, 2 4K -> B+1 */
byte l1 = 1;
/* sp3: 0 linked, 1 unlinked and waiting for RCU (call_rcu), 2 freed */
byte sp3 = 0;
/* possible_nx_huge_pages holds sp3; stat.nx_lpage_splits */
bool nxListed = 1;
byte nxSplits = 1;
/* vCPU 0's TLB (setup exec fault): 0 none, 1 gfn 0x1 4K -> A+1. vCPU 1's TLB: 0 none,
   1 4K -> A+1, 2 4K -> B+1, 3 2M -> A, 4 2M -> B */
byte tlb0 = 1;
byte tlb1 = 1;
/* host: pfn of backing page 0 (0 none, 1 A, 2 B); A unmapped (notifier ran) / freed */
byte hostPfn = 1;
bool aUnmapped = 0;
bool aFreed = 0;
/* mmu_lock: writer (0 none, 1 recovery, 2 host), vCPU 1 as reader; rcu readers */
byte writer = 0;
/* mmu_lock's FIFO wait queue (qrwlock; VmState.mmuQueue), oldest first: 0 empty, 1 recovery,
   2 host, 3 vCPU 1. A thread that finds mmu_lock taken queues (one step); then only the oldest
   waiter may take it, and taking it dequeues. */
byte q0 = 0;
byte q1 = 0;
byte q2 = 0;
bool vcpuReads = 0;
bool vcpuRcu = 0;
bool hostRcu = 0;
bool recRcu = 0;
/* kvm->stat.remote_tlb_flush: part of the mmu state. No property reads it, so SPIN's dead
   variable elimination drops it unless spin is run with -o2 (see run.sh). */
byte flushes = 0;
/* mmu_invalidate_seq, mmu_invalidate_in_progress (the range is always gfn 0x0..0x200) */
byte seq = 0;
byte inProgress = 0;
/* built-in invariants, sticky as in the mmu model; each is also an assert() where it is set */
bool useAfterFree = 0;
bool staleTlbAtUnlock = 0;
/* the threads' phases (their mmu pcs, see above); a thread left out is finished */
#ifdef WITHOUT_RECOVERY
byte rp = 31;
#else
byte rp = 0;
#endif
#ifdef WITHOUT_HOST
byte hp = 65;
#else
byte hp = 7;
#endif
#ifdef WITHOUT_VCPU
byte vp = 42;
#else
byte vp = 0;
#endif

/* kvm_flush_remote_tlbs: every vCPU's TLB */
#define FLUSH        tlb0 = 0; tlb1 = 0; flushes++
/* stale_tlb_at_unlock: a cached translation its SPTE no longer grants */
#define GRANTED0     (tlb0 == 0 || (l2 == 1 && l1 == 1))
#define GRANTED1     (tlb1 == 0 || (tlb1 == 1 && l2 == 1 && l1 == 1) || (tlb1 == 2 && l2 == 1 && l1 == 2) \
                      || (tlb1 == 3 && l2 == 2) || (tlb1 == 4 && l2 == 3))
#define CHECK_UNLOCK if :: !(GRANTED0 && GRANTED1) -> staleTlbAtUnlock = 1; assert(!staleTlbAtUnlock) \
                     :: else -> skip fi
/* call_rcu callbacks run once no thread is in an RCU read-side section nor has preemption off
   (mmu_lock held or spun on: Rcu.preemptionDisabled); checked after every unlock */
#define GRACE_PERIOD if :: sp3 == 1 && !recRcu && !hostRcu && !vcpuRcu && writer == 0 && !vcpuReads && q0 == 0 \
                        -> sp3 = 2 :: else -> skip fi
#define MMU_FREE     (writer == 0 && !vcpuReads)
/* Lock.available: free for this mode, and no queue or this thread at its head */
#define FIRST(me)    (q0 == 0 || q0 == me)
#define CAN_W(me)    (MMU_FREE && FIRST(me))
#define CAN_R(me)    (writer == 0 && FIRST(me))
#define DEQUEUE(me)  if :: q0 == me -> q0 = q1; q1 = q2; q2 = 0 :: else -> skip fi
#define ENQUEUE(me)  if :: q0 == 0 -> q0 = me :: q0 != 0 && q1 == 0 -> q1 = me :: else -> q2 = me fi
/* rwlock_needbreak(mmu_lock) under CONFIG_PREEMPTION (vm { preempt full }, the default): another
   thread is queued on mmu_lock: Lock.rwlockNeedbreak */
#define WAITER       (q0 != 0)
/* a leaf maps gfn 0x1 */
#define LEAF         (l2 >= 2 || (l2 == 1 && l1 != 0))
/* what the other threads can still do (see above) */
#define VCPU_DONE    (vp == 42)
#define VCPU_BLOCKED (vp == 2 || vp == 42)        /* for an op under mmu_lock held for write */
#define HOST_ZAPPED  (hp >= 54)
#define HOST_NO_LOCK (hp >= 64)
#define HOST_DONE    (hp == 65)
#define REC_DONE     (rp == 31)

/* Each process is one loop of guarded d_steps on its phase (rp, hp, vp: the mmu pc of the op
   it runs next); each d_step is one explorer step and nothing else is a transition. A finished
   (or left-out) process blocks at the loop head, which is an end state. A thread queued on
   mmu_lock keeps its phase; QUEUED(me) says it is in the queue. */
#define QUEUED(me)   (q0 == me || q1 == me || q2 == me)

/* kvm_mmu_notifier_invalidate_range_start/_end with may_block false (the OOM reaper,
   __oom_reap_task_mm), then the host frees the pages */
active proctype host() {
  bool ret = 0;                                             /* kvm_handle_hva_range's ret (flush owed) */
end:
  do
  :: d_step { hp == 7 && CAN_W(2) ->                        /* write_lock(mmu_lock) */
       writer = 2; DEQUEUE(2);
       if :: VCPU_BLOCKED -> inProgress = 1; hp = 27        /* + kvm_mmu_invalidate_begin */
          :: else -> hp = 8 fi }
  :: d_step { hp == 7 && !CAN_W(2) && !QUEUED(2) -> ENQUEUE(2) }   /* write_lock: held, queued */
  :: d_step { hp == 8 -> inProgress = 1; hp = 27 }          /* kvm_mmu_invalidate_begin 0x0..0x200 */
  :: d_step { hp == 27 && !hostRcu ->                       /* tdp_mmu_zap_leafs: rcu_read_lock() */
       hostRcu = 1; if :: LEAF -> hp = 37 :: else -> hp = 42 fi }
  :: d_step { hp == 37 ->                                   /* xchg SPTE: the 4K or the 2M leaf */
       if :: l2 == 1 -> l1 = 0 :: else -> l2 = 0 fi; ret = 1; hp = 42 }
  :: d_step { hp == 42 -> hostRcu = 0; hp = 28 }            /* rcu_read_unlock() */
  :: d_step { hp == 28 ->                                   /* kvm_tdp_mmu_put_root: still referenced */
       if                                                   /* (mmu pc 27 again: 28 here) */
       :: ret && VCPU_BLOCKED -> FLUSH; hp = 55             /* + kvm_flush_remote_tlbs */
       :: ret && !VCPU_BLOCKED -> hp = 54
       :: else -> hp = 55
       fi; ret = 0 }
  :: d_step { hp == 54 -> FLUSH; hp = 55 }                  /* kvm_flush_remote_tlbs */
  :: d_step { hp == 55 ->                                   /* write_unlock(mmu_lock) */
       CHECK_UNLOCK; writer = 0; GRACE_PERIOD;
       if
       :: VCPU_DONE && REC_DONE ->                          /* + host unmap + write_lock + _end */
          hostPfn = 0; aUnmapped = 1; writer = 2; seq = 1; inProgress = 0; hp = 61
       :: VCPU_DONE && !REC_DONE -> hostPfn = 0; aUnmapped = 1; hp = 59   /* + host unmaps pfn 0x1000 */
       :: else -> hp = 56
       fi }
  :: d_step { hp == 56 -> hostPfn = 0; aUnmapped = 1; hp = 59 }   /* host unmaps pfn 0x1000 */
  :: d_step { hp == 59 && CAN_W(2) ->                       /* write_lock(mmu_lock) */
       writer = 2; DEQUEUE(2);
       if :: VCPU_BLOCKED -> seq = 1; inProgress = 0; hp = 61   /* + kvm_mmu_invalidate_end */
          :: else -> hp = 60 fi }
  :: d_step { hp == 59 && !CAN_W(2) && !QUEUED(2) -> ENQUEUE(2) }
  :: d_step { hp == 60 -> seq = 1; inProgress = 0; hp = 61 }    /* kvm_mmu_invalidate_end */
  :: d_step { hp == 61 ->                                   /* write_unlock(mmu_lock) */
       CHECK_UNLOCK; writer = 0; GRACE_PERIOD;
       if :: VCPU_DONE -> aFreed = 1; hp = 65 :: else -> hp = 64 fi }   /* + host_free */
  :: d_step { hp == 64 -> aFreed = 1; hp = 65 }             /* host frees pfn 0x1000 */
  od
}

/* vCPU 1: read 0x1000, faulting (kvm_tdp_page_fault) until a TLB hit or a walk succeeds */
active proctype vcpu() {
  byte mmuSeq = 0;
  byte pfn = 0;                                             /* 1 A, 2 B */
end:
  do
  :: d_step { vp == 0 && tlb1 != 0 ->                       /* vCPU 1 read 0x1000: TLB hit */
       if :: aFreed && (tlb1 == 1 || tlb1 == 3) -> useAfterFree = 1; assert(!useAfterFree) :: else -> skip fi;
       vp = 42 }
  :: d_step { vp == 0 && tlb1 == 0 && LEAF ->               /* TLB miss, walk -> 2M or 4K leaf */
       if
       :: l2 == 2 -> tlb1 = 3
       :: l2 == 3 -> tlb1 = 4
       :: l2 == 1 -> tlb1 = l1
       fi;
       if :: aFreed && (tlb1 == 1 || tlb1 == 3) -> useAfterFree = 1; assert(!useAfterFree) :: else -> skip fi;
       vp = 42 }
  :: d_step { vp == 0 && tlb1 == 0 && !LEAF ->              /* EPT violation; srcu_read_lock */
       if
       :: HOST_DONE ->                                      /* + kvm_faultin_pfn (the host page is final) */
          mmuSeq = seq; if :: hostPfn == 0 -> hostPfn = 2 :: else -> skip fi; pfn = hostPfn;
          if
          :: REC_DONE -> vcpuReads = 1; vcpuRcu = 1; vp = 10   /* + read_lock, rcu_read_lock, kvm_tdp_mmu_map */
          :: else -> vp = 2
          fi
       :: else -> vp = 1
       fi }
  :: d_step { vp == 1 ->                                    /* kvm_faultin_pfn: mmu_seq, pfn */
       mmuSeq = seq;                                        /* (host faults in B after the unmap) */
       if :: hostPfn == 0 -> hostPfn = 2 :: else -> skip fi;
       pfn = hostPfn;
       if
       :: REC_DONE && HOST_NO_LOCK -> vcpuReads = 1; vcpuRcu = 1; vp = 10   /* + read_lock ... map */
       :: else -> vp = 2
       fi }
  :: d_step { vp == 2 && CAN_R(3) ->                        /* read_lock(mmu_lock) */
       vcpuReads = 1; DEQUEUE(3);
       if
       :: inProgress || seq != mmuSeq -> mmuSeq = 0; pfn = 0; vp = 23   /* is_page_fault_stale: retry */
       :: else -> vcpuRcu = 1; vp = 10                      /* rcu_read_lock(); kvm_tdp_mmu_map */
       fi }
  :: d_step { vp == 2 && !CAN_R(3) && !QUEUED(3) -> ENQUEUE(3) }   /* read_lock: held, queued */
  :: d_step { vp == 10 ->                                   /* the SPTE write of kvm_tdp_mmu_map: */
       if
       :: l2 == 0 -> l2 = pfn + 1                           /* 2M leaf */
       :: else -> l1 = pfn                                  /* disallowed_hugepage_adjust: 4K in sp3 */
       fi;
       mmuSeq = 0; pfn = 0; vp = 22 }
  :: d_step { vp == 22 -> vcpuRcu = 0; vp = 23 }            /* rcu_read_unlock() */
  :: d_step { vp == 23 ->                                   /* read_unlock(mmu_lock); srcu_read_unlock */
       CHECK_UNLOCK; vcpuReads = 0; GRACE_PERIOD; vp = 0 }
  od
}

/* kvm_recover_nx_huge_pages (6.12, fixed) */
active proctype recovery() {
  bool flush = 0;
end:
  do
  :: d_step { rp == 0 ->                                    /* srcu_read_lock(&kvm->srcu) */
       if
       :: VCPU_DONE && HOST_ZAPPED ->                       /* + to_zap = DIV_ROUND_UP(nx_lpage_splits, 1) */
          if
          :: HOST_NO_LOCK -> writer = 1; recRcu = 1; rp = 14   /* + write_lock(mmu_lock); rcu_read_lock() */
          :: else -> rp = 3
          fi
       :: else -> rp = 2
       fi }
  :: d_step { rp == 2 ->                                    /* to_zap = DIV_ROUND_UP(nx_lpage_splits, 1) */
       if :: VCPU_DONE && HOST_NO_LOCK -> writer = 1; recRcu = 1; rp = 14 :: else -> rp = 3 fi }
  :: d_step { (rp == 3 || rp == 22) && CAN_W(1) ->          /* write_lock(mmu_lock); rcu_read_lock() */
       writer = 1; DEQUEUE(1); recRcu = 1;                  /* (after the yield: flush = false) */
       if :: rp == 3 -> rp = 14 :: else -> rp = 27 fi }
  :: d_step { (rp == 3 || rp == 22) && !CAN_W(1) && !QUEUED(1) -> ENQUEUE(1) }
  :: d_step { rp == 14 ->                                   /* kvm_tdp_mmu_zap_sp(sp3): L2[0] -> 0, */
       l2 = 0; nxListed = 0; nxSplits = 0; sp3 = 1; flush = 1;   /* unaccount_nx_huge_page, */
       l1 = 0; rp = 18 }                                    /* handle_removed_pt clears its SPTEs */
  :: d_step { rp == 18 ->                                   /* need_resched() or a waiter: yield */
       if
       :: !WAITER && VCPU_DONE && HOST_NO_LOCK ->
#ifndef PREFIX
          FLUSH;                                            /* + kvm_mmu_remote_flush_or_zap(flush) */
#endif
          flush = 0; rp = 20
       :: else -> rp = 19
       fi }
  :: d_step { rp == 18 && !WAITER ->                        /* need_resched() false */
       if
       :: VCPU_DONE && HOST_NO_LOCK -> FLUSH; flush = 0; rp = 28   /* + --to_zap, exit, the flush */
       :: else -> rp = 27
       fi }
  :: d_step { rp == 19 ->
#ifndef PREFIX
       FLUSH;                                               /* kvm_mmu_remote_flush_or_zap(flush) */
#endif
       flush = 0; rp = 20 }
  :: d_step { rp == 20 -> recRcu = 0; rp = 21 }             /* rcu_read_unlock() */
  :: d_step { rp == 21 ->                                   /* write_unlock(mmu_lock) (cond_resched) */
       CHECK_UNLOCK; writer = 0; GRACE_PERIOD;
       if
       :: VCPU_DONE && HOST_NO_LOCK -> writer = 1; recRcu = 1; rp = 27   /* + write_lock, rcu_read_lock */
       :: else -> rp = 22
       fi }
  :: d_step { rp == 27 ->                                   /* --to_zap, exit; kvm_mmu_remote_flush_or_zap(flush) */
       if :: flush -> FLUSH :: else -> skip fi; flush = 0; rp = 28 }
  :: d_step { rp == 28 -> recRcu = 0; rp = 29 }             /* rcu_read_unlock() */
  :: d_step { rp == 29 ->                                   /* write_unlock(mmu_lock); srcu_read_unlock */
       CHECK_UNLOCK; writer = 0; GRACE_PERIOD; rp = 31 }
  od
}
