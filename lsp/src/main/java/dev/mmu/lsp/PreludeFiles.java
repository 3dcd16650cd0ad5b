package dev.mmu.lsp;

import dev.mmu.interp.ast.PathDecl;
import dev.mmu.interp.check.KernelPrelude;
import dev.mmu.runtime.paths.Prelude;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.eclipse.lsp4j.Location;
import org.eclipse.lsp4j.Position;
import org.eclipse.lsp4j.Range;

/**
 * The prelude of the kernel version a file pins ({@link PinnedKernel}: its version folders over
 * the shared files) for go-to-definition, hover and completion. The files live in the runtime
 * jar, which a client cannot open, so they are copied to a folder named after the version and the
 * content of every file it reads, inside one folder of the server's
 * ({@code $TMPDIR/mmu-lsp-RANDOM/mmu-prelude-6.12-HASH/kernel/mmu.mmu}): a copy opened in the
 * editor answers for its version ({@link #versionOfCopy}), and the server's folder goes at
 * shutdown, or when the JVM exits without one ({@link #clean}), where each copy used to stay in
 * $TMPDIR for good.
 */
final class PreludeFiles {

    private PreludeFiles() {
    }

    /** Where the version's prelude declares a kernel path, as a file URI in the cache folder. */
    static Optional<Location> definition(PinnedKernel kernel, String name) {
        PathDecl p = KernelPrelude.paths(kernel.version()).get(name);
        if (p == null) {
            return Optional.empty();
        }
        Path file = extracted(kernel.version(), p.pos().file());
        int line = p.name().pos().line() - 1;
        int column = p.name().pos().column() - 1;
        return Optional.of(new Location(file.toUri().toString(),
                new Range(new Position(line, column), new Position(line, column + p.name().name().length()))));
    }

    /**
     * A prelude path's comment block in the version's prelude, as hover text, and which version's
     * file it is and why that version; empty for other names.
     */
    static Optional<String> doc(PinnedKernel kernel, String name) {
        String version = kernel.version();
        return KernelPrelude.source(version, name).map(source -> {
            String comment = comment(source);
            PathDecl p = KernelPrelude.paths(version).get(name);
            String text = Prelude.versionOf(p.pos().file());
            return comment + "\n\nPrelude `" + p.pos().file() + "` (kernel " + version
                    + (text.equals(version) ? "" : ", which runs " + text + "'s text") + "; " + kernel.why() + "): `mmu show "
                    + name + (version.equals(Prelude.LATEST) ? "" : " --kernel " + version)
                    + "` prints it; a path of this name replaces it.";
        });
    }

    /**
     * A prelude path's parameters and result as the version declares them, the signature after its
     * name: {@code (mmu_type: int)} for 7.2's kvm_recover_nx_huge_pages, {@code ()} for 6.12's.
     */
    static Optional<String> parameters(String version, String name) {
        PathDecl p = KernelPrelude.paths(version).get(name);
        if (p == null) {
            return Optional.empty();
        }
        return Optional.of("(" + p.params().stream().map(PreludeFiles::parameter).collect(Collectors.joining(", "))
                + ")" + p.returns().map(r -> " -> " + r.name()).orElse(""));
    }

    /** A prelude path's leading comment block, without the {@code #}s, one line per line. */
    static String comment(String source) {
        return source.lines().takeWhile(l -> l.startsWith("#")).map(l -> l.replaceFirst("^# ?", ""))
                .collect(Collectors.joining("\n"));
    }

    /** A path parameter as its declaration writes it: {@code mmu_type: int}, or the bare name. */
    static String parameter(PathDecl.Param a) {
        return a.type().isEmpty() ? a.name() : a.name() + ": " + a.type();
    }

    /** The copies' folders: the version is in the name, so that a copy opened in the editor answers for its version. */
    private static final Pattern COPY = Pattern.compile("mmu-prelude-([0-9.]+)-[0-9a-f]+[/\\\\]kernel[/\\\\]");

    /** The version whose prelude a file is a copy of ({@link #definition} wrote it), or empty for another file. */
    static Optional<String> versionOfCopy(String uri) {
        Matcher m = COPY.matcher(Documents.fileName(uri));
        return m.find() && Prelude.VERSIONS.contains(m.group(1)) ? Optional.of(m.group(1)) : Optional.empty();
    }

    /** The server's folder of copies, made on first use; null until then and after {@link #clean}. */
    private static Path root;
    private static Thread onExit;

    /** The server's folder, made once: every copy of this JVM goes in it, and an exit removes it. */
    static synchronized Path root() throws IOException {
        if (root == null) {
            root = Files.createTempDirectory("mmu-lsp-");
            Path mine = root;
            onExit = new Thread(() -> delete(mine), "mmu-lsp prelude cleanup");
            Runtime.getRuntime().addShutdownHook(onExit);
        }
        return root;
    }

    /**
     * Removes the copies (at the server's shutdown; a later go-to-definition makes a new folder).
     * A file the editor still shows from it is gone, as the server that could answer for it is.
     */
    static synchronized void clean() {
        if (root == null) return;
        delete(root);
        try {
            Runtime.getRuntime().removeShutdownHook(onExit);
        } catch (IllegalStateException exiting) {
            // the JVM is exiting: the hook runs anyway, over a folder already gone
        }
        root = null;
        onExit = null;
    }

    private static void delete(Path folder) {
        try (java.util.stream.Stream<Path> all = Files.walk(folder)) {
            all.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException gone) {
            // already removed, or unreadable: nothing more to do at exit
        }
    }

    private static Path extracted(String version, String resource) {
        // Over every file the version reads: a changed version folder gets its own cache folder too.
        TreeSet<String> files = KernelPrelude.paths(version).values().stream().map(p -> p.pos().file())
                .collect(Collectors.toCollection(TreeSet::new));
        String hash = Integer.toHexString(files.stream().map(f -> f + "\n" + KernelPrelude.text(f)).toList().hashCode());
        try {
            Path file = root().resolve("mmu-prelude-" + version + "-" + hash).resolve(resource);
            if (!Files.exists(file)) {
                Files.createDirectories(file.getParent());
                Path tmp = Files.createTempFile(file.getParent(), "prelude", ".tmp");
                Files.writeString(tmp, KernelPrelude.text(resource), StandardCharsets.UTF_8);
                Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            }
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the prelude " + resource + " to a temporary folder", e);
        }
    }
}
