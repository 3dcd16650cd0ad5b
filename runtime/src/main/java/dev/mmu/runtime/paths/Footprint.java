package dev.mmu.runtime.paths;

/**
 * What an op or an expression may read and write of the shared state, over-approximated: bit
 * sets of {@link Resource}s (two footprints conflict iff the sets meet: see {@link Resource#bit}),
 * and the vCPUs it names by number (tlb(2, ..), `vcpu 2 read`), which symmetry must not permute. Thread locals are never shared, so they are not in it.
 *
 * @param reads  resources the result may depend on (a read-modify-write reads too)
 * @param writes resources it may change
 * @param vcpus  vCPUs it names, as a bit set; -1 when a vCPU number is only known at run time
 */
public record Footprint(long reads, long writes, long vcpus) {
    /** Thread locals only: constants, locals, jumps. */
    public static final Footprint LOCAL = new Footprint(0, 0, 0);

    public static Footprint reads(Resource... rs) {
        return LOCAL.andReads(rs);
    }

    /** Reads and writes the given resources (a read-modify-write). */
    public static Footprint updates(Resource... rs) {
        return LOCAL.andReads(rs).andWrites(rs);
    }

    public Footprint andReads(Resource... rs) {
        long b = reads;
        for (Resource r : rs) b |= r.bit();
        return new Footprint(b, writes, vcpus);
    }

    public Footprint andWrites(Resource... rs) {
        long b = writes;
        for (Resource r : rs) b |= r.bit();
        return new Footprint(reads, b, vcpus);
    }

    /** Reads one vCPU's TLB and paging-structure caches too ({@link Resource#tlbOf}). */
    public Footprint andReadsTlb(int vcpu) {
        return new Footprint(reads | Resource.tlbOf(vcpu), writes, vcpus);
    }

    /** Reads and writes one vCPU's TLB and paging-structure caches too. */
    public Footprint andUpdatesTlb(int vcpu) {
        long b = Resource.tlbOf(vcpu);
        return new Footprint(reads | b, writes | b, vcpus);
    }

    /** Reads one vCPU's root, request and SMM bits ({@link Resource#vcpuRootsOf}). */
    public Footprint andReadsRoots(int vcpu) {
        return new Footprint(reads | Resource.vcpuRootsOf(vcpu), writes, vcpus);
    }

    /** Reads and writes one vCPU's root, request and SMM bits. */
    public Footprint andUpdatesRoots(int vcpu) {
        long b = Resource.vcpuRootsOf(vcpu);
        return new Footprint(reads | b, writes | b, vcpus);
    }

    /**
     * The footprint as thread t's op: {@link Resource#SRCU_SELF} and {@link Resource#RCU_SELF}
     * become t's own srcu read side and RCU read-side critical section (unless the op names every
     * thread's, {@link Resource#SRCU} or {@link Resource#RCU}, too).
     */
    public Footprint ofThread(int t) {
        return new Footprint(ofThread(reads, t), ofThread(writes, t), vcpus);
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
        return new Footprint(reads, writes, vcpus | (vcpu >= 0 && vcpu < 64 ? 1L << vcpu : -1L));
    }

    public Footprint union(Footprint o) {
        return new Footprint(reads | o.reads, writes | o.writes, vcpus | o.vcpus);
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
                + (vcpus == 0 ? "" : " names vCPUs " + (vcpus == -1 ? "any" : Long.toBinaryString(vcpus)));
    }
}
