package dev.mmu.runtime.paths;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The kernel prelude: the built-in kernel paths as .mmu source under {@code kernel/} in this jar,
 * one file per kernel source file ({@code mmu.mmu} beside mmu.c). The files in {@code kernel/}
 * are {@link #SHARED}'s text, today's tree (7.2); a version folder ({@code kernel/6.12/mmu.mmu})
 * holds only the functions whose steps in that version differ, and replaces them by name
 * (docs/kernel-model.md, "kernel/ is 7.2's text"). A version may lay its folder over a newer
 * version's ({@link #base}): 5.10 and 5.12 run 6.12's functions but for their own. 6.18 reads as
 * 7.2 for the model and has no folder. 7.3 (v7.3-rc7, a release candidate) is newer than the shared
 * text: its folder holds 7.3's text of what it changed (docs/kernel-model.md, "kernel 7.3").
 */
public final class Prelude {
    private Prelude() {}

    /**
     * The versions a scenario may select with {@code vm { kernel V }}, oldest first. 7.3 is v7.3-rc7,
     * for a patch against kvm/next; {@link #LATEST} stays the released 7.2.
     */
    public static final List<String> VERSIONS = List.of("5.10", "5.12", "6.12", "6.18", "7.2", "7.3");

    /**
     * What {@code latest} and the default mean: 7.2, today's tree (Linux 7.2.13 read function by
     * function: docs/kernel-model.md, "Kernel 7.2 audit, fifteenth session"; "latest is 7.2",
     * sixteenth session). It was 6.12 until then; a scenario about an older kernel's code says so
     * with {@code vm { kernel V }}.
     */
    public static final String LATEST = "7.2";

    /**
     * The version whose text the files in {@code kernel/} are, the functions every version runs
     * unless its folder (or its base's) replaces them: v7.2 (7.2.13), {@link #LATEST}. Until the
     * seventeenth session they were 6.12's, which now has a folder (docs/kernel-model.md, "kernel/
     * is 7.2's text").
     */
    public static final String SHARED = "7.2";

    /**
     * Whether the version keeps one NX list per MMU, kvm->arch.possible_nx_huge_pages[KVM_NR_MMU_TYPES]
     * (v6.18, 6777885605e1 "Track possible NX huge pages separately for TDP vs. Shadow MMU").
     */
    public static boolean nxListPerMmu(String version) {
        return atLeast(version, "6.18");
    }

    /**
     * Whether the version's teardown of a removed TDP table flushes before freeing it (v5.10-v5.17,
     * until bb95dfb9e2df "Defer TLB flush to caller when freeing TDP MMU shadow pages"), and its
     * kvm_tdp_mmu_zap_sp() is a range zap of every root.
     */
    public static boolean teardownFlushes(String version) {
        return !atLeast(version, "6.12"); // of the prelude's versions, 5.10 and 5.12 predate v5.18
    }

    /** Whether the version has KVM_X86_QUIRK_SLOT_ZAP_ALL (v6.12); before it a memslot update always zaps all. */
    public static boolean hasSlotZapAllQuirk(String version) {
        return atLeast(version, "6.12");
    }

    /**
     * Whether the version's handle_changed_spte() calls kvm_set_pfn_dirty() for a dirty leaf that
     * goes away, which is what invariant dirty_bit_lost checks (until v6.13: aa85986e7150 "Mark folio
     * dirty when creating SPTE, not when zapping/modifying" marks the folio dirty when the fault makes
     * a writable SPTE, in kvm_release_faultin_page(), and drops the call).
     */
    public static boolean setsPfnDirtyOnZap(String version) {
        return !atLeast(version, "6.18");
    }

    /**
     * Whether the version's spte_has_volatile_bits() counts a clear A bit as volatile, so that a
     * present leaf with A clear is written by xchg (until v6.15: 61d65f2dc766 "Don't force atomic
     * update if only the Accessed bit is volatile", renamed spte_needs_atomic_update()).
     */
    public static boolean accessedBitVolatile(String version) {
        return !atLeast(version, "6.18");
    }

    /**
     * Whether the version's TDP iterator reads SPTEs with rcu_dereference() (v5.12, 7cca2d0b7e7d
     * "Protect TDP MMU page table memory with RCU"): kvm_tdp_mmu_read_spte() outside
     * rcu_read_lock() is then suspicious RCU usage under CONFIG_PROVE_RCU. 5.10's read plainly.
     */
    public static boolean tdpIterRcu(String version) {
        return atLeast(version, "5.12");
    }

    /** Whether a version of {@link #VERSIONS} is the other one or newer. */
    private static boolean atLeast(String version, String other) {
        return VERSIONS.indexOf(version) >= VERSIONS.indexOf(other);
    }

    /**
     * A kernel function a version renamed, which a scenario calls (or replaces) by its kernel's name:
     * {@code older} until {@code since}, {@code newer} from then. kernel/ has it as {@code newer}
     * (7.2's text), an older version's folder as {@code older}; each version knows only its own name,
     * and the checker tells a scenario that uses the other one which name its kernel has.
     */
    public record Rename(String older, String newer, String since) {
        /** The other name of the two. */
        public String other(String name) {
            return name.equals(older) ? newer : older;
        }
    }

    /** The renames between the prelude's versions (docs/kernel-model.md, "kernel/ is 7.2's text"). */
    public static final List<Rename> RENAMES = List.of(
            // "KVM: x86/mmu: Recover TDP MMU huge page mappings in-place instead of zapping" (v6.13)
            new Rename("kvm_mmu_zap_collapsible_sptes", "kvm_mmu_recover_huge_pages", "v6.13"),
            new Rename("kvm_tdp_mmu_zap_collapsible_sptes", "kvm_tdp_mmu_recover_huge_pages", "v6.13"));

    /**
     * A primitive (Java, {@link Primitives}) a version renamed: the prelude's versions from {@code from}
     * on call it {@code newer}, the older ones {@code older}. Both names are registered, with the same
     * step; each version's prelude calls its own, and the checker tells a call of the other which name
     * the kernel in scope has. {@code from} is a version of {@link #VERSIONS}, not the kernel release
     * of the rename, which the comment of each entry gives.
     */
    public record PrimitiveRename(String older, String newer, String from) {
        /** The name {@code version} calls it by. */
        public String nameIn(String version) {
            return atLeast(version, from) ? newer : older;
        }

        /** The versions of {@link #VERSIONS} that call it {@code name}, as "5.10-6.12" or "7.2". */
        public String versionsOf(String name) {
            List<String> vs = VERSIONS.stream().filter(v -> nameIn(v).equals(name)).toList();
            return vs.size() == 1 ? vs.get(0) : vs.get(0) + "-" + vs.get(vs.size() - 1);
        }
    }

    /** The primitives renamed between the prelude's versions (docs/kernel-model.md, "Primitives say 7.2"). */
    public static final List<PrimitiveRename> PRIMITIVE_RENAMES = List.of(
            // Renamed after v6.18 ("KVM: Rename invalidate_begin to invalidate_start for consistency",
            // kvm list, February 2026): 6.18 reads as 7.2 for the model (no folder, no tree on disk),
            // so it takes 7.2's name, where the kernel 6.18 still had kvm_mmu_invalidate_begin().
            new PrimitiveRename("kvm_mmu_invalidate_begin", "kvm_mmu_invalidate_start", "6.18"),
            // kvm_tdp_mmu_invalidate_roots(kvm, KVM_DIRECT_ROOTS) since TDX's root types (after 6.12,
            // before 6.18); the model's roots are all direct.
            new PrimitiveRename("kvm_tdp_mmu_invalidate_all_roots", "kvm_tdp_mmu_invalidate_roots", "6.18"));

    /** The primitive rename a name is one side of, if any. */
    public static Optional<PrimitiveRename> primitiveRename(String name) {
        return PRIMITIVE_RENAMES.stream().filter(r -> r.older().equals(name) || r.newer().equals(name)).findFirst();
    }

    /**
     * The name {@code version} has for the primitive {@code name} where that is the other version's
     * name of a {@link #PRIMITIVE_RENAMES} entry; empty if the name is the version's own or no rename's.
     */
    public static Optional<String> primitiveRenamedIn(String version, String name) {
        return primitiveRename(name).map(r -> r.nameIn(version)).filter(own -> !own.equals(name));
    }

    /** The rename a name is one side of, if any. */
    public static Optional<Rename> rename(String name) {
        return RENAMES.stream().filter(r -> r.older().equals(name) || r.newer().equals(name)).findFirst();
    }

    /** The kernel source files mirrored, in the order their paths are declared. */
    public static final List<String> FILES = List.of("kvm_main.mmu", "x86.mmu", "tdp_mmu.mmu", "mmu.mmu");

    /** The folders that differ from {@link #SHARED}'s files, with the files each has. */
    private static final List<String> VERSIONED =
            List.of("5.10/mmu.mmu", "5.12/mmu.mmu", "6.12/kvm_main.mmu", "6.12/x86.mmu", "6.12/tdp_mmu.mmu", "6.12/mmu.mmu",
                    "7.3/tdp_mmu.mmu");

    /**
     * The version whose folder a version's folder is laid over, or null (over kernel/'s files alone).
     * 5.10 and 5.12 run 6.12's locked aging, collapsible-SPTE zap and one-list NX worker, so their
     * folders hold only what differs from 6.12 (the NX loop, the memslot flush) and do not copy
     * 6.12's. One level: a base has no base.
     */
    public static String base(String version) {
        return version.equals("5.10") || version.equals("5.12") ? "6.12" : null;
    }

    /** One prelude file: its resource name ({@code kernel/mmu.mmu}) and text. */
    public record Source(String name, String text) {}

    /** The files in {@code kernel/} ({@link #SHARED}'s text), in {@link #FILES} order. */
    public static List<Source> shared() {
        List<Source> sources = new ArrayList<>();
        for (String f : FILES) {
            String text = read("kernel/" + f);
            if (text != null) sources.add(new Source("kernel/" + f, text));
        }
        return sources;
    }

    /**
     * The functions that differ from {@link #shared()}'s (none for {@link #SHARED}): the base's folder
     * first, then the version's own, whose functions replace the base's of the same name.
     */
    public static List<Source> overrides(String version) {
        if (!VERSIONS.contains(version)) throw new IllegalArgumentException("no kernel version " + version);
        List<Source> sources = new ArrayList<>();
        String base = base(version);
        if (base != null) sources.addAll(overrides(base));
        for (String f : VERSIONED) {
            if (f.startsWith(version + "/")) sources.add(new Source("kernel/" + f, read("kernel/" + f)));
        }
        return sources;
    }

    /** The version whose text a prelude file is: its folder's ({@code kernel/6.12/mmu.mmu}), else {@link #SHARED}. */
    public static String versionOf(String resource) {
        String[] parts = resource.split("/");
        return parts.length == 3 ? parts[1] : SHARED;
    }

    private static String read(String resource) {
        try (InputStream in = Prelude.class.getClassLoader().getResourceAsStream(resource)) {
            return in == null ? null : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the prelude " + resource, e);
        }
    }
}
