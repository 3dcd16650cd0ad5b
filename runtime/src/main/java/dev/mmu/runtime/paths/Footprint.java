package dev.mmu.runtime.paths;

/**
 * What an op or an expression may read and write of the shared state, over-approximated: bit
 * sets of {@link Resource}s (two footprints conflict iff the sets meet: see {@link Resource#bit}),
 * and the vCPUs it names by number (tlb(2, ..), `vcpu 2 read`), which symmetry must not permute. Thread locals are never shared, so they are not in it (but a fault's
 * fault->slot, which counts as its thread's srcu unit: Memslots#OUTLIVE).
 *
 * <p>The end of an RCU grace period ({@link Rcu#GRACE_PERIOD}) is in the footprint of every op
 * that may let one end. No grace period ends while the running thread holds one off
 * ({@link Rcu#holdsOffGracePeriods}), so an op that does not change that ({@link #heldOff}) reads
 * and frees nothing of it there: only what it touches itself counts.
 *
 * @param reads      resources the result may depend on (a read-modify-write reads too)
 * @param writes     resources it may change
 * @param vcpus      vCPUs it names, as a bit set; -1 when a vCPU number is only known at run time
 * @param heldReads  of reads, those it may depend on where its thread holds off grace periods
 * @param heldWrites of writes, those it may change there
 */
public record Footprint(long reads, long writes, long vcpus, long heldReads, long heldWrites) {
    /** Thread locals only: constants, locals, jumps. */
    public static final Footprint LOCAL = new Footprint(0, 0, 0);

    public Footprint {
        if ((heldReads & ~reads) != 0 || (heldWrites & ~writes) != 0) {
            throw new IllegalArgumentException("held parts beyond the footprint");
        }
    }

    /** A footprint that ends no grace period: the same where its thread holds one off. */
    public Footprint(long reads, long writes, long vcpus) {
        this(reads, writes, vcpus, reads, writes);
    }

    /**
     * The footprint where the running thread holds off grace periods before the op and the op does
     * not change that (it writes no part of {@link Resource#RCU} of its thread): no grace period can
     * end during it, nor at its end.
     */
    public Footprint heldOff() {
        return endsGracePeriod() ? new Footprint(heldReads, heldWrites, vcpus) : this;
    }

    /** Whether it may let a grace period end: its held parts are then narrower than the whole. */
    public boolean endsGracePeriod() {
        return heldReads != reads || heldWrites != writes;
    }

    public static Footprint reads(Resource... rs) {
        return LOCAL.andReads(rs);
    }

    /** Reads and writes the given resources (a read-modify-write). */
    public static Footprint updates(Resource... rs) {
        return LOCAL.andReads(rs).andWrites(rs);
    }

    public Footprint andReads(Resource... rs) {
        long b = 0;
        for (Resource r : rs) b |= r.bit();
        return new Footprint(reads | b, writes, vcpus, heldReads | b, heldWrites);
    }

    public Footprint andWrites(Resource... rs) {
        long b = 0;
        for (Resource r : rs) b |= r.bit();
        return new Footprint(reads, writes | b, vcpus, heldReads, heldWrites | b);
    }

    /** Reads one vCPU's TLB and paging-structure caches too ({@link Resource#tlbOf}). */
    public Footprint andReadsTlb(int vcpu) {
        return andReadBits(Resource.tlbOf(vcpu));
    }

    /** Reads and writes one vCPU's TLB and paging-structure caches too. */
    public Footprint andUpdatesTlb(int vcpu) {
        return andUpdateBits(Resource.tlbOf(vcpu));
    }

    /** Reads one vCPU's root, request and SMM bits ({@link Resource#vcpuRootsOf}). */
    public Footprint andReadsRoots(int vcpu) {
        return andReadBits(Resource.vcpuRootsOf(vcpu));
    }

    /** Reads and writes one vCPU's root, request and SMM bits. */
    public Footprint andUpdatesRoots(int vcpu) {
        return andUpdateBits(Resource.vcpuRootsOf(vcpu));
    }

    private Footprint andReadBits(long b) {
        return new Footprint(reads | b, writes, vcpus, heldReads | b, heldWrites);
    }

    private Footprint andUpdateBits(long b) {
        return new Footprint(reads | b, writes | b, vcpus, heldReads | b, heldWrites | b);
    }

    /**
     * The footprint as thread t's op: {@link Resource#SRCU_SELF} and {@link Resource#RCU_SELF}
     * become t's own srcu read side and RCU read-side critical section (unless the op names every
     * thread's, {@link Resource#SRCU} or {@link Resource#RCU}, too).
     */
    public Footprint ofThread(int t) {
        return new Footprint(ofThread(reads, t), ofThread(writes, t), vcpus, ofThread(heldReads, t), ofThread(heldWrites, t));
    }

    private static long ofThread(long bits, int t) {
        return self(self(bits, Resource.SRCU_SELF, Resource.SRCU, Resource.srcuOf(t)), Resource.RCU_SELF, Resource.RCU,
                Resource.rcuOf(t));
    }

    /** bits with the placeholder self named as the thread's own part of every (unless every's own bit is set). */
    private static long self(long bits, Resource self, Resource every, long own) {
        long placeholder = 1L << self.ordinal();
        if ((bits & placeholder) == 0) return bits;
        if ((bits & 1L << every.ordinal()) != 0) return bits & ~placeholder;
        return bits & ~self.bit() | own;
    }

    /** Reads and writes the given resources too. */
    public Footprint andUpdates(Resource... rs) {
        return andReads(rs).andWrites(rs);
    }

    public Footprint naming(int vcpu) {
        return new Footprint(reads, writes, vcpus | (vcpu >= 0 && vcpu < 64 ? 1L << vcpu : -1L), heldReads, heldWrites);
    }

    public Footprint union(Footprint o) {
        return new Footprint(reads | o.reads, writes | o.writes, vcpus | o.vcpus, heldReads | o.heldReads,
                heldWrites | o.heldWrites);
    }

    /** Footprint of evaluating every expression. */
    public static Footprint of(Expr... es) {
        Footprint r = LOCAL;
        for (Expr e : es) r = r.union(e.footprint());
        return r;
    }

    @Override
    public String toString() {
        return "reads " + Resource.in(reads) + " writes " + Resource.in(writes)
                + (vcpus == 0 ? "" : " names vCPUs " + (vcpus == -1 ? "any" : Long.toBinaryString(vcpus)))
                + (endsGracePeriod() ? " (holding off grace periods: " + heldOff() + ")" : "");
    }
}
