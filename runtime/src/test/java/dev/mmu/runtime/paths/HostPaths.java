package dev.mmu.runtime.paths;

/**
 * The prelude's host_free (kernel/kvm_main.mmu) as the interpreter compiles it, for the runtime's
 * unit tests, which cannot load the prelude: one host_free_pages step. Change it with the prelude.
 */
final class HostPaths {
    private HostPaths() {}

    /** host_free START .. END: the host mm frees the pages behind the gpa range. */
    static void hostFree(PathBuilder b, Expr startGpa, Expr endGpa) {
        b.emit(new Ops.Call(Primitives.get("host_free_pages"), new Expr[] {startGpa, endGpa}, -1));
    }
}
