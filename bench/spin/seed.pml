/*
 * The SPIN comparison scenario (bench/scenarios/seed-spin.mmu: the fixed seed with one vCPU read) in Promela, for the SPIN peer comparison
 * (bench/spin/run.sh, docs/performance.md). With -DPREFIX the flush before the yield is dropped
 * (the seed bug, injected into the fixed path): a check that the assertions can fail; the mmu
 * pre-fix example is a different user path, so its counts are not comparable.
 *
 * Same machine state after setup, same threads, same atomic steps as the mmu model: each d_step
 * below is one explorer step (an op plus the silent ops that follow it), named by the mmu trace
 * line it corresponds to. Values are abstracted to what this scenario can reach:
 *   host page A = pfn 0x1000 (faulted in by the setup), B = pfn 0x1200 (a re-fault after unmap).
 * mmu_lock's FIFO wait queue (qrwlock) is modelled (q0..q2). The vCPUs' paging-structure caches
 * are not: here a cache entry exists exactly when a 4K TLB entry does (walks fill both, flushes
 * empty both, and only a TLB miss reads the cache), so they add no states (docs/performance.md).
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
/* mmu_lock: writer (0 none, 1 recovery, 2 host), vCPU 1 as reader; srcu and rcu readers */
byte writer = 0;
/* mmu_lock's FIFO wait queue (qrwlock; VmState.mmuQueue), oldest first: 0 empty, 1 recovery,
   2 host, 3 vCPU 1. A thread that finds mmu_lock taken queues (one step); then only the oldest
   waiter may take it, and taking it dequeues. */
byte q0 = 0;
byte q1 = 0;
byte q2 = 0;
bool vcpuReads = 0;
bool recSrcu = 0;
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

/* kvm_flush_remote_tlbs: every vCPU's TLB */
#define FLUSH        tlb0 = 0; tlb1 = 0; flushes++
/* stale_tlb_at_unlock: a cached translation its SPTE no longer grants */
#define GRANTED0     (tlb0 == 0 || (l2 == 1 && l1 == 1))
#define GRANTED1     (tlb1 == 0 || (tlb1 == 1 && l2 == 1 && l1 == 1) || (tlb1 == 2 && l2 == 1 && l1 == 2) \
                      || (tlb1 == 3 && l2 == 2) || (tlb1 == 4 && l2 == 3))
#define CHECK_UNLOCK if :: !(GRANTED0 && GRANTED1) -> staleTlbAtUnlock = 1; assert(!staleTlbAtUnlock) \
                     :: else -> skip fi
/* call_rcu callbacks run once no RCU reader is left */
#define GRACE_PERIOD if :: sp3 == 1 && !recRcu -> sp3 = 2 :: else -> skip fi
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

active proctype host() {
H0: if                                                      /* write_lock(mmu_lock): */
  :: d_step { CAN_W(2) -> writer = 2; DEQUEUE(2) }          /* takes it, */
  :: d_step { !CAN_W(2) -> ENQUEUE(2) };                    /* or queues, */
H0q: d_step { CAN_W(2) -> writer = 2; DEQUEUE(2) }          /* then takes it at the head */
  fi;
  d_step {                                                  /* kvm_mmu_invalidate_begin 0x0..0x200; */
    inProgress = 1;                                         /* kvm_unmap_gfn_range: zap leaves, flush */
    if
    :: l2 == 1 && l1 != 0 -> l1 = 0; FLUSH
    :: l2 >= 2 -> l2 = 0; FLUSH
    :: else -> skip
    fi
  };
  d_step { CHECK_UNLOCK; writer = 0 };                      /* write_unlock(mmu_lock) */
  d_step { hostPfn = 0; aUnmapped = 1 };                    /* host unmaps pfn 0x1000 */
H4: if                                                      /* write_lock(mmu_lock) */
  :: d_step { CAN_W(2) -> writer = 2; DEQUEUE(2) }
  :: d_step { !CAN_W(2) -> ENQUEUE(2) };
H4q: d_step { CAN_W(2) -> writer = 2; DEQUEUE(2) }
  fi;
  d_step { seq = 1; inProgress = 0 };                       /* kvm_mmu_invalidate_end */
  d_step { CHECK_UNLOCK; writer = 0 };                      /* write_unlock(mmu_lock) */
  d_step { aFreed = 1 };                                    /* host frees pfn 0x1000 */
end: false                                                  /* finished: stays (no process death) */
}

active proctype vcpu() {
  byte mmuSeq = 0;
  byte pfn = 0;                                             /* 1 A, 2 B */
  do
  :: d_step {                                               /* vCPU 1 read 0x1000: TLB hit */
       tlb1 != 0 ->
       if :: aFreed && (tlb1 == 1 || tlb1 == 3) -> useAfterFree = 1; assert(!useAfterFree) :: else -> skip fi
     }; break
  :: d_step {                                               /* TLB miss, walk -> 2M leaf or 4K leaf */
       tlb1 == 0 && (l2 >= 2 || (l2 == 1 && l1 != 0)) ->
       if
       :: l2 == 2 -> tlb1 = 3
       :: l2 == 3 -> tlb1 = 4
       :: l2 == 1 -> tlb1 = l1
       fi;
       if :: aFreed && (tlb1 == 1 || tlb1 == 3) -> useAfterFree = 1; assert(!useAfterFree) :: else -> skip fi
     }; break
  :: d_step { tlb1 == 0 && !(l2 >= 2 || (l2 == 1 && l1 != 0)) -> skip };  /* EPT violation */
     d_step {                                               /* kvm_faultin_pfn: mmu_seq, pfn */
       mmuSeq = seq;                                        /* (host faults in B after the unmap) */
       if :: hostPfn == 0 -> hostPfn = 2 :: else -> skip fi;
       pfn = hostPfn
     };
V2:  if                                                     /* read_lock(mmu_lock) */
     :: d_step { CAN_R(3) -> vcpuReads = 1; DEQUEUE(3) }
     :: d_step { !CAN_R(3) -> ENQUEUE(3) };
V2q:    d_step { CAN_R(3) -> vcpuReads = 1; DEQUEUE(3) }
     fi;
     d_step {
       if
       :: inProgress || seq != mmuSeq -> skip               /* is_page_fault_stale -> RET_PF_RETRY */
       :: else ->
          if
          :: l2 == 0 -> l2 = pfn + 1                        /* kvm_tdp_mmu_map: 2M leaf */
          :: l2 == 1 -> l1 = pfn                            /* disallowed_hugepage_adjust: 4K in sp3 */
          :: else -> skip
          fi
       fi
     };
     d_step { CHECK_UNLOCK; vcpuReads = 0 }                 /* read_unlock(mmu_lock); retry the access */
  od;
end: false                                                  /* finished: stays (no process death) */
}

active proctype recovery() {
  byte toZap = 0;
  bool flush = 0;
  d_step { recSrcu = 1 };                                   /* srcu_read_lock(&kvm->srcu) */
  d_step { toZap = nxSplits };                              /* to_zap = DIV_ROUND_UP(nx_lpage_splits, 1) */
  if                                                        /* write_lock(mmu_lock) */
  :: d_step { CAN_W(1) -> writer = 1; DEQUEUE(1) }
  :: d_step { !CAN_W(1) -> ENQUEUE(1) }; d_step { CAN_W(1) -> writer = 1; DEQUEUE(1) }
  fi;
  d_step { recRcu = 1 };                                    /* rcu_read_lock(); loop head, sp = first (silent) */
  d_step {                                                  /* kvm_tdp_mmu_zap_sp(sp3): L2[0] -> 0, */
    l2 = 0; nxListed = 0; nxSplits = 0; sp3 = 1; flush = 1; /* unaccount_nx_huge_page, */
    l1 = 0                                                  /* handle_removed_pt clears its SPTEs */
  };
  if
  :: d_step {                                               /* need_resched() true or a waiter: */
       skip;
#ifndef PREFIX
       FLUSH                                                /* kvm_mmu_remote_flush_or_zap(flush) */
#endif
     };
     d_step { recRcu = 0; GRACE_PERIOD };                   /* rcu_read_unlock() */
     d_step { CHECK_UNLOCK; writer = 0 };                   /* write_unlock(mmu_lock) (cond_resched) */
     if                                                     /* write_lock(mmu_lock); flush = false */
     :: d_step { CAN_W(1) -> writer = 1; DEQUEUE(1); flush = 0 }
     :: d_step { !CAN_W(1) -> ENQUEUE(1) }; d_step { CAN_W(1) -> writer = 1; DEQUEUE(1); flush = 0 }
     fi;
     d_step { recRcu = 1; toZap = toZap - 1 };              /* rcu_read_lock(); --to_zap; loop exits */
     d_step {                                               /* kvm_mmu_remote_flush_or_zap(flush) */
       if :: flush -> FLUSH :: else -> skip fi
     }
  :: atomic {                                               /* need_resched() false: --to_zap, exit, */
       !WAITER -> toZap = toZap - 1;                                   /* kvm_mmu_remote_flush_or_zap(flush) */
       FLUSH
     }
  fi;
  d_step { recRcu = 0; GRACE_PERIOD };                      /* rcu_read_unlock() */
  d_step { CHECK_UNLOCK; writer = 0 };                      /* write_unlock(mmu_lock) */
  d_step { recSrcu = 0 };                                   /* srcu_read_unlock(&kvm->srcu) */
end: false                                                  /* finished: stays (no process death) */
}

