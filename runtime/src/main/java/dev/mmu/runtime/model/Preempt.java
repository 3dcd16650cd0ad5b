package dev.mmu.runtime.model;

/**
 * The host kernel's preemption build, as rwlock_needbreak() sees it (include/linux/spinlock.h,
 * v6.12; include/linux isn't in the 7.2 tree on disk, the KVM callers read the same): FULL is any build with CONFIG_PREEMPTION (CONFIG_PREEMPT, PREEMPT_LAZY, PREEMPT_RT, and
 * every CONFIG_PREEMPT_DYNAMIC build whatever preempt= it boots with), where a queued waiter makes
 * rwlock_needbreak() true; VOLUNTARY and NONE are static CONFIG_PREEMPT_VOLUNTARY/NONE builds,
 * where it is always false. need_resched() is the scheduler's free choice in all three.
 */
public enum Preempt { FULL, VOLUNTARY, NONE }
