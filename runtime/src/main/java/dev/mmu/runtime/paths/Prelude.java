package dev.mmu.runtime.paths;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The kernel prelude: the built-in kernel paths as .mmu source under {@code kernel/} in this jar,
 * one file per kernel source file ({@code mmu.mmu} beside mmu.c). The files in {@code kernel/}
 * are the latest version; a version folder ({@code kernel/5.10/mmu.mmu}) holds only the functions
 * whose text in that version differs from latest, and replaces them by name (docs/kernel-model.md).
 */
public final class Prelude {
    private Prelude() {}

    /** The versions a scenario may select with {@code vm { kernel V }}, oldest first. */
    public static final List<String> VERSIONS = List.of("5.10", "5.12", "6.12", "6.18");

    /**
     * What {@code latest} and the default mean: the newest version the model runs on every machine.
     * 6.18's read-lock NX recovery needs the TDP MMU's own NX list, which the model does not keep
     * apart from the shadow MMU's, so it runs with {@code mmu tdp} only.
     */
    public static final String LATEST = "6.12";

    /** The kernel source files mirrored, in the order their paths are declared. */
    public static final List<String> FILES = List.of("kvm_main.mmu", "x86.mmu", "tdp_mmu.mmu", "mmu.mmu");

    /** The folders that differ from latest, with the files each has. */
    private static final List<String> VERSIONED = List.of("5.10/mmu.mmu", "5.12/mmu.mmu", "6.18/mmu.mmu");

    /** One prelude file: its resource name ({@code kernel/mmu.mmu}) and text. */
    public record Source(String name, String text) {}

    /** latest's files, in {@link #FILES} order. */
    public static List<Source> latest() {
        List<Source> sources = new ArrayList<>();
        for (String f : FILES) {
            String text = read("kernel/" + f);
            if (text != null) sources.add(new Source("kernel/" + f, text));
        }
        return sources;
    }

    /** The files of one version's folder: the functions that differ from latest (none for latest). */
    public static List<Source> overrides(String version) {
        if (!VERSIONS.contains(version)) throw new IllegalArgumentException("no kernel version " + version);
        List<Source> sources = new ArrayList<>();
        for (String f : VERSIONED) {
            if (f.startsWith(version + "/")) sources.add(new Source("kernel/" + f, read("kernel/" + f)));
        }
        return sources;
    }

    private static String read(String resource) {
        try (InputStream in = Prelude.class.getClassLoader().getResourceAsStream(resource)) {
            return in == null ? null : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the prelude " + resource, e);
        }
    }
}
